"""Guards that scan the test sources for a forbidden pattern (the shipped data folder, a
skip outside tests.support.needs): one scanner, each guard its own pattern."""

from __future__ import annotations

import re
from collections.abc import Set
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def offending_lines(pattern: re.Pattern[str], allowed: Set[Path]) -> list[str]:
    """``file:line: text`` of every test source line matching ``pattern``, outside the
    ``allowed`` files and the fixtures folder."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path in allowed or (TESTS / "fixtures") in path.parents:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}")
    return found
