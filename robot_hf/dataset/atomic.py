"""All-or-nothing updates of several dataset files.

Files are written under `.staging/` (invisible to LeRobot's globs), then a journal listing the
renames is written, then the renames are done and the journal removed. A process killed before the
journal exists leaves only staging files, which are dropped on the next open; one killed after it
leaves a journal that the next open rolls forward. Either way every reader sees whole episodes.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from robot_hf.dataset.layout import COMMIT_JOURNAL_PATH

STAGING_DIR = ".staging"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_json_atomic(path: Path, payload: object) -> None:
    """Write one JSON file so that readers see the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(payload, indent=4))
    os.replace(tmp, path)


class Commit:
    """Stage new versions of dataset files, then publish them together."""

    def __init__(self, root: Path, durable: bool = True):
        self.root = Path(root)
        self.durable = durable
        self.token = uuid.uuid4().hex[:12]
        self.staging = self.root / STAGING_DIR / self.token
        self._renames: list[tuple[str, str]] = []
        self._removals: list[str] = []

    def stage(self, final: Path) -> Path:
        """A path to write the new version of `final` to."""
        rel = Path(final).relative_to(self.root)
        tmp = self.staging / rel
        tmp.parent.mkdir(parents=True, exist_ok=True)
        self._renames.append((str(tmp.relative_to(self.root)), str(rel)))
        return tmp

    def remove(self, final: Path) -> None:
        """Delete `final` as part of this commit."""
        self._removals.append(str(Path(final).relative_to(self.root)))

    def publish(self, label: str) -> None:
        if self.durable:
            for tmp, _ in self._renames:
                fsync_file(self.root / tmp)
        journal = self.root / COMMIT_JOURNAL_PATH
        journal.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(journal, {"label": label, "renames": self._renames, "removals": self._removals})
        if self.durable:
            _fsync_dir(journal.parent)
        _apply(self.root, self._renames, self._removals)
        journal.unlink()
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.durable:
            _fsync_dir(journal.parent)

    def abandon(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _apply(root: Path, renames: list[tuple[str, str]], removals: list[str]) -> None:
    for tmp, final in renames:
        src, dst = root / tmp, root / final
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    for rel in removals:
        (root / rel).unlink(missing_ok=True)


def interrupted_commit(root: Path) -> dict | None:
    """The journal of a commit that was cut off, if any (read-only)."""
    journal = Path(root) / COMMIT_JOURNAL_PATH
    if not journal.exists():
        return None
    try:
        return json.loads(journal.read_text())
    except json.JSONDecodeError:
        # The journal itself is written atomically, so this means it was never completed.
        return {"label": "unreadable journal", "renames": [], "removals": []}


def recover(root: Path) -> str | None:
    """Finish a commit cut off after its journal was written; drop staging left before that.

    Returns a sentence saying what was done, or None when the dataset was clean.
    """
    root = Path(root)
    done = None
    journal = interrupted_commit(root)
    if journal is not None:
        _apply(root, [tuple(r) for r in journal["renames"]], journal.get("removals", []))
        (root / COMMIT_JOURNAL_PATH).unlink(missing_ok=True)
        done = f"completed the interrupted commit of {journal['label']}"
    staging = root / STAGING_DIR
    if staging.exists():
        leftovers = [p for p in staging.rglob("*") if p.is_file()]
        shutil.rmtree(staging, ignore_errors=True)
        if leftovers and done is None:
            done = f"dropped {len(leftovers)} staged file(s) of a save that never committed"
    return done
