"""`robot-hf quickstart`: record scripted demos on Lift, train, evaluate, one intervention round, evaluate."""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from robot_hf.cli.console import make_console

console = make_console()


def _phase(n: int, text: str) -> None:
    console.rule(f"[bold]{n}/4  {text}")


def main(cfg: DictConfig) -> int:
    from robot_hf.config.compose import compose
    from robot_hf.feedback.improve import Improver
    from robot_hf.session import StatusLine, TeleoperatorActor, run_session
    from robot_hf.training.workspace import TrainWorkspace
    from sim.robot import SimRobot
    from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator

    t0 = time.perf_counter()
    run = Path(cfg.run.dir)
    task = OmegaConf.to_container(cfg.task, resolve=True)
    demos = run / "data" / "demos"

    _phase(1, f"recording {cfg.demos} demonstrations of {task['name']} with the simulated teleoperator")
    robot = SimRobot(task)
    from robot_hf.dataset import DatasetWriter, build_features

    writer = DatasetWriter.create(demos, robot.fps, build_features(robot.camera_shapes, robot.state_names, robot.action_names),
                                  robot_type=robot.name, robot_hf_info={"task_config": task})
    with writer:
        teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(seed=cfg.run.seed))
        recorded = run_session(robot, TeleoperatorActor(teleop), writer, cfg.demos, person=teleop, seed=cfg.run.seed,
                               status=StatusLine())
    robot.disconnect()
    console.print(f"{len(recorded.saved)} demos ({recorded.human_frames} frames) in {demos}")

    _phase(2, f"training a {cfg.policy.name} policy for {cfg.train.steps} steps")
    train_cfg = compose("train", [f"run.seed={cfg.run.seed}"])  # train's own config, with the quickstart's groups
    train_cfg.task, train_cfg.policy, train_cfg.train, train_cfg.eval = cfg.task, cfg.policy, cfg.train, cfg.eval
    train_cfg.dataset.root, train_cfg.run.dir = str(demos), str(run / "train")
    trained = TrainWorkspace(train_cfg).run()
    console.print(f"trained in {trained.wall_seconds / 60:.1f} min ({trained.steps_per_second:.1f} steps/s): "
                  f"{trained.run_dir / 'checkpoints' / 'best'}")

    _phase(3, f"evaluating, one round of rollouts with take-overs ({cfg.feedback.type}), fine-tuning")
    # improve's own config (every key its feedback kind reads), with the quickstart's task, data and sizes.
    improve_cfg = compose("improve", [f"feedback={cfg.feedback.type}", "robot=sim", "teleop=scripted", "rounds=1",
                                      f"episodes_per_round={cfg.episodes_per_round}", f"eval_episodes={cfg.eval_episodes}",
                                      f"finetune_steps={cfg.finetune_steps}", f"finetune_lr={cfg.finetune_lr}", "baseline=false",
                                      f"run.seed={cfg.run.seed}"])
    improve_cfg.task, improve_cfg.feedback, improve_cfg.train, improve_cfg.eval = cfg.task, cfg.feedback, cfg.train, cfg.eval
    improve_cfg.policy.path, improve_cfg.dataset.root = str(trained.run_dir), str(demos)
    improve_cfg.run.dir = str(run / "improve")
    result = Improver(improve_cfg).run()

    _phase(4, "summary")
    before, after = result.rounds[0], result.rounds[-1]
    console.print(f"success before the intervention round: {100 * before.success:.0f}% "
                  f"(95% CI {100 * before.ci95[0]:.0f}-{100 * before.ci95[1]:.0f}) over {cfg.eval_episodes} held-out episodes")
    console.print(f"success after one {result.method} round:   {100 * after.success:.0f}% "
                  f"(95% CI {100 * after.ci95[0]:.0f}-{100 * after.ci95[1]:.0f}); {after.human_frames} human frames, "
                  f"{after.takeovers} take-overs")
    console.print(f"report:       {result.report}")
    console.print(f"videos:       {run / 'improve' / 'videos'}")
    console.print(f"checkpoints:  {trained.run_dir / 'checkpoints' / 'best'} (trained), "
                  f"{Path(after.checkpoint).parents[1] / 'best'} (after the round); policy.path= takes either")
    console.print(f"datasets:     {demos}, {run / 'improve' / 'data' / result.method} (with the rollouts)")
    console.print(f"done in {(time.perf_counter() - t0) / 60:.1f} min")
    return 0
