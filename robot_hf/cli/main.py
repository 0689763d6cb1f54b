"""`robot-hf`: one CLI, each subcommand composed from configs/ and hydra overrides."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
from collections.abc import Sequence

from robot_hf import __version__
from robot_hf.cli.commands import COMMANDS, DATASET_COMMANDS, REWARD_COMMANDS, Command
from robot_hf.config.compose import ConfigError

OWN_PACKAGES = {"robot_hf", "policies", "sim", "hardware"}
# Import names whose pip distribution is named differently.
PIP_NAMES = {"hid": "hidapi", "serial": "pyserial", "cv2": "opencv-python-headless", "yaml": "pyyaml"}
USER_ERRORS = (ValueError, KeyError, FileNotFoundError, FileExistsError, PermissionError, TimeoutError, ConnectionError)


def missing_package(e: BaseException) -> str | None:
    """What to install, when `e` says an optional or third-party package is missing; None for our own modules (a bug)."""
    if not isinstance(e, ImportError):
        return None
    if "pip install" in str(e):  # our own message naming the extra
        return str(e)
    top = (e.name or "").split(".")[0]
    if not isinstance(e, ModuleNotFoundError) or not top or top in OWN_PACKAGES:
        return None
    return f"the Python package '{top}' is not installed: pip install {PIP_NAMES.get(top, top)}"


# The first release of each that needs torch 2.6: transformers 5 disables an older torch, sentence-transformers 6 needs
# transformers 5, diffusers 0.41 calls torch.accelerator. pip cannot see this (none of them requires torch).
NEEDS_TORCH_2_6 = {"transformers": (5, 0), "sentence-transformers": (6, 0), "diffusers": (0, 41)}


def _release(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def torch_too_old() -> str | None:
    """What to install, when the installed torch is older than a library beside it needs; None when they fit."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    torch_version = installed("torch")
    if torch_version is None or _release(torch_version) >= (2, 6):
        return None
    newer = [f"{name} {v}" for name, first in NEEDS_TORCH_2_6.items() if (v := installed(name)) and _release(v) >= first]
    if not newer:
        return None
    return (f"torch {torch_version} is older than {', '.join(newer)} need (2.6): add the torch24 extra, which picks "
            "releases that run on it (pip install -e '.[torch24]' in a checkout), or install torch>=2.6")


def _groups_help(config: str) -> str:
    """The config groups a command composes, with their options and defaults."""
    from robot_hf.config.compose import config_dir

    root = config_dir()
    primary = root / f"{config}.yaml"
    defaults: dict[str, str] = {}
    if primary.exists():
        import yaml

        for entry in (yaml.safe_load(primary.read_text()) or {}).get("defaults", []):
            if isinstance(entry, dict):
                for k, v in entry.items():
                    defaults[k.replace("optional ", "").replace("override ", "")] = v
    lines = []
    for group, default in defaults.items():
        directory = root / group
        if directory.is_dir():
            options = sorted(p.stem for p in directory.glob("*.yaml"))
            lines.append(f"  {group:<11} {', '.join(options)}   (default: {default})")
    if not lines:
        return ""
    return "config groups (choose with group=option):\n" + "\n".join(lines)


