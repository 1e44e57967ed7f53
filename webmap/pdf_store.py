"""PDF reports rendered ahead by one background thread and kept on disk, so readers never wait.

Why: a PDF takes about a second of WeasyPrint (pure Python, so it holds the GIL); rendered
on request, ten readers at once meant one waiting 12 s and nine refused. Here every report
is rendered once, in the background (all of them at start-up with ``prerender_all``, else
the ones asked for), and a request either gets the kept file at once or, for one not ready
yet, a page that refreshes itself (webmap.report_routes). Asked-for reports jump the queue.

Kept where and for how long: ``<cache_dir>/reports/<version>/<name>.<lang>.pdf``, where the
version digests the data files (``data_inputs``), the settings and the code that draws them, so a
restart after any change renders again and an unchanged restart serves at once. Each file
is written to a temporary name, flushed and renamed: a crash mid-render leaves no half PDF
(stray temporary files and other versions are removed at start).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from geo.atomic import write_bytes_atomic
from geo.settings import Settings

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (report name, language)
CODE_DIRS = ("geo", "webmap")  # the code whose changes change a report
CODE_SUFFIXES = (".py", ".html", ".json", ".css")
TMP_PREFIX = ".rendering-"
# Settings that do not change what a report shows.
NOT_IN_REPORTS = frozenset({"cache_dir", "public_url", "tile_url", "tile_attribution",
                            "database_url", "secure_cookies", "trusted_proxies"})


def _digest_files(h: hashlib._Hash, root: Path, files: Iterable[Path]) -> None:
    for path in sorted(files):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)


def layers_digest(layers: Any) -> str:
    """The content of the layers the planner workspace edits (venues, workshops, places to
    locate): their files no longer tell when they change, the database does."""
    import pandas as pd

    h = hashlib.sha256()
    for frame in (layers.venues, layers.workshops, layers.to_locate):
        table = pd.DataFrame(frame).copy()
        if "geometry" in table:
            table["geometry"] = table["geometry"].map(
                lambda g: None if g is None else g.wkb_hex)
        h.update(table.astype(str).to_csv(index=False).encode())
    return h.hexdigest()


def data_inputs(data_dir: Path) -> list[Path]:
    """The data files the reports are drawn from: the layer folders, the manifest and the
    street network. Not the workspace's database, photos or secret key beside them: a
    support or a sign-in rewrites the database file without changing a report, and what
    the database holds for reports comes in through ``layers_digest`` and the digests of
    the agenda and the proposals."""
    from geo.layers import layer_path
    from geo.schema import COUNCILS, MANIFEST, POPULATION, SECTORS, VENUES, WORKSHOPS, ZONES
    from geo.travel import NETWORK_DIR

    folders = {layer_path(spec, data_dir).parent
               for spec in (COUNCILS, VENUES, WORKSHOPS, POPULATION, SECTORS, ZONES)}
    folders.add(Path(data_dir) / NETWORK_DIR)
    files = {p for folder in folders if folder.is_dir() and folder != Path(data_dir)
             for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}
    manifest = Path(data_dir) / MANIFEST.name
    return sorted(files | ({manifest} if manifest.is_file() else set()))


def report_version(settings: Settings, extra: str = "") -> str:
    """16 hex digits naming what the reports are made of: data, settings and code
    (``extra``: a digest of data that do not live in files, see :func:`layers_digest`)."""
    h = hashlib.sha256(extra.encode())
    data = Path(settings.data_dir)
    _digest_files(h, data, data_inputs(data))
    for f in dataclasses.fields(settings):
        if f.name not in NOT_IN_REPORTS:
            h.update(f"{f.name}={getattr(settings, f.name)!r}\0".encode())
    repo = Path(__file__).resolve().parents[1]
    for folder in CODE_DIRS:
        _digest_files(h, repo, (p for p in (repo / folder).rglob("*")
                                if p.is_file() and p.suffix in CODE_SUFFIXES))
    return h.hexdigest()[:16]


def write_atomic(path: Path, content: bytes) -> None:
    """``content`` at ``path`` whole or not at all; the temporary name carries the writer's
    pid so that a sibling worker's clean-up never deletes a live one, and ends in ``.part``
    so that nothing looking for ``*.pdf`` (a glob, a file browser) takes it for a report."""
    write_bytes_atomic(path, content, prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=".part")


def prepare_folder(reports_dir: Path, version: str) -> Path:
    """The folder of this version, emptied of other versions and of half-written files;
    a temporary folder when the cache cannot be written (a read-only checkout)."""
    folder = reports_dir / version
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f"{TMP_PREFIX}probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        return Path(tempfile.mkdtemp(prefix="culturamap-reports-"))
    for other in reports_dir.iterdir():
        if other.is_dir() and other.name != version:
            shutil.rmtree(other, ignore_errors=True)
    for stray in folder.glob(f"{TMP_PREFIX}*"):
        if not _writer_alive(stray.name):
            stray.unlink(missing_ok=True)
    return folder


def _writer_alive(name: str) -> bool:
    """Whether the process that is writing this temporary file still runs (another process
    of the same server, --workers); a crashed writer's file is a leftover."""
    pid_text = name[len(TMP_PREFIX):].split("-", 1)[0]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PdfStore:
    """Every report's PDF: kept files, a queue for the renderer thread, waiters' events."""

    def __init__(self, folder: Path, keys: list[Key], render: Callable[[Key], bytes],
                 owner: object = None) -> None:
        self.owner = owner  # what the reports are drawn from (a webmap.reports.ReportData)
        self.closed = False  # set when newer data replace these reports
        self.ahead = False  # rendering every report ahead (prerender_all was called)
        self.folder = folder
        self.keys = list(keys)  # every report, in the order they are worth rendering
        self.render = render
        self.lock = threading.Lock()
        self.pending: deque[Key] = deque()
        self.events: dict[Key, threading.Event] = {k: threading.Event() for k in self.keys}
        self.failed: dict[Key, str] = {}
        self.thread: threading.Thread | None = None
        for key in self.keys:
            if self.path(key).is_file():
                self.events[key].set()

    def path(self, key: Key) -> Path:
        name, lang = key
        return self.folder / f"{name}.{lang}.pdf"

    def ready(self, key: Key) -> bool:
        return self.events[key].is_set() and key not in self.failed

    def progress(self) -> tuple[int, int]:
        """(reports ready, reports in all)."""
        return sum(self.ready(k) for k in self.keys), len(self.keys)

    def prerender_all(self) -> None:
        """Queue every report not kept yet and start the renderer (at server start)."""
        with self.lock:
            self.ahead = True
            for key in self.keys:
                if not self.events[key].is_set() and key not in self.pending:
                    self.pending.append(key)
            self._start()

    def get(self, key: Key, wait: float, ask: bool = True) -> Path | None:
        """The kept file of ``key``; if not ready, put it first in the queue (``ask``) and
        wait up to ``wait`` seconds for it. None: not ready (yet). Raises if it failed."""
        event = self.events[key]
        on_disk = self.path(key).is_file()
        if not event.is_set() and on_disk:
            event.set()  # rendered by another process of the same server (--workers)
        elif event.is_set() and key not in self.failed and not on_disk:
            event.clear()  # removed under us (another server cleaning its cache): again
        if ask and (not event.is_set() or key in self.failed):
            with self.lock:
                if self.failed.pop(key, None) is not None:  # asked again: try again
                    event.clear()
                with contextlib.suppress(ValueError):
                    self.pending.remove(key)
                self.pending.appendleft(key)
                self._start()
        if event.wait(wait) if ask else event.is_set():
            if key in self.failed:
                raise RuntimeError(f"report {key} could not be rendered: {self.failed[key]}")
            return self.path(key)
        return None

    def close(self) -> None:
        """Stop rendering (newer data have their own store); waiters are released."""
        with self.lock:
            self.closed = True
            self.pending.clear()

    def _start(self) -> None:
        """Start the renderer if it is not running (caller holds the lock)."""
        if self.thread is None and self.pending:
            self.thread = threading.Thread(target=self._run, name="culturamap-pdf",
                                           daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.pending or self.closed:
                    self.thread = None
                    return
                key = self.pending.popleft()
            if self.events[key].is_set():
                continue
            try:
                write_atomic(self.path(key), self.render(key))
            except Exception as exc:  # noqa: BLE001 - one failed report must not stop the rest
                log.exception("PDF report %s failed", key)
                self.failed[key] = f"{type(exc).__name__}: {exc}"
            self.events[key].set()
