"""Training logs: TensorBoard, a CSV with one row per logged step, and a live progress line on a terminal (a plain
line every `progress_every_s` seconds when the output goes to a file)."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainLogger:
    def __init__(self, run_dir: Path, total_steps: int, start_step: int = 0, enabled: bool = True, console: bool = True,
                 progress_every_s: float = 30.0):
        """enabled: write the CSV and TensorBoard logs (rank 0); console: also show the progress line and messages."""
        self.enabled = enabled
        self.console = enabled and console and sys.stdout.isatty()
        self.plain = enabled and console and not self.console
        self.total, self.every = total_steps, progress_every_s
        self._start, self._start_step, self._last_line = time.monotonic(), start_step, time.monotonic()
        self.run_dir = Path(run_dir)
        self._tb = None
        self._csv_path = self.run_dir / "train_log.csv"
        self._fields: list[str] | None = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=start_step if start_step else None)
            if self._csv_path.exists():
                with open(self._csv_path) as f:
                    rows = [r for r in csv.DictReader(f) if int(float(r["step"])) <= start_step]
                self._fields = list(rows[0].keys()) if rows else None
                self._rewrite(rows)
        if self.console:
            self.progress = Progress(TextColumn("[bold]train"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                                     TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn())
            self.task = self.progress.add_task("train", total=total_steps, completed=start_step, status="")
            self.progress.start()

    def _rewrite(self, rows: list[dict[str, Any]]) -> None:
        if self._fields is None:
            return
        with open(self._csv_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._fields)
            writer.writeheader()
            writer.writerows(rows)

    def log(self, step: int, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        for key, value in values.items():
            self._tb.add_scalar(key, value, step)
        row = {"step": step, **values}
        if self._fields is None or any(k not in self._fields for k in row):
            old = []
            if self._fields is not None and self._csv_path.exists():
                with open(self._csv_path) as f:
                    old = list(csv.DictReader(f))
            self._fields = list(dict.fromkeys([*(self._fields or []), *row.keys()]))
            self._rewrite(old)
        with open(self._csv_path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=self._fields).writerow(row)

    def status(self, step: int, text: str) -> None:
        if self.console:
            self.progress.update(self.task, completed=step, status=text)
        elif self.plain and (time.monotonic() - self._last_line >= self.every or step == self.total):
            self._last_line = now = time.monotonic()
            done = step - self._start_step
            eta = (now - self._start) / done * (self.total - step) if done > 0 else float("nan")
            print(f"train {step}/{self.total}  {text}  elapsed {now - self._start:.0f} s, about {eta:.0f} s left", flush=True)

    def print(self, text: str) -> None:
        if self.console:
            self.progress.console.print(text, highlight=False, soft_wrap=True)
        elif self.plain:
            print(text, flush=True)

    def close(self) -> None:
        if self.console:
            self.progress.stop()
        if self.enabled:
            self._tb.close()
