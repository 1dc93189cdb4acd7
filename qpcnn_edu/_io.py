"""Atomic file writing: a reader (or a killed run) never sees half a file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

__all__ = ["atomic_write", "write_text_atomic", "write_json_atomic", "checkout_candidates"]


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


def checkout_candidates(relative) -> list:
    """Where a repository file may be, in order: ``./relative``, ``../relative`` (the chapters run from ``book/``)
    and ``relative`` in the checkout this package was installed from (absent for a pip-installed package)."""
    relative = Path(relative)
    return [relative, Path("..") / relative, Path(__file__).resolve().parent.parent / relative]


def write_text_atomic(path, text: str) -> Path:
    """:func:`atomic_write` of a string (UTF-8)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path, data) -> Path:
    """:func:`write_text_atomic` of ``data`` as indented, key-sorted JSON (so equal data give equal files)."""
    return write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
