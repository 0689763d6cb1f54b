"""Compose a command's hydra config from configs/, with errors that name the key and the fix."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf


class ConfigError(ValueError):
    """A command line override or config file that hydra could not turn into a valid config."""


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


def _keys_at(cfg: DictConfig, path: str) -> list[str] | None:
    node = cfg if not path else OmegaConf.select(cfg, path, default=None)
    return sorted(node.keys()) if isinstance(node, DictConfig) else None


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
    """The resolved-on-access config of `command` (configs/<command>.yaml) with overrides applied."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from robot_hf.config.registry import register_schemas

    register_schemas()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        try:
            return hydra_compose(config_name=command, overrides=_nested_choices(overrides))
        except Exception as e:  # noqa: BLE001 - every hydra/omegaconf error becomes a ConfigError
            text = _error_text(e)
            hint = _valid_keys_hint(text, command, overrides, hydra_compose)
            raise ConfigError(text + (f"\n{hint}" if hint else "")) from None


def _valid_keys_hint(text: str, command: str, overrides: Sequence[str], hydra_compose) -> str | None:
    """For an unknown key, list the keys that exist at that level."""
    match = re.search(r"Could not override '([^']+)'", text) or re.search(r"full_key: (\S+)", text)
    if not match or ("not in" not in text and "Could not override" not in text):
        return None
    bad = match.group(1)
    others = [o for o in overrides if not o.lstrip("+~").startswith(bad + "=")]
    try:
        base = hydra_compose(config_name=command, overrides=others)
    except Exception:  # noqa: BLE001 - the hint is best effort
        return None
    parent = bad.rsplit(".", 1)[0] if "." in bad else ""
    keys = _keys_at(base, parent)
    if keys is None:
        return None
    where = f"'{parent}'" if parent else "the top level"
    return f"Valid keys under {where}: {', '.join(keys)}"


def to_yaml(cfg: DictConfig) -> str:
    return OmegaConf.to_yaml(cfg, resolve=True)
