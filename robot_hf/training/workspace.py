"""The training workspace: owns the loop, optimiser, schedule, EMA, checkpoints, logs and evaluations.

Checkpoints are picked by rollout success, not validation loss (robomimic's finding). A run resumes
exactly from its last checkpoint: weights, optimiser, schedule, EMA, RNG, and the batch order (batches
are a pure function of the step).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from policies.base import Policy
from policies.saved import load_weights
from robot_hf.config.compose import ConfigError, config_errors
from robot_hf.dataset import DatasetReader
from robot_hf.dataset.action_lag import lag_per_frame
from robot_hf.training import distributed as dist_utils
from robot_hf.training.checkpoint import PRETRAINED, Checkpoints, pretrained_dir, set_rng_state
from robot_hf.training.config import TrainConfig
from robot_hf.training.ema import EMA
from robot_hf.training.logger import TrainLogger
from robot_hf.training.objectives import make_objective, objective_config
from robot_hf.training.sampler import StepBatchSampler
from robot_hf.training.setup import (
    build_policy,
    build_windows,
    check_task,
    dataset_features,
    fit_crop,
    policy_config_from,
)
from robot_hf.training.speed import (
    autocast,
    channels_last_hazard,
    grad_scaler,
    make_adamw,
    resolve_precision,
    to_channels_last,
)


@dataclass
class TrainResult:
    run_dir: Path
    last: Path | None
    best: Path | None
    steps: int
    # Optimisation only: time in evaluations and checkpoint saves is left out (train_seconds); wall_seconds has it.
    steps_per_second: float
    wall_seconds: float
    parameters: int
    final_loss: float
    evals: list[dict[str, Any]] = field(default_factory=list)
    losses: list[tuple[int, float]] = field(default_factory=list)
    train_seconds: float = 0.0
    checkpoint_bytes: int = 0
    # False on the other ranks of a distributed run: only rank 0 writes the run's files and reports.
    is_main: bool = True


def _lr_lambda(cfg: TrainConfig):
    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / max(1, cfg.warmup_steps)
        if cfg.lr_schedule == "constant":
            return 1.0
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    if cfg.lr_schedule not in ("cosine", "constant"):
        raise ValueError(f"train.lr_schedule must be 'cosine' or 'constant', got {cfg.lr_schedule!r}")
    return factor


def _to_device(batch: dict[str, Any], device: str) -> dict[str, Any]:
    return {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}


def seed_everything(seed: int) -> None:
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TrainWorkspace:
    def __init__(self, cfg: DictConfig, weights: np.ndarray | None = None, quiet: bool = False):
        self.cfg = cfg
        self.train_cfg: TrainConfig = OmegaConf.to_object(cfg.train) if isinstance(cfg.train, DictConfig) else cfg.train
        self.weights = weights
        self.quiet = quiet
        self.run_dir = Path(cfg.run.dir)

    def _task(self, reader: DatasetReader) -> dict[str, Any] | None:
        """The sim task to check against and evaluate in: the one named (task=...), else the one the dataset was
        recorded in, with any task.* keys given (an experiment's image size, say) on top."""
        recorded = reader.meta.robot_hf.get("task_config")
        given = OmegaConf.to_container(self.cfg.task, resolve=True) if self.cfg.get("task") is not None else {}
        given = {k: v for k, v in given.items() if v != "???"}
        if "name" in given:
            return given
        if given and recorded is None:
            raise ValueError(f"task.{min(given)} is set but dataset {reader.root} names no sim task: "
                             "choose one with task=<name>, or drop the task.* keys")
        return {**recorded, **given} if recorded is not None else None

    def _load_start_policy(self, reader: DatasetReader):
        """A fresh policy from the config, or (policy.path) a checkpoint to fine-tune, checked against the data."""
        path = self.cfg.policy.get("path")
        if path:
            policy = Policy.from_pretrained(pretrained_dir(path))
            have = dataset_features(reader, list(policy.config.features["cameras"]), self.cfg.dataset.get("camera_keys"))
            want = policy.config.features
            if (have["state_dim"], have["action_dim"]) != (want["state_dim"], want["action_dim"]):
                raise ConfigError(
                    f"checkpoint {path} expects state {want['state_dim']} / action {want['action_dim']}, "
                    f"dataset {reader.root} has state {have['state_dim']} / action {have['action_dim']}"
                )
            if getattr(policy.config, "motions", None) and self.cfg.get("motions") is not None:
                # The vocabulary stays the policy's (its high level scores those texts); how paths and corrections
                # are read (thresholds, window, a correction's lead) is the command's.
                given = OmegaConf.to_container(self.cfg.motions, resolve=True)
                own = policy.config.motions
                policy.config.motions = {**given, "vocabulary": own.get("vocabulary", []), "extra": own.get("extra", [])}
            missing = [k for k in policy.config.auxiliary_targets if k not in reader.features]
            if missing:
                # Frozen, not merely unused: DistributedDataParallel stops at a parameter that gets no gradient.
                policy.target_head.requires_grad_(False)
                if not self.quiet:
                    print(f"dataset {reader.root} has no {missing}: the checkpoint's auxiliary targets are left out of this training")
            return policy.config, policy
        config = policy_config_from(self.cfg.policy)
        config.features = dataset_features(reader, config.cameras, self.cfg.dataset.get("camera_keys"), config.auxiliary_targets)
        if hasattr(config, "motions") and not config.motions and self.cfg.get("motions") is not None:
            # A policy that learns language motions keeps the vocabulary and labelling it was trained with.
            config.motions = OmegaConf.to_container(self.cfg.motions, resolve=True)
        with config_errors():
            config.check()
        note = fit_crop(config)
        if note and not self.quiet:
            print(note)
        return config, None

    def run(self) -> TrainResult:
        cfg, tc = self.cfg, self.train_cfg
        requested = dist_utils.resolve_device(cfg.run.device, dist_utils.DistInfo())
        info = dist_utils.init_distributed(requested)
        device = dist_utils.resolve_device(cfg.run.device, info)
        main = info.main  # rank 0 saves, evaluates and logs
        verbose = main and not self.quiet
        seed_everything(cfg.run.seed + info.rank)
        if not cfg.dataset.root:
            raise ValueError("dataset.root is not set: point it at a recorded dataset (robot-hf record ... dataset.root=...)")
        reader = DatasetReader(cfg.dataset.root)
        config, start_policy = self._load_start_policy(reader)
        self.task = self._task(reader)
        if start_policy is None and self.task is not None:  # eval and rollout default to the task it was trained for
            config.features["task"] = self.task
        if self.task is not None:  # evaluation on or off: a policy that cannot drive its task is refused now
            check_task(config.features, self.task, f"dataset {reader.root}")
        evaluating = self.task is not None and (tc.eval_every > 0 or tc.eval_final) and cfg.eval.episodes > 0
        chosen = list(range(reader.num_episodes)) if tc.episodes is None else list(tc.episodes)
        unknown = [e for e in chosen if not 0 <= e < reader.num_episodes]
        if unknown:
            raise ConfigError(f"train.episodes: {unknown} are not episodes of {reader.root}, which holds 0..{reader.num_episodes - 1}")
        if not chosen:
            raise ConfigError(f"train.episodes is empty: name episodes of {reader.root} (0..{reader.num_episodes - 1}) or null for all")
        held_out = validation_episodes(chosen, tc.val_fraction) if self.task is None else []
        note = None
        if self.task is None:
            note = (f"no sim task for dataset {reader.root} (name one with task=... to evaluate rollouts): rollout evaluation "
                    "is skipped; " + (f"checkpoints are kept by the loss on {len(held_out)} held-out episode(s) {held_out}"
                                      if held_out else "checkpoints are kept by training loss (too few episodes to hold one out)"))
        train_episodes = [e for e in chosen if e not in held_out]
        try:
            lag = lag_per_frame(reader, tc.action_lag)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        windows = build_windows(reader, config, train_episodes, self.weights, tc.cache, lag)
        val_windows = build_windows(reader, config, held_out, None, tc.cache, lag) if held_out else None
        policy = start_policy if start_policy is not None else build_policy(config, windows)
        policy = policy.to(device).train()
        # Built before a resume loads its weights: a preference objective's reference is the start policy.
        objective_cfg = objective_config(cfg)
        objective = make_objective(objective_cfg, policy, reader, windows, cfg.run.seed, start_policy is not None)
        params = [p for p in policy.parameters() if p.requires_grad]
        channels_last_off = channels_last_hazard(policy, device) if tc.channels_last else None
        if tc.channels_last and channels_last_off is None:
            to_channels_last(policy)
        optimizer = make_adamw(params, tc.fused_optimizer, lr=tc.lr * objective_cfg.lr_scale, betas=tuple(tc.betas),
                               weight_decay=tc.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(tc))
        ema = EMA(policy, tc.ema) if tc.ema.enable else None
        checkpoints = Checkpoints(self.run_dir, tc.keep_last)
        step, best, evals, losses = 0, None, [], []
        if tc.resume:
            last = checkpoints.last()
            if last is None:
                raise FileNotFoundError(f"train.resume: no checkpoint under {checkpoints.dir}; start without resume")
            state = checkpoints.load_state(last)
            policy.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            if ema is not None:
                if "model" in state["ema"]:  # a run from before the EMA weights were kept once
                    ema.load_state_dict(state["ema"])
                else:  # the EMA weights are the saved policy's own, in pretrained_model beside the state
                    load_weights(ema.model, last / PRETRAINED, device)
                    ema.step = int(state["ema"]["step"])
            step, best, evals, losses = state["step"], state.get("best"), state.get("evals", []), state.get("losses", [])
            set_rng_state(state["rng"])
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            (self.run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        train_model = policy
        if info.enabled:
            train_model = torch.nn.parallel.DistributedDataParallel(policy, device_ids=[info.local_rank] if device.startswith("cuda") else None)
        if tc.compile:
            train_model = torch.compile(train_model)
        precision = resolve_precision(tc.precision, device)
        scaler = grad_scaler(precision, device)
        sampler = StepBatchSampler(len(windows), tc.batch_size, tc.steps, cfg.run.seed, step, info.rank, info.world_size)
        # Its own generator: starting the loader must not draw from the global RNG restored on resume.
        loader = torch.utils.data.DataLoader(windows, batch_sampler=sampler, num_workers=tc.num_workers,
                                             collate_fn=lambda b: b, pin_memory=device.startswith("cuda"),
                                             generator=torch.Generator().manual_seed(cfg.run.seed))
        logger = TrainLogger(self.run_dir, tc.steps, step, enabled=main, console=verbose, progress_every_s=tc.progress_every_s)
        if verbose and note:
            logger.print(note)
        n_params = sum(p.numel() for p in policy.parameters())
        if verbose:
            variant = f" ({config.denoiser})" if getattr(config, "denoiser", "") else ""
            logger.print(f"policy {config.name}{variant}: {n_params / 1e6:.2f} M parameters; "
                         f"{len(windows)} training windows from {len(train_episodes)} episodes"
                         f"{f' (frames cached in {windows.cache_place})' if windows.cached else ''}; device {device}, {precision}"
                         f"{f'; {channels_last_off}' if channels_last_off else ''}")
        t_start = time.perf_counter()
        t_window, window_steps, loss_sum = time.perf_counter(), 0, 0.0
        start_step, paused = step, 0.0  # paused: seconds in evaluations and saves, kept out of steps/s
        try:
            for batch in loader:
                batch = _to_device(batch, device)
                with autocast(precision, device):
                    out = objective.loss(train_model, batch, step)
                loss = out["loss"].float()
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at step {step}; lower train.lr or check the data")
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                grad_norm = torch.nn.utils.clip_grad_norm_(params, tc.grad_clip) if tc.grad_clip > 0 else torch.tensor(0.0)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                if ema is not None:
                    ema.update(policy)
                step += 1
                loss_value = float(loss.detach())
                losses.append((step, loss_value))
                loss_sum += loss_value
                window_steps += 1
                if step % tc.log_every == 0 or step == tc.steps:
                    rate = window_steps / max(1e-9, time.perf_counter() - t_window)
                    values = {"loss": loss_sum / window_steps, "lr": scheduler.get_last_lr()[0], "grad_norm": float(grad_norm),
                              "steps_per_s": rate}
                    values.update({k: float(v) for k, v in out.items() if k != "loss"})
                    logger.log(step, values)
                    logger.status(step, f"loss {values['loss']:.4f}  {rate:.1f} steps/s")
                    t_window, window_steps, loss_sum = time.perf_counter(), 0, 0.0
                acting = ema.model if ema is not None else policy
                save_now = step % tc.save_every == 0 or step == tc.steps
                eval_now = (tc.eval_every > 0 and step % tc.eval_every == 0) or (step == tc.steps and tc.eval_final)
                t_pause = time.perf_counter()
                if main and save_now or main and eval_now:
                    ckpt = checkpoints.save(step, acting, self._state(policy, optimizer, scheduler, ema, step, best, evals, losses))
                    result = None
                    if eval_now and evaluating:
                        result = self._evaluate(acting, step, logger)
                        logger.log(step, {"eval/success_rate": result["success_rate"], "eval/mean_max_reward": result["mean_max_reward"],
                                          "eval/mean_max_progress": result["mean_max_progress"]})
                    elif self.task is None:  # no sim: every saved checkpoint is scored on the held-out episodes
                        result = self._validate(acting, val_windows, step, losses, logger)
                    if result is not None:
                        evals.append(result)
                        if best is None or _rank(result) > _rank(best):
                            best = {**result, "checkpoint": ckpt.name}
                            checkpoints.mark_best(ckpt, best)
                        # the pointer to the best result is part of the state: save it again
                        checkpoints.save(step, acting, self._state(policy, optimizer, scheduler, ema, step, best, evals, losses))
                dist_utils.barrier(info) if (save_now or eval_now) else None
                pause = time.perf_counter() - t_pause
                paused += pause
                t_window += pause
        finally:
            logger.close()
            dist_utils.shutdown(info)
        if main and best is None and checkpoints.last() is not None:
            # No evaluation ran (train.eval_every=0, train.eval_final=false): best is the last policy, and says so.
            checkpoints.mark_best(checkpoints.last(), {"step": step, "checkpoint": checkpoints.last().name,
                                                       "chosen_by": "last step (no evaluation ran)"})
        wall = time.perf_counter() - t_start
        return TrainResult(
            run_dir=self.run_dir, last=checkpoints.last(), best=(checkpoints.dir / "best") if (checkpoints.dir / "best").exists() else None,
            checkpoint_bytes=checkpoints.disk_bytes() if main else 0, is_main=main,
            steps=step, steps_per_second=(step - start_step) / max(wall - paused, 1e-9), wall_seconds=wall, parameters=n_params,
            final_loss=losses[-1][1] if losses else float("nan"), evals=evals, losses=losses, train_seconds=wall - paused,
        )

    def _state(self, policy, optimizer, scheduler, ema, step, best, evals, losses) -> dict[str, Any]:
        return {"model": policy.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                # The EMA weights are the checkpoint's pretrained_model: only the EMA's step count is kept here.
                "ema": {"step": ema.step} if ema is not None else None, "step": step, "best": best, "evals": evals,
                "losses": losses}

    @torch.no_grad()
    def _validate(self, policy, windows, step: int, losses: list[tuple[int, float]], logger: TrainLogger) -> dict[str, Any]:
        """The mean loss on held-out episodes, with the same noise every time (common random numbers across checkpoints)."""
        if windows is None:
            recent = [loss for _, loss in losses[-max(1, self.train_cfg.log_every):]]
            return {"step": step, "loss": float(np.mean(recent)), "split": "train"}
        device = next(policy.parameters()).device
        was_training = policy.training
        policy.eval()
        total, count = 0.0, 0
        cuda = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(0)
            for start in range(0, len(windows), self.train_cfg.batch_size):
                positions = list(range(start, min(start + self.train_cfg.batch_size, len(windows))))
                loss = policy.compute_loss(_to_device(windows.__getitems__(positions), str(device)))["loss"]
                total, count = total + float(loss) * len(positions), count + len(positions)
        policy.train(was_training)
        result = {"step": step, "loss": total / max(1, count), "split": "validation", "windows": count}
        logger.log(step, {"val/loss": result["loss"]})
        logger.print(f"step {step}: validation loss {result['loss']:.4f} on {count} held-out windows")
        return result

    def _evaluate(self, policy, step: int, logger: TrainLogger) -> dict[str, Any]:
        from robot_hf.evaluation.rollout import evaluate

        cfg, task = self.cfg, self.task
        logger.status(step, f"evaluating {cfg.eval.episodes} episodes ...")
        result = evaluate(policy, task, cfg.eval.episodes, cfg.eval.num_envs, cfg.eval.seed, cfg.eval.max_steps,
                          video_dir=self.run_dir / "eval_videos" / f"step_{step:07d}", videos=cfg.eval.videos,
                          video_height=cfg.eval.video_height)
        logger.print(f"step {step}: {result.line()}")
        return {"step": step, **result.summary()}


def validation_episodes(episodes: list[int], fraction: float) -> list[int]:
    """Every k-th episode, spread over the recording (sessions on different days), at least one when two or more."""
    if len(episodes) < 2 or fraction <= 0:
        return []
    if fraction >= 1:
        raise ValueError(f"train.val_fraction={fraction} would hold out every episode; use a fraction below 1 (e.g. 0.1)")
    count = max(1, int(round(fraction * len(episodes))))
    picks = np.linspace(0, len(episodes) - 1, count + 2)[1:-1].round().astype(int)
    return sorted({episodes[i] for i in picks})


def _rank(result: dict) -> tuple[float, ...]:
    """Best checkpoint: success first, then reward, then how far failing episodes get (progress); without a sim,
    the lowest held-out loss (or training loss)."""
    if "success_rate" not in result:
        return (-result["loss"],)
    return result["success_rate"], result["mean_max_reward"], result.get("mean_max_progress", 0.0)  # older runs lack progress
