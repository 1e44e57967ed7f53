"""Score of the last mutation run (`make mutation`): per module killed / survived, the score,
and every surviving mutant with its diff, kept in benchmarks/results/mutation.txt (.json).

Why a script: mutmut prints a progress line, not a score per module; the README quotes the
score from this file (tests/test_readme_figures.py checks it). Run after `mutmut run`.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._record import recorded  # noqa: E402

MUTMUT = [sys.executable, "-m", "mutmut"]
KILLED = {"killed", "timeout"}  # a mutant that hangs the tests is caught too


def statuses() -> dict[str, str]:
    out = subprocess.run([*MUTMUT, "results", "--all", "true"], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def module_of(name: str) -> str:
    return name.split(".x", 1)[0] if ".x" in name else name.rsplit(".", 1)[0]


def diff(name: str) -> str:
    shown = subprocess.run([*MUTMUT, "show", name], capture_output=True, text=True).stdout
    changed = [line for line in shown.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return " | ".join(line.strip() for line in changed)[:300]


def main() -> None:
    found = statuses()
    if not found:
        sys.exit("no mutation results: run `make mutation` (mutmut run) first")
    per = defaultdict(Counter)
    for name, status in found.items():
        per[module_of(name)][status] += 1
    with recorded("mutation") as figures:
        print("culturamap mutation testing (mutmut): killed = a test failed on the mutant")
        total = Counter()
        for module, counts in sorted(per.items()):
            total += counts
            tested = sum(counts.values()) - counts["not checked"] - counts["skipped"]
            killed = sum(counts[s] for s in KILLED)
            score = 100 * killed / tested if tested else float("nan")
            figures[module] = {"killed": killed, "tested": tested, "score": round(score, 1),
                               **{k: v for k, v in counts.items()}}
            print(f"  {module:<28} {killed:5d} / {tested:5d} killed  {score:5.1f} %  "
                  f"({dict(counts)})")
        tested = sum(total.values()) - total["not checked"] - total["skipped"]
        killed = sum(total[s] for s in KILLED)
        score = 100 * killed / tested if tested else float("nan")
        figures["total"] = {"killed": killed, "tested": tested, "score": round(score, 1)}
        print(f"  {'all':<28} {killed:5d} / {tested:5d} killed  {score:5.1f} %")
        survivors = sorted(n for n, s in found.items() if s not in KILLED | {"not checked"})
        print(f"surviving mutants ({len(survivors)}):")
        for name in survivors:
            print(f"  {name} [{found[name]}]: {diff(name)}")


if __name__ == "__main__":
    main()
