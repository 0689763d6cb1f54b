"""The table of `robot-hf` subcommands: name, config, summary, and the function that runs it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    config: str
    summary: str
    # "module:function" called with the composed config; imported only when the command runs.
    target: str
    example: str = ""
    # The words a user types, for messages ("dataset validate").
    prefix: str = ""
    # The key a bare argument sets (`robot-hf dataset info data/lift` = `dataset.root=data/lift`); a list key (`sources`)
    # takes every bare argument.
    positional: str = ""
    many: bool = False

    @property
    def title(self) -> str:
        return f"robot-hf {self.prefix}{self.name}"


COMMANDS: list[Command] = [
    Command("record", "record", "record teleoperated episodes into a dataset (sim or real arm)",
            "robot_hf.cli.run_record:main", "robot-hf record teleop=scripted task=lift dataset.num_episodes=100"),
    Command("train", "train", "train a policy on a dataset, with periodic evaluation in sim",
            "robot_hf.cli.run_train:main", "robot-hf train policy=act task=lift train.steps=2000 dataset.root=data/lift"),
    Command("eval", "eval", "evaluate a trained policy in simulation or on a real arm (success rate with a 95% CI, videos)",
            "robot_hf.cli.run_eval:main", "robot-hf eval policy.path=outputs/train/.../checkpoints/best task=lift eval.episodes=100"),
    Command("rollout", "rollout", "run a policy while a person (or a simulated one) may take over; record everything",
            "robot_hf.cli.run_rollout:main", "robot-hf rollout policy.path=... task=lift teleop=scripted feedback=intervention dataset.root=data/rollouts"),
    Command("replay", "replay", "replay the actions of a recorded episode on a sim or real robot",
            "robot_hf.cli.run_replay:main", "robot-hf replay dataset.root=data/lift episode=3 task=lift"),
    Command("improve", "improve", "rounds of rollout with interventions, learning and evaluation, with a report",
            "robot_hf.cli.run_improve:main", "robot-hf improve feedback=hg_dagger task=lift rounds=3 episodes_per_round=10"),
    Command("quickstart", "quickstart", "the whole loop on Lift with no person and no hardware: demos, train, a round of each feedback kind",
            "robot_hf.cli.run_quickstart:main", "robot-hf quickstart"),
    Command("label", "reward", "a web page where a person compares pairs of clips; each answer is stored in the dataset at once",
            "robot_hf.cli.run_reward:label_page", "robot-hf label data/lift_rollouts labels=200", positional="dataset.root"),
    Command("calibrate", "calibrate", "record homing offsets and ranges of a real arm's motors",
            "robot_hf.cli.run_hardware:calibrate", "robot-hf calibrate robot=so101 robot.port=/dev/ttyACM0"),
    Command("setup-motors", "setup_motors", "assign ids and baud rate to a real arm's motors, one at a time",
            "robot_hf.cli.run_hardware:setup_motors", "robot-hf setup-motors robot=so101 robot.port=/dev/ttyACM0"),
    Command("find-devices", "find_devices", "list serial ports, cameras and HID devices",
            "robot_hf.cli.run_hardware:find_devices", "robot-hf find-devices"),
]

DATASET_COMMANDS: list[Command] = [
    Command("info", "dataset", "summarise a dataset: episodes, frames, features, feedback",
            "robot_hf.cli.run_dataset:info", "robot-hf dataset info data/lift", "dataset ", "dataset.root"),
    Command("validate", "dataset", "check every invariant; exit non-zero with the findings",
            "robot_hf.cli.run_dataset:validate", "robot-hf dataset validate data/lift", "dataset ", "dataset.root"),
    Command("merge", "dataset", "merge datasets with the same features into a new one",
            "robot_hf.cli.run_dataset:merge", "robot-hf dataset merge data/a data/b output=data/ab", "dataset ", "sources", many=True),
    Command("delete-episodes", "dataset", "drop episodes (in place, or into output=...)",
            "robot_hf.cli.run_dataset:delete_episodes", "robot-hf dataset delete-episodes data/lift 'episodes=[3,7]'", "dataset ", "dataset.root"),
    Command("label-motions", "dataset", "label every frame with the language motion in force (RT-H), in the instruction column",
            "robot_hf.cli.run_dataset:label_motions", "robot-hf dataset label-motions data/lift motions.window=5", "dataset ", "dataset.root"),
]

REWARD_COMMANDS: list[Command] = [
    Command("train", "reward", "fit a reward ensemble to the preferences a dataset holds (Bradley-Terry on segment returns)",
            "robot_hf.cli.run_reward:train", "robot-hf reward train data/lift_rollouts reward.members=3", "reward ", "dataset.root"),
    Command("eval", "reward", "judge a reward model: held-out pair accuracy, correlation with true progress, warnings, a plot",
            "robot_hf.cli.run_reward:evaluate", "robot-hf reward eval data/lift_rollouts reward.path=outputs/reward/<run>/reward_model", "reward ", "dataset.root"),
    Command("label", "reward", "query rounds answered by a scripted teacher (configs/teacher/), refitting the reward after each",
            "robot_hf.cli.run_reward:label", "robot-hf reward label data/lift_rollouts teacher=mistaken labels=200 query.method=disagreement", "reward ", "dataset.root"),
    Command("value", "reward", "fit the value head best-of-N ranks action chunks with (the reward's reward-to-go), beside the reward",
            "robot_hf.cli.run_reward:value", "robot-hf reward value data/lift_rollouts reward.path=outputs/reward/<run>/reward_model value_steps=8", "reward ", "dataset.root"),
]
