"""Keep what a benchmark printed: benchmarks/results/<name>.txt (the printout) and
benchmarks/results/<name>.json (the figures, with the machine they were measured on).

Why both: the text is what a person reads; the JSON is what tests/test_readme_figures.py
compares the README's quoted figures with, so the README cannot drift from the last run.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
LIBRARIES = ("numpy", "scipy", "shapely", "geopandas", "pyproj", "networkx", "spopt", "pulp",
             "flask", "granian", "weasyprint", "playwright")


class Tee(io.StringIO):
    """Prints as it goes and keeps a copy."""

    def __init__(self, out) -> None:
        super().__init__()
        self.out = out

    def write(self, text: str) -> int:
        self.out.write(text)
        self.out.flush()
        return super().write(text)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text("ascii", "replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cores": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # other work on the machine
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
        "libraries": versions,
    }


@contextmanager
def recorded(name: str) -> Iterator[dict]:
    """Tee stdout into results/<name>.txt; the yielded dict's figures go to <name>.json."""
    figures: dict = {}
    tee = Tee(sys.stdout)
    with redirect_stdout(tee):
        yield figures
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.txt").write_text(tee.getvalue(), encoding="utf-8")
    body = {"benchmark": name, "machine": machine(), "figures": figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