def _add_command(sub: argparse._SubParsersAction, cmd: Command) -> None:
    epilog = "\n\n".join(
        p for p in (
            _groups_help(cmd.config),
            "Any key of the resolved config can be overridden with key=value (see --cfg job).",
            f"example:\n  {cmd.example}" if cmd.example else "",
        ) if p
    )
    parser = sub.add_parser(cmd.name, help=cmd.summary.replace("%", "%%"), description=cmd.summary, epilog=epilog,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    bare = f"; a bare argument sets {cmd.positional}" if cmd.positional else ""
    parser.add_argument("overrides", nargs="*", help=f"hydra overrides: key=value, group=option{bare}")
    parser.add_argument("--cfg", "-c", choices=["job"], help="print the resolved config and exit")
    parser.set_defaults(command=cmd)


def _add_group(sub: argparse._SubParsersAction, name: str, commands: list[Command], summary: str, description: str) -> None:
    """A command with subcommands (`robot-hf dataset info`); alone it prints its help."""
    group = sub.add_parser(name, help=summary, description=description)
    gsub = group.add_subparsers(title=f"{name} commands", metavar=f"<{name} command>")
    for cmd in commands:
        _add_command(gsub, cmd)
    group.set_defaults(command=None, parser=group)


def _quoted(value: str) -> str:
    """A value hydra's override grammar reads as one literal string, whatever characters a path holds."""
    return "'" + value.replace("'", "\\'") + "'"


def positional_overrides(cmd: Command, arguments: Sequence[str]) -> list[str]:
    """Bare arguments (no '=') as the command's positional key: `dataset info data/x` -> `dataset.root='data/x'`."""
    bare = [a for a in arguments if "=" not in a and not a.startswith("~")]
    if not bare:
        return list(arguments)
    if not cmd.positional:
        raise ConfigError(f"{bare[0]!r} is not a key=value override; {cmd.title} takes only overrides "
                          f"(e.g. {cmd.example.split(cmd.title, 1)[-1].strip() or 'key=value'})")
    if len(bare) > 1 and not cmd.many:
        raise ConfigError(f"{cmd.title} takes one {cmd.positional}, got {len(bare)} bare arguments {bare}")
    rest = [a for a in arguments if a not in bare]
    if cmd.many:
        return [*rest, f"{cmd.positional}=[{','.join(_quoted(b) for b in bare)}]"]
    return [*rest, f"{cmd.positional}={_quoted(bare[0])}"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="robot-hf",
        description="Robot learning from demonstrations and human feedback.",
        epilog="Run `robot-hf <command> --help` for a command's config groups and options.",
    )
    parser.add_argument("--version", action="version", version=f"robot-hf {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="<command>")
    for cmd in COMMANDS:
        _add_command(sub, cmd)
    _add_group(sub, "dataset", DATASET_COMMANDS, "dataset tools: info, validate, merge, delete-episodes, label-motions",
               "Dataset tools for LeRobot v3.0 datasets (robot-hf's and LeRobot's own).")
    _add_group(sub, "reward", REWARD_COMMANDS, "preference-learned rewards: train, eval, label (scripted teachers)",
               "Rewards learned from preferences between clips (Bradley-Terry ensembles on images).")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cmd: Command | None = getattr(args, "command", None)
    if cmd is None:
        (getattr(args, "parser", None) or parser).print_help()
        return 0
    logging.basicConfig(level=os.environ.get("ROBOT_HF_LOG", "INFO"), format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("OpenGL").setLevel(logging.WARNING)

    from robot_hf.config.compose import compose, to_yaml

    try:
        overrides = positional_overrides(cmd, args.overrides)
        cfg = compose(cmd.config, overrides)
        from robot_hf.config.checks import check_added_keys

        check_added_keys(cfg, overrides)  # before --cfg job too: a typo'd +key is never printed as if it were kept
    except ConfigError as e:
        print(f"{cmd.title}: invalid config: {e} (nothing was run or written)", file=sys.stderr)
        return 2
    if args.cfg == "job":
        print(to_yaml(cfg), end="")
        return 0
    from robot_hf.config.checks import check_config

    try:
        check_config(f"{cmd.prefix}{cmd.name}", cfg, overrides)
    except ConfigError as e:
        print(f"{cmd.title}: invalid config: {e} (nothing was run or written)", file=sys.stderr)
        return 2
    too_old = torch_too_old()
    if too_old:
        print(f"{cmd.title}: error: {too_old}", file=sys.stderr)
        return 1
    module_name, function = cmd.target.split(":")
    from robot_hf.session.signals import Terminated, stop_on_signals

    try:
        module = importlib.import_module(module_name)
        with stop_on_signals():
            return int(getattr(module, function)(cfg) or 0)
    except ConfigError as e:  # a value only the data could judge (train.episodes=[99]): bad input all the same
        print(f"{cmd.title}: invalid config: {e} (nothing was run or written)", file=sys.stderr)
        return 2
    except Terminated as e:
        print(f"{cmd.title}: stopped by {e}; what was recorded is kept", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"{cmd.title}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # MuJoCo's renderer failing to start is the machine's setup, not a bug
        if type(e).__module__.startswith("mujoco") and "OpenGL" in str(e) and not os.environ.get("ROBOT_HF_DEBUG"):
            print(f"{cmd.title}: error: MuJoCo could not start OpenGL with MUJOCO_GL={os.environ.get('MUJOCO_GL', 'glfw')} "
                  "(no display?): unset MUJOCO_GL to let robot-hf pick EGL, or set MUJOCO_GL=egl / osmesa", file=sys.stderr)
            return 1
        missing = missing_package(e)
        if missing and not os.environ.get("ROBOT_HF_DEBUG"):
            print(f"{cmd.title}: error: {missing}", file=sys.stderr)
            return 1
        if not isinstance(e, USER_ERRORS):
            raise
        if os.environ.get("ROBOT_HF_DEBUG"):
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"{cmd.title}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
