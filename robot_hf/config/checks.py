"""Value checks hydra's types cannot express (a count must be positive, a folder must not be a file), run on the
composed config before a command runs, so bad input stops with one line naming the field and the fix, and exit 2.

Each rule names a config path; a command is checked against every rule whose path its config has.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from robot_hf.config.compose import ConfigError
from robot_hf.training.config import PRECISIONS
from robot_hf.training.objectives.config import DPO_LOSSES, SOURCES


@dataclass(frozen=True)
class Rule:
    path: str
    ok: Callable[[object], bool]
    fix: str


def _positive(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v > 0


def _at_least_zero(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v >= 0


def _optional(check: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda v: v is None or check(v)


def _cache_modes() -> tuple[str, ...]:
    from robot_hf.dataset.windows import CACHE_MODES  # imported when a train config is checked, not for every command

    return CACHE_MODES


def _not_a_file(v) -> bool:
    roots = [v] if isinstance(v, str) or v is None else list(v)
    return all(r is None or not Path(str(r)).is_file() for r in roots) and all(r != "" for r in roots)


RULES = (
    Rule("train.steps", _positive, "a positive number of optimisation steps, e.g. train.steps=2000"),
    Rule("train.batch_size", _positive, "a positive batch size, e.g. train.batch_size=64"),
    Rule("train.lr", _positive, "a positive learning rate, e.g. train.lr=1e-4"),
    Rule("train.warmup_steps", _at_least_zero, "0 or more warm-up steps"),
    Rule("train.log_every", _positive, "log every N steps, N positive"),
    Rule("train.save_every", _positive, "save every N steps, N positive"),
    Rule("train.eval_every", _at_least_zero, "0 (no evaluation during training) or a positive number of steps"),
    Rule("train.keep_last", _positive, "keep at least 1 checkpoint"),
    Rule("train.num_workers", _at_least_zero, "0 (load in the training process) or more worker processes"),
    Rule("train.val_fraction", lambda v: _at_least_zero(v) and v < 1, "a fraction in [0, 1) of episodes to hold out"),
    Rule("train.grad_clip", _at_least_zero, "0 (no clipping) or a positive gradient norm"),
    Rule("train.cache", lambda v: v in _cache_modes(), "auto (memory when the frames fit, else the on-disk frame cache), memory, disk or none"),
    Rule("train.precision", lambda v: v in PRECISIONS, f"one of {', '.join(PRECISIONS)} (auto: bf16 where the device has bf16 units)"),
    Rule("eval.episodes", _positive, "a positive number of evaluation episodes, e.g. eval.episodes=50"),
    Rule("eval.num_envs", _positive, "a positive number of environments stepped together"),
    Rule("eval.videos", _at_least_zero, "0 or more episodes to film"),
    Rule("eval.video_height", lambda v: isinstance(v, int) and 16 <= v <= 480, "a video height from 16 to 480 pixels (MuJoCo's offscreen buffer)"),
    Rule("eval.max_steps", _optional(_positive), "null (the task's limit) or a positive number of steps"),
    Rule("eval.reset_time_s", _at_least_zero, "0 or more seconds between episodes"),
    Rule("dataset.num_episodes", _positive, "a positive number of episodes, e.g. dataset.num_episodes=50"),
    Rule("dataset.fps", _optional(_positive), "null (the robot's rate) or a positive rate"),
    Rule("dataset.root", _not_a_file, "a folder for the dataset, not a file"),
    Rule("record.episode_time_s", _optional(_positive), "null (the task's limit) or a positive number of seconds"),
    Rule("record.reset_time_s", _at_least_zero, "0 or more seconds between episodes"),
    Rule("run.dir", lambda v: v != "" and not Path(str(v)).is_file(), "a folder for the run's outputs, not a file"),
    Rule("rounds", _positive, "a positive number of improvement rounds"),
    Rule("episodes_per_round", _positive, "a positive number of rollouts per round"),
    Rule("eval_episodes", _positive, "a positive number of evaluation episodes"),
    Rule("finetune_steps", _positive, "a positive number of fine-tuning steps per round"),
    Rule("finetune_lr", _positive, "a positive fine-tuning learning rate"),
    Rule("objective.sources", lambda v: isinstance(v, list) and set(v) <= set(SOURCES),
         f"a list of preference sources from {', '.join(SOURCES)}, e.g. objective.sources=[teacher]"),
    Rule("objective.dpo_loss", lambda v: v in DPO_LOSSES, "sigmoid (Diffusion-DPO's) or ipo (IPO's squared loss)"),
    Rule("feedback.branches.states", lambda v: isinstance(v, int) and v >= 0, "0 (no on-policy pairs) or a number of branch points per round"),
    Rule("feedback.branches.k", lambda v: isinstance(v, int) and v >= 2, "2 or more continuations per branch point (a pair needs two)"),
    Rule("feedback.branches.steps", _positive, "a positive number of steps per continuation, e.g. 16 (the diffusion horizon)"),
    Rule("feedback.corrector.input", lambda v: v in ("typed", "keys"), "typed (paraphrases, at chars_per_s) or keys (the motions' hotkeys)"),
    Rule("demos", _positive, "a positive number of demonstrations"),
    Rule("episode", _at_least_zero, "the index of a recorded episode, 0 or more"),
)
# Commands that run a trained policy need one.
NEEDS_POLICY = ("eval", "rollout", "improve")


def check_config(command: str, cfg: DictConfig, overrides: Sequence[str] = ()) -> None:
    """Raise ConfigError naming the first bad field and its fix."""
    for rule in RULES:
        if OmegaConf.select(cfg, rule.path, default="<absent>", throw_on_missing=False) == "<absent>":
            continue
        value = OmegaConf.select(cfg, rule.path, throw_on_missing=False)
        value = OmegaConf.to_container(value) if isinstance(value, DictConfig | type(OmegaConf.create([]))) else value
        if not rule.ok(value):
            raise ConfigError(f"{rule.path}={value!r} is not valid: use {rule.fix}")
    if command in NEEDS_POLICY and OmegaConf.select(cfg, "policy.path", default=None, throw_on_missing=False) in (None, "???"):
        raise ConfigError("policy.path is not set: point it at a trained checkpoint, e.g. "
                          "policy.path=outputs/train/<run> (its best checkpoint)")
    _check_objective_of_method(cfg)
    _check_branches_in_sim(cfg)
    check_added_keys(cfg, overrides)


def _check_objective_of_method(cfg: DictConfig) -> None:
    """feedback.method=dpo trains with objective dpo (compose picks its preset); a different objective= contradicts it."""
    from robot_hf.config.compose import has_objective_preset

    method = OmegaConf.select(cfg, "feedback.method", default=None, throw_on_missing=False)
    name = OmegaConf.select(cfg, "objective.name", default=None, throw_on_missing=False)
    if name is not None and name != method and has_objective_preset(method):
        raise ConfigError(f"objective={name} contradicts feedback.method={method}: leave objective= out (the method "
                          f"trains with configs/objective/{method}.yaml) or set objective={method}")


def _check_branches_in_sim(cfg: DictConfig) -> None:
    """Branches restore a state by replaying a rollout from its seeded reset: only a simulated robot can."""
    states = OmegaConf.select(cfg, "feedback.branches.states", default=0, throw_on_missing=False)
    robot = OmegaConf.select(cfg, "robot.type", default="sim", throw_on_missing=False)
    if _positive(states) and robot != "sim":
        raise ConfigError(f"feedback.branches.states={states} needs a simulated robot (a branch restores a state by "
                          f"replaying a rollout from its seeded reset), not robot.type={robot}: set "
                          "feedback.branches.states=0 on a real arm")


def check_added_keys(cfg: DictConfig, overrides: Sequence[str]) -> None:
    """`+key=value` may add an entry to a mapping (a camera under robot.cameras), never a key no schema declares.

    The nearest schema above the new key decides: the segment under it must be one of its fields.
    """
    for override in overrides:
        if not override.startswith("+") or "=" not in override:
            continue
        key = override.lstrip("+").split("=", 1)[0]
        segments = key.split(".")
        for depth in range(len(segments) - 1, -1, -1):
            node = OmegaConf.select(cfg, ".".join(segments[:depth]), throw_on_missing=False) if depth else cfg
            schema = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
            if schema is None or not dataclasses.is_dataclass(schema):
                continue
            declared = [f.name for f in dataclasses.fields(schema)]
            if segments[depth] not in declared:
                where = ".".join(segments[:depth])
                close = difflib.get_close_matches(segments[depth], declared, n=1)
                hint = f"did you mean {'.'.join([*segments[:depth], close[0], *segments[depth + 1:]])}?" if close else \
                    f"valid keys{' under ' + where if where else ''}: {', '.join(declared)}"
                raise ConfigError(f"{key} is not a setting of this command (+ adds entries only to mappings such as "
                                  f"robot.cameras); {hint}")
            break
