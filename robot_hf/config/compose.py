"""Compose a command's hydra config from configs/, with errors that name the key and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A command line override or config file that hydra could not turn into a valid config."""


@contextmanager
def config_errors() -> Iterator[None]:
    """ValueErrors raised while a config section is built or checked (the policies package checks its dataclasses with
    ValueError, knowing nothing of robot-hf's CLI) are the user's bad input: ConfigError, exit 2, nothing written."""
    try:
        yield
    except ConfigError:
        raise
    except ValueError as e:
        raise ConfigError(str(e)) from None


def config_dir() -> Path:
    """configs/ shipped in the wheel (robot_hf/configs) or beside the package in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "configs", package.parent / "configs"):
        if (candidate / "task").is_dir():
            return candidate
    raise FileNotFoundError(f"robot-hf's configs/ directory was not found next to {package}; reinstall robot-hf")


def _error_text(exc: BaseException) -> str:
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).strip()
        # OmegaConf chains a template of its message ('$VALUE') and the raw Python error; skip both.
        if text and text not in parts and "$" not in text and not isinstance(exc, (TypeError,)) and not text.startswith("invalid literal"):
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _nested_choices(overrides: Sequence[str]) -> list[str]:
    """`policy.low=mlp` -> `policy@policy.low=mlp` where a group option nests that group at that key (`- /policy@low: ...`
    in configs/policy/hierarchical.yaml), so a nested choice reads like any other key."""
    root, out = config_dir(), []
    for o in overrides:
        key, eq, value = o.partition("=")
        group, _, sub = key.partition(".")
        if (eq and sub and "." not in sub and not key.startswith(("+", "~")) and "@" not in key and "/" not in key
                and (root / group / f"{value}.yaml").exists()
                and any(f"/{group}@{sub}:" in f.read_text() for f in (root / group).glob("*.yaml"))):
            o = f"{group}@{key}={value}"
        out.append(o)
    return out


def compose(command: str, overrides: Sequence[str] = ()) -> DictConfig:
    """The resolved-on-access config of `command` (configs/<command>.yaml) with overrides applied; a group chosen after
    `experiment=...` on the command line keeps its own values (what the user types last wins)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from robot_hf.config.registry import register_schemas

    register_schemas()
    GlobalHydra.instance().clear()
    overrides = _nested_choices(overrides)
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        try:
            cfg = hydra_compose(config_name=command, overrides=overrides)
            with_objective = _objective_of_method(cfg, overrides)
            if with_objective != overrides:
                overrides, cfg = with_objective, hydra_compose(config_name=command, overrides=with_objective)
            return _after_experiment(cfg, command, overrides, hydra_compose)
        except Exception as e:  # noqa: BLE001 - every hydra/omegaconf error becomes a ConfigError
            text = _error_text(e)
            unknown = re.search(r"Could not override '([^']+)'", text)
            if unknown and "not in" in text:
                others = [o for o in overrides if not o.lstrip("+~").startswith(unknown.group(1) + "=")]
                try:
                    base = hydra_compose(config_name=command, overrides=others)
                except Exception:  # noqa: BLE001 - the suggestion is best effort
                    base = None
                key = unknown.group(1)
                if base is not None and key in _flat_keys(base):  # the key exists: an entry new to an open map
                    raise ConfigError(f"{key} is a map of named entries; add one with a leading +: "
                                      f"'+{next(o for o in overrides if o.startswith(key + '='))}'") from None
                raise ConfigError(_unknown_key(key, base, command)) from None
            raise ConfigError(text) from None


def has_objective_preset(method: Any) -> bool:
    """Whether `feedback.method` names an objective preset (configs/objective/dpo.yaml): the objective it trains with."""
    return isinstance(method, str) and (config_dir() / "objective" / f"{method}.yaml").is_file()


def _objective_of_method(cfg: DictConfig, overrides: list[str]) -> list[str]:
    """A `feedback.method` with an objective preset of its name (configs/objective/dpo.yaml) trains with that preset
    unless the overrides choose `objective=...`: the overrides with that choice first, so the user's objective.* keys
    still apply on top of it (and `--cfg job` prints the objective that runs)."""
    method = OmegaConf.select(cfg, "feedback.method", default=None, throw_on_missing=False)
    chosen = any(o.lstrip("+").split("=")[0] == "objective" for o in overrides)
    if chosen or "objective" not in cfg or cfg.objective.get("name") == method or not has_objective_preset(method):
        return overrides
    return [f"objective={method}", *overrides]


def _after_experiment(cfg: DictConfig, command: str, overrides: Sequence[str], hydra_compose) -> DictConfig:
    """Hydra applies an experiment preset after every group, so `experiment=lift_lowdim train=tiny` ended with the
    preset's train.steps; here each group chosen after the experiment takes its values as composed without it."""
    position = next((i for i, o in enumerate(overrides) if o.lstrip("+").split("=")[0] == "experiment"), None)
    if position is None:
        return cfg
    later = [o.split("=")[0] for o in overrides[position + 1:]
             if "=" in o and not o.startswith(("~", "+")) and (config_dir() / o.split("=")[0]).is_dir()]
    if not later:
        return cfg
    without = hydra_compose(config_name=command, overrides=[o for i, o in enumerate(overrides) if i != position])
    for group in later:
        setattr(cfg, group, without[group])
    return cfg


def _flat_keys(node: Any, prefix: str = "") -> list[str]:
    if not isinstance(node, DictConfig):
        return []
    keys = []
    for key in node:
        path = f"{prefix}{key}"
        keys.append(path)
        keys += _flat_keys(node._get_node(key), path + ".")
    return keys


def _unknown_key(key: str, base: DictConfig | None, command: str) -> str:
    """One line: the key that does not exist, and the closest one that does."""
    import difflib

    keys = _flat_keys(base) if base is not None else []
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    parent = key.rsplit(".", 1)[0] if "." in key else ""
    siblings = sorted(k.rsplit(".", 1)[-1] for k in keys if k.rsplit(".", 1)[0] == parent and "." in k) if parent else []
    hint = f"did you mean {close[0]}?" if close else (
        f"valid keys under '{parent}': {', '.join(siblings)}" if siblings else "check the spelling")
    return (f"unknown key {key!r}: {hint} (`robot-hf {command.replace('_', '-')} --cfg job` prints every key; "
            "a leading + does not add settings either)")


def to_yaml(cfg: DictConfig) -> str:
    return OmegaConf.to_yaml(cfg, resolve=True)
