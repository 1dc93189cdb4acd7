"""Atomic file writing: a reader (or a killed run) never sees half a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "write_text_atomic"]


def atomic_write(path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic on POSIX and Windows file systems, so ``path`` holds either the old content
    or the complete new one. The temporary file is removed if ``write`` fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text_atomic(path, text: str) -> Path:
    """:func:`atomic_write` of a string (UTF-8)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
