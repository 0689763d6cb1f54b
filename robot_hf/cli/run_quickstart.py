"""`robot-hf quickstart`: record scripted demos on Lift, train, then one round of each feedback kind (take-overs, language
corrections, preferences), each evaluated before and after on the same seeds."""

from __future__ import annotations

import time
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from rich.table import Table

from robot_hf.cli.console import make_console

console = make_console()


def _phase(n: int, text: str) -> None:
    console.rule(f"[bold]{n}.  {text}")


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

    rounds = [round_config(cfg, i, overrides, demos) for i, overrides in enumerate(cfg.feedback_rounds, 1)]  # all checked first
    _phase(1, f"recording {cfg.demos} demonstrations of {task['name']} with the simulated teleoperator")
    robot = SimRobot(task)
    from robot_hf.dataset import DatasetWriter, robot_features

    writer = DatasetWriter.create(demos, robot.fps, robot_features(robot),
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

    start, evaluated, results = trained.run_dir, None, []
    for i, improve_cfg in enumerate(rounds, 1):
        _phase(2 + i, f"round {i}/{len(rounds)}, {improve_cfg.feedback.type}: evaluate, {cfg.episodes_per_round} rollouts "
                      "with the simulated person, fine-tune, evaluate")
        improve_cfg.policy.path = str(start)
        result = Improver(improve_cfg, evaluated=evaluated).run()  # its start was the previous round's end, evaluated
        results.append((Path(improve_cfg.run.dir), result))
        evaluated = result.rounds[-1]
        start = Path(evaluated.checkpoint)

    _phase(3 + len(rounds), "summary")
    console.print(summary_table(results, cfg.eval_episodes))
    console.print(f"trained policy: {trained.run_dir / 'checkpoints' / 'best'}")
    for folder, result in results:
        console.print(f"{result.method}: report {result.report}, videos {folder / 'videos'}, rollouts {folder / 'data' / result.method}, "
                      f"policy {Path(result.rounds[-1].checkpoint).parents[1] / 'best'}")
    console.print(f"demos: {demos}; policy.path= takes any of the policies above")
    console.print(f"done in {(time.perf_counter() - t0) / 60:.1f} min")
    return 0


def round_config(cfg: DictConfig, i: int, overrides: list[str], demos: Path) -> DictConfig:
    """improve's own config for round i (every key its feedback kind reads), with the quickstart's task, data and sizes;
    a bad key or value in any round stops the quickstart before it records anything."""
    from robot_hf.config.checks import check_config
    from robot_hf.config.compose import ConfigError, compose

    try:
        improve_cfg = compose("improve", [*overrides, "robot=sim", "teleop=scripted", "rounds=1",
                                          f"episodes_per_round={cfg.episodes_per_round}", f"eval_episodes={cfg.eval_episodes}",
                                          f"finetune_steps={cfg.finetune_steps}", f"finetune_lr={cfg.finetune_lr}",
                                          "baseline=false", f"run.seed={cfg.run.seed}", "policy.path=set_when_the_round_starts"])
        check_config("improve", improve_cfg)
    except ConfigError as e:
        raise ConfigError(f"feedback_rounds[{i - 1}]: {e}") from None
    improve_cfg.task, improve_cfg.train, improve_cfg.eval = cfg.task, cfg.train, cfg.eval
    improve_cfg.dataset.root = str(demos)
    improve_cfg.run.dir = str(Path(cfg.run.dir) / f"improve_{i}_{improve_cfg.feedback.type}")
    return improve_cfg


def summary_table(results: list, episodes: int) -> Table:
    """One row per round: success before and after it on the same evaluation seeds, and what it cost the person."""
    table = Table(title=f"success on the same {episodes} evaluation seeds before and after each round")
    for column in ("round", "feedback", "before", "after", "human frames", "person-s", "take-overs", "corrections", "labels"):
        table.add_column(column, justify="left" if column == "feedback" else "right")
    for i, (_, result) in enumerate(results, 1):
        before, after = result.rounds[0], result.rounds[-1]
        table.add_row(str(i), result.method, _rate(before), _rate(after), str(after.human_frames), f"{after.person_seconds:.0f}",
                      str(after.takeovers or "-"), str(after.corrections or "-"), str(after.labels or "-"))
    return table


def _rate(r) -> str:
    return f"{100 * r.success:.0f}% ({100 * r.ci95[0]:.0f}-{100 * r.ci95[1]:.0f})"
