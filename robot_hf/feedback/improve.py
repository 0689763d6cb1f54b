"""Improvement rounds: rollouts with a person's feedback (take-overs, corrections) -> learn (HG-DAgger, Sirius, from
corrections) -> evaluate, with a baseline that spends the same person-seconds on new full demonstrations instead.

Each round fine-tunes the previous round's policy on the aggregated dataset (demos + every round's
rollouts) with the learner's per-frame weights. Evaluations use the same seeds every round, never
the ones rollouts or demos were recorded on.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from robot_hf.config.compose import compose
from robot_hf.dataset import DatasetReader, DatasetWriter
from robot_hf.dataset.edit import Selection, rebuild
from robot_hf.dataset.metadata import DatasetMeta
from robot_hf.evaluation.protocol import SEED_RANGES
from robot_hf.factory import default_task
from robot_hf.feedback.labels import describe_classes
from robot_hf.session import StatusLine, TeleoperatorActor, run_session
from robot_hf.training.checkpoint import PRETRAINED, pretrained_dir
from robot_hf.training.workspace import TrainWorkspace

PROGRESS = "progress.json"  # the rounds finished so far, for resuming
ROLLOUT_SEED, BASELINE_SEED = SEED_RANGES["rollouts"].start, SEED_RANGES["baseline"].start


@dataclass
class RoundResult:
    round: int
    success: float
    ci95: tuple[float, float]
    human_frames: int
    cumulative_human_frames: int
    takeovers: int = 0
    rollout_success: float | None = None
    classes: dict[str, int] = field(default_factory=dict)
    # The loss weight each class was trained with (Sirius reweights by class; HG-DAgger keeps demos and interventions).
    class_weights: dict[str, float] = field(default_factory=dict)
    checkpoint: str = ""
    # Mean max task progress in [0, 1] over the evaluation: where failing episodes get to.
    progress: float | None = None
    # The person's effort in seconds: driving (take-overs, demos, re-recorded takes) and watching the policy, ready to
    # take over (attention; none for the more-demos baseline, where nobody watches a policy).
    person_seconds: float = 0.0
    attention_seconds: float = 0.0
    # Language corrections given in the round's rollouts; their reaction and typing time, also in person_seconds.
    corrections: int = 0
    corrections_per_episode: float = 0.0
    correction_seconds: float = 0.0
    # Preference labels answered this round, their time (also in person_seconds), and the round's learned reward of
    # its rollouts (by that round's reward model): next to `success`, the check for reward hacking.
    labels: int = 0
    labeling_seconds: float = 0.0
    learned_score: float | None = None
    # The same model's score of the previous round's rollouts (None in round 1).
    learned_score_previous: float | None = None
    # Best-of-N: the policy ran the best of n chunks by the value head of this reward model (checkpoint unchanged).
    rerank: dict[str, Any] | None = None
    # Each evaluation episode's success, in seed order (the same seeds every round): rounds can be paired-tested.
    outcomes: list[bool] = field(default_factory=list)
    # This round's wall time on this machine: rollouts (or demos), learning and evaluation (None in round 0).
    wall_seconds: float | None = None


@dataclass
class ImproveResult:
    method: str
    task: str
    rounds: list[RoundResult]
    baseline: list[RoundResult]
    report: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "task": self.task, "rounds": [asdict(r) for r in self.rounds],
                "baseline": [asdict(r) for r in self.baseline]}


def _evaluated(round_index: int, e, human_frames: int, cumulative: int, **extra) -> RoundResult:
    return RoundResult(round_index, e.success_rate, e.ci95, human_frames, cumulative, progress=e.mean_max_progress,
                       outcomes=[bool(ep.get("success")) for ep in e.per_episode], **extra)


def _copy_dataset(src: Path, dst: Path) -> Path:
    if not (dst / "meta/info.json").exists():
        meta = DatasetMeta.load(src)
        rebuild([Selection(meta, list(range(meta.total_episodes)))], dst)
    return dst


class Improver:
    """Runs the loop for one learner (cfg.feedback.type) and its more-demos baseline."""

    def __init__(self, cfg: DictConfig, status: StatusLine | None = None, evaluated: RoundResult | None = None):
        """`evaluated`: the starting policy's evaluation when the caller already has it from the same evaluation seeds
        and settings (the previous improvement run's last round, as the quickstart chains them); it is not run again."""
        self.cfg = cfg
        self.evaluated = evaluated
        self.imp = cfg  # rounds, episodes_per_round, eval_episodes, finetune_* and baseline are top-level keys
        self.run_dir = Path(cfg.run.dir)
        self.status = status or StatusLine()
        from robot_hf.feedback.kinds import KINDS, feedback_kind

        self.method = cfg.feedback.type
        learners = sorted(k for k, kind in KINDS.items() if hasattr(kind, "weights"))
        if self.method not in learners:
            raise ValueError(f"improve needs a feedback kind that learns ({', '.join(learners)}), got feedback={self.method}")
        self.kind = feedback_kind(cfg)
        if not cfg.policy.path:
            raise ValueError("improve starts from a trained policy: policy.path=<checkpoint>")
        if not cfg.dataset.root:
            raise ValueError("improve needs the demonstrations the policy was trained on: dataset.root=<dataset>")
        if cfg.get("task") is None:  # the sim task the demonstrations were recorded in
            default_task(cfg, DatasetMeta.load(Path(cfg.dataset.root)).robot_hf.get("task_config"), f"dataset {cfg.dataset.root}")

    def _check_features(self) -> None:
        """Rollouts join the demonstrations' dataset: the robot must record the same features."""
        want = self.site.features()
        have = DatasetMeta.load(Path(self.cfg.dataset.root)).features
        diff = [k for k in set(want) | {k for k in have if k.startswith("observation.") or k == "action"}
                if k not in have or k not in want or list(have[k]["shape"]) != list(want[k]["shape"])]
        if diff:
            raise ValueError(f"the robot's observations differ from the demonstrations in {self.cfg.dataset.root} ({sorted(diff)}): "
                             "set the task's (or arm's) cameras / image size / object_state as they were when the demos were recorded")

    # ---- pieces ----------------------------------------------------------------------------------------------
    @staticmethod
    def _policy(checkpoint: Path, rerank: dict[str, Any] | None):
        from policies.base import Policy
        from robot_hf.cli.run_eval import with_rerank

        return with_rerank(Policy.from_pretrained(checkpoint), OmegaConf.create(rerank) if rerank else None)

    def _evaluate(self, checkpoint: Path, label: str, rerank: dict[str, Any] | None = None):
        result = self.site.evaluate(self._policy(checkpoint, rerank), label, self.imp.eval_episodes)
        self.status.update(f"{label}: {result.line()}", force=True)
        return result

    def _start(self, checkpoint: Path) -> RoundResult:
        """Round 0: the starting policy's evaluation, or the caller's of the same checkpoint without re-ranking."""
        known = self.evaluated
        if known is not None and known.rerank is None and Path(known.checkpoint).resolve() == checkpoint.resolve():
            return RoundResult(0, known.success, known.ci95, 0, 0, progress=known.progress, checkpoint=str(checkpoint),
                               outcomes=known.outcomes)
        return _evaluated(0, self._evaluate(checkpoint, "round_0"), 0, 0, checkpoint=str(checkpoint))

    def _finetune(self, checkpoint: Path, dataset: Path, weights: np.ndarray, out: Path, learner: bool = True) -> Path:
        """One round's fine-tune. `learner`: with the run's objective (feedback.method=dpo's preset, or objective=...);
        otherwise (the more-demos baseline, whose new demos carry no preference pairs) behaviour cloning."""
        shutil.rmtree(out, ignore_errors=True)  # what a cut-off attempt at this round left
        overrides = ([f"task={self.cfg.task.name}"] if self.site.has_sim else []) + [
            f"dataset.root={dataset}", f"policy.path={checkpoint}", f"run.dir={out}", f"run.seed={self.cfg.run.seed}"]
        cfg = compose("train", overrides)
        if self.site.has_sim:
            cfg.task = self.cfg.task
        if self.cfg.get("motions") is not None:  # how a hierarchy's targets are read (the correction lead) is the run's
            cfg.motions = self.cfg.motions
        # The run's own train section (batch size, precision, speed switches) with the round's schedule on top.
        cfg.train = OmegaConf.merge(cfg.train, self.cfg.train, {
            "steps": self.imp.finetune_steps, "eval_every": 0, "eval_final": False, "save_every": self.imp.finetune_steps,
            "lr": self.imp.finetune_lr, "warmup_steps": min(100, self.imp.finetune_steps // 10), "resume": False,
            "episodes": None, "val_fraction": 0.0})  # a round trains on all it gathered
        if learner and self.cfg.get("objective") is not None:
            cfg.objective = self.cfg.objective
        result = TrainWorkspace(cfg, weights=weights, quiet=True).run()
        return result.last / PRETRAINED

    # ---- the two arms -----------------------------------------------------------------------------------------
    def run(self) -> ImproveResult:
        from robot_hf.feedback.sites import make_site

        self.site = make_site(self.cfg, self.run_dir, self.status)
        try:
            return self._run()
        finally:
            self.site.close()

    # ---- resuming: a run killed mid-way picks up after its last finished round --------------------------------
    def _settings(self) -> dict[str, Any]:
        """What a resumed run must share with the run it continues."""
        cfg = self.cfg
        return {"method": self.method, "task": OmegaConf.to_container(cfg.task, resolve=True) if cfg.get("task") is not None else None,
                "policy": str(cfg.policy.path),
                "dataset": str(cfg.dataset.root), "episodes_per_round": cfg.episodes_per_round,
                "finetune_steps": cfg.finetune_steps, "finetune_lr": cfg.finetune_lr, "seed": cfg.run.seed,
                "feedback": OmegaConf.to_container(cfg.feedback, resolve=True),
                **{key: OmegaConf.to_container(cfg[key], resolve=True) for key in ("teacher", "reward", "query", "reward_train", "objective")
                   if cfg.get(key) is not None}}

    def _progress(self) -> dict[str, list[RoundResult]]:
        path = self.run_dir / PROGRESS
        if not path.exists():
            return {"rounds": [], "baseline": []}
        saved = json.loads(path.read_text())
        if saved.get("settings") != json.loads(json.dumps(self._settings())):
            raise ValueError(f"{self.run_dir} holds an improvement run with other settings; resume it with the same "
                             "command, or choose a new run.dir")
        return {arm: [RoundResult(**row) for row in saved.get(arm, [])] for arm in ("rounds", "baseline")}

    def _save_progress(self, rounds: list[RoundResult], baseline: list[RoundResult]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / PROGRESS).write_text(json.dumps({"settings": self._settings(), "rounds": [asdict(r) for r in rounds],
                                                         "baseline": [asdict(r) for r in baseline]}, indent=2))

    def _trim(self, data: Path, finished: int) -> None:
        """Drop the episodes of a round that never finished (its rollouts or demos were recorded, its learning was not)."""
        episodes = DatasetMeta.load(data).episodes if (data / "meta/info.json").exists() else []
        unfinished = [int(ep["episode_index"]) for ep in episodes if int(ep.get("round") or 0) > finished]
        if unfinished:
            from robot_hf.dataset.edit import delete_episodes

            delete_episodes(data, unfinished)
            self.status.update(f"resuming after round {finished}: dropped {len(unfinished)} episode(s) of the round that "
                               f"was cut off in {data}", force=True)

    def _run(self) -> ImproveResult:
        cfg, imp = self.cfg, self.imp
        self._check_features()
        start = pretrained_dir(cfg.policy.path)
        progress = self._progress()
        rounds = progress["rounds"][: imp.rounds + 1] or [self._start(start)]
        self._save_progress(rounds, progress["baseline"])
        data = _copy_dataset(Path(cfg.dataset.root), self.run_dir / "data" / self.method)
        self._trim(data, len(rounds) - 1)
        current, cumulative = Path(rounds[-1].checkpoint), rounds[-1].cumulative_human_frames
        for r in range(len(rounds), imp.rounds + 1):
            began = time.perf_counter()
            policy = self._policy(current, rounds[-1].rerank)
            robot, person = self.site.open_round(r, policy, self.kind)
            try:
                with DatasetWriter.open(data) as writer:
                    stats = run_session(robot, self.kind.actor(cfg, policy, person, robot), writer, imp.episodes_per_round,
                                        person=person, listeners=self.kind.listeners(cfg, person),
                                        seed=ROLLOUT_SEED + 1000 * r, episode_meta={"round": r}, realtime=self.site.realtime,
                                        max_steps=cfg.eval.max_steps, reset_time_s=cfg.eval.reset_time_s,
                                        status=self.status, label="rollout", on_abort=self.site.release)
            finally:
                self.site.close_round(robot, person)
            weights, learned = self.kind.weights(DatasetReader(data), cfg, r, site=self.site, policy=policy)
            per_class = learned["class_weights"]
            self.status.update(f"round {r}: learning with {self.method}: "
                               f"{learned.get('describe') or describe_classes(learned['frames'], per_class)}", force=True)
            if learned.get("finetune", True):
                current = self._finetune(current, data, weights, self.run_dir / "rounds" / f"{self.method}_{r}")
            rerank = learned.get("rerank")
            cumulative += stats.human_frames
            corrections = sum(ep.get("corrections", 0) for ep in stats.episodes)
            typing = sum(ep.get("correction_seconds", 0.0) for ep in stats.episodes)
            labeling = float(learned.get("labeling_seconds", 0.0))
            rounds.append(_evaluated(r, self._evaluate(current, f"{self.method}_round_{r}", rerank), stats.human_frames, cumulative,
                                     takeovers=stats.takeovers, rollout_success=stats.success_rate, classes=learned["frames"],
                                     class_weights=per_class, checkpoint=str(current),
                                     person_seconds=round(stats.driving_s + typing + labeling, 1),
                                     attention_seconds=round(stats.watching_s, 1), corrections=corrections,
                                     corrections_per_episode=corrections / max(1, len(stats.saved)),
                                     correction_seconds=round(typing, 1), labels=int(learned.get("labels_asked", 0)),
                                     labeling_seconds=labeling, learned_score=learned.get("learned_score", {}).get(r),
                                     learned_score_previous=learned.get("learned_score", {}).get(r - 1), rerank=rerank,
                                     wall_seconds=round(time.perf_counter() - began, 1)))
            self._save_progress(rounds, progress["baseline"])
        baseline = []
        if imp.baseline and self.site.has_sim:
            baseline = self._baseline(rounds, progress["baseline"])
        elif imp.baseline:
            self.status.update("the more-demos baseline runs in simulation only (a simulated teleoperator records its demos): "
                               "skipped on the arm", force=True)
        result = ImproveResult(self.method, self.site.task["name"], rounds, baseline)
        from robot_hf.feedback.report import write_report

        result.report = write_report(result, self.run_dir)
        (self.run_dir / "improve.json").write_text(json.dumps(result.to_dict(), indent=2))
        return result

    def _baseline(self, rounds: list[RoundResult], done: list[RoundResult]) -> list[RoundResult]:
        """The same person-seconds each round as the learner's, spent on new demonstrations from the simulated
        teleoperator: its frames driven, plus as many frames as its corrections took seconds to say and its preference
        labels to answer (a demo frame costs 1/fps s of driving).

        Never over the budget: the demonstration that would pass it is cut where the budget runs out (a person told
        "you have N more frames" stops there), so both arms spend the same effort. Resumes after `done`.
        """
        from sim.teleop import ScriptedTeleopConfig, SimulatedTeleoperator

        data = _copy_dataset(Path(self.cfg.dataset.root), self.run_dir / "data" / "more_demos")
        results = done or [rounds[0]]
        self._trim(data, len(results) - 1)
        current, cumulative = Path(results[-1].checkpoint), results[-1].cumulative_human_frames
        for r in range(len(results), len(rounds)):
            began = time.perf_counter()
            robot = self.site.robot()
            budget = rounds[r].human_frames + int((rounds[r].correction_seconds + rounds[r].labeling_seconds) * robot.fps)
            teleop = SimulatedTeleoperator(robot, ScriptedTeleopConfig(seed=self.site.people(r),
                                                                       operators=max(1, self.cfg.feedback.intervener.operators)))
            with DatasetWriter.open(data) as writer:  # demonstrations (re-recorded takes too) until the budget is spent
                recorded = run_session(robot, TeleoperatorActor(teleop), writer, 1000, person=teleop,
                                       seed=BASELINE_SEED + 1000 * r, status=self.status, max_human_frames=budget,
                                       episode_meta={"round": r})
            robot.disconnect()
            spent, seconds = recorded.human_frames, recorded.driving_s
            reader = DatasetReader(data)
            weights = np.ones(reader.num_frames, np.float32)
            current = self._finetune(current, data, weights, self.run_dir / "rounds" / f"more_demos_{r}", learner=False)
            cumulative += spent
            results.append(_evaluated(r, self._evaluate(current, f"more_demos_round_{r}"), spent, cumulative, checkpoint=str(current),
                                      person_seconds=round(seconds, 1), wall_seconds=round(time.perf_counter() - began, 1)))
            self._save_progress(rounds, results)
        return results
