"""The byte progress bar of uploads and downloads (tqdm on stderr)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A tqdm bar of ``total`` bytes, or nothing when ``enabled`` is false (``None``: when
    stderr is a terminal)."""

    def __init__(self, total: int, enabled: bool | None, description: str) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, unit="B", unit_scale=True, desc=description, file=sys.stderr
            )

    def update(self, count: int) -> None:
        """``count`` more bytes done."""
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        """Close the bar (idempotent)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
