"""The console every command prints through: paths stay whole on one line (for copy and paste), and output redirected
to a file gets 120 columns rather than rich's 80, so tables and rules are not cut."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console() -> Console:
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
