"""A consistent copy of the workspace database while the map keeps running.

Why not ``cp``: a SQLite database in WAL mode is the file plus its ``-wal``; a plain copy
taken during a write can be torn. SQLite's online backup API copies a consistent snapshot
page by page; PostgreSQL's is ``pg_dump``. The copy appears whole or not at all (temporary
file beside it, then renamed) and is readable by its owner only: it holds password hashes
and the juntas' private contacts.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import make_url

from geo.errors import CulturamapError

PRIVATE = 0o600


class BackupError(CulturamapError):
    """The copy could not be made (no database there, pg_dump missing or failing)."""


def _sqlite(source: Path, tmp: Path) -> None:
    if not source.exists():
        raise BackupError(f"no hay base de datos en {source} / no database at {source}")
    src, dest = sqlite3.connect(source), sqlite3.connect(tmp)
    try:
        src.backup(dest)
    finally:
        dest.close()
        src.close()


def _postgres(url: str, tmp: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("falta pg_dump (paquete postgresql-client) / pg_dump is missing "
                          "(package postgresql-client)")
    parsed = make_url(url).set(drivername="postgresql")
    done = subprocess.run([program, "-Fc", "-f", str(tmp), "-d",
                           parsed.render_as_string(hide_password=False)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump falló / failed: {done.stderr.strip()[:500]}")


def backup(url: str, out: Path | str) -> Path:
    """Copy the database at ``url`` (SQLite file or PostgreSQL) to ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            tmp.unlink()  # sqlite3 makes the file itself
            _sqlite(Path(parsed.database or ""), tmp)
        else:
            _postgres(url, tmp)
        os.chmod(tmp, PRIVATE)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out
