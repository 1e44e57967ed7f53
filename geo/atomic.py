"""Write a file whole or not at all: into a temporary file beside it, flushed to disk, then
renamed over it. A crash, a full disk or a second process never sees half a file.

One helper for every writer of the project (network caches, PDFs kept on disk, scenarios,
reports written by the CLI, generated icons); writers that need a file *path* (GDAL, pandas)
use the same steps in geo.export.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path | str, write: Callable[[BinaryIO], object], *,
                 prefix: str | None = None, suffix: str = "", mode: int = 0o644) -> Path:
    """Call ``write(fh)`` on a temporary binary file in ``path``'s folder, then rename it to
    ``path`` (readable by all: caches and downloads are meant to be shared)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix or f".{path.name}.",
                               suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: Path | str, content: bytes, **options: object) -> Path:
    """``write_atomic`` of ready bytes."""
    return write_atomic(path, lambda fh: fh.write(content), **options)  # type: ignore[arg-type]
