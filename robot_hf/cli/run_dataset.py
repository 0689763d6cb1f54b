"""`robot-hf dataset info|validate|merge|delete-episodes|label-motions`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from omegaconf import DictConfig
from rich.table import Table

from robot_hf.cli.console import make_console

console = make_console()


def _root(cfg: DictConfig) -> Path:
    if not cfg.dataset.root:
        raise ValueError("dataset.root is not set; pass dataset.root=<path to the dataset>")
    root = Path(cfg.dataset.root)
    if not root.exists():
        raise FileNotFoundError(f"dataset.root={root} does not exist")
    return root


def _size_mb(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20


def info(cfg: DictConfig) -> int:
    from robot_hf.dataset import DatasetReader

    reader = DatasetReader(_root(cfg))
    meta = reader.meta
    summary = Table(title=f"{reader.root}", show_header=False)
    summary.add_row("format", f"LeRobot {meta.info['codebase_version']}, robot_type={meta.info.get('robot_type')}")
    summary.add_row("episodes / frames", f"{reader.num_episodes} / {reader.num_frames} at {reader.fps} fps "
                    f"({reader.num_frames / max(reader.fps, 1) / 60:.1f} min)")
    summary.add_row("tasks", "; ".join(reader.tasks) or "-")
    summary.add_row("size on disk", f"{_size_mb(reader.root):.1f} MiB")
    if meta.has_feedback and reader.num_frames:
        source = Counter(reader.column("source").tolist())
        summary.add_row("frames by source", ", ".join(f"{k}: {v}" for k, v in sorted(source.items())))
        summary.add_row("intervention frames", str(int(reader.column("intervention").sum())))
        summary.add_row("corrections / preferences", f"{len(reader.corrections)} / {len(reader.preferences)}")
    console.print(summary)
    features = Table(title="features")
    for col in ("name", "dtype", "shape", "details"):
        features.add_column(col)
    for key, ft in meta.features.items():
        details = ft.get("info", {}).get("video.codec", "") if ft["dtype"] == "video" else ""
        names = ft.get("names")
        if not details and isinstance(names, list) and len(names) <= 8:
            details = ", ".join(map(str, names))
        features.add_row(key, ft["dtype"], str(tuple(ft["shape"])), details)
    console.print(features)
    return 0


def validate(cfg: DictConfig) -> int:
    from robot_hf.dataset.validate import validate as run_validate

    root = _root(cfg)
    # strict: every frame decoded, and warnings fail too; by default keyframes (every episode's start) are decoded.
    findings = run_validate(root, decode="all" if cfg.strict else "keyframes")
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity != "error"]
    for f in findings:
        style = "red" if f.severity == "error" else "yellow"
        console.print(f"[{style}]{f.severity}[/{style}] {f.code}: {f.message}", highlight=False)
    if not findings:
        console.print(f"{root}: valid", highlight=False)
    else:
        console.print(f"{root}: {len(errors)} error(s), {len(warnings)} warning(s)", highlight=False)
    return 1 if errors or (cfg.strict and warnings) else 0


def merge(cfg: DictConfig) -> int:
    from robot_hf.dataset.edit import merge as run_merge

    if len(cfg.sources) < 2:
        raise ValueError("merge needs at least two datasets: sources=[path_a,path_b]")
    if not cfg.output:
        raise ValueError("merge needs output=<new dataset directory>")
    missing = [s for s in cfg.sources if not Path(s).exists()]
    if missing:
        raise FileNotFoundError(f"sources {missing} do not exist")
    meta = run_merge(list(cfg.sources), cfg.output)
    console.print(f"merged {len(cfg.sources)} datasets into {cfg.output}: {meta.total_episodes} episodes, {meta.total_frames} frames", highlight=False)
    return 0


def delete_episodes(cfg: DictConfig) -> int:
    from robot_hf.dataset.edit import delete_episodes as run_delete

    if not cfg.episodes:
        raise ValueError("delete-episodes needs the episodes to drop: 'episodes=[3,7]'")
    meta = run_delete(_root(cfg), list(cfg.episodes), cfg.output)
    where = cfg.output or cfg.dataset.root
    console.print(f"{where}: dropped episodes {list(cfg.episodes)}; {meta.total_episodes} episodes, {meta.total_frames} frames remain", highlight=False)
    return 0


def label_motions(cfg: DictConfig) -> int:
    from robot_hf.language.labeling import motions_config, write_motion_labels

    root = _root(cfg)
    counts = write_motion_labels(root, motions_config(cfg.motions))
    total = sum(counts.values())
    table = Table(title=f"{root}: language motions in the instruction column ({total} frames)")
    table.add_column("motion")
    table.add_column("frames", justify="right")
    for text, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(text, f"{n} ({100 * n / max(total, 1):.0f}%)")
    console.print(table)
    return 0
