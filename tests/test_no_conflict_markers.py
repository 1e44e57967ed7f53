"""No file of the product keeps a merge-conflict marker: Jinja would render one as text and a
JSON translation file would stop loading (both happened once in a merge)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("geo", "webmap", "culturamap", "tests", "benchmarks", "tools", "data")
SUFFIXES = {".py", ".html", ".json", ".js", ".css", ".toml", ".md", ".txt", ".sh"}
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )")


def test_no_merge_conflict_markers():
    found = []
    files = [ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "Makefile"]
    for folder in SCANNED:
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    for path in files:
        if "fixtures" in path.parts and path.suffix == ".json":
            continue  # fixture layers are big GeoJSON files, never merged by hand
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if MARKER.match(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert not found, "\n".join(found)
