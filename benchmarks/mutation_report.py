"""Score of the last mutation run (`make mutation`): per module killed / survived, the score,
and every surviving mutant with its diff, kept in benchmarks/results/mutation.txt (.json).

Why a script: mutmut prints a progress line, not a score per module; the README quotes the
score from this file (tests/test_readme_figures.py checks it). Run after `mutmut run`.

    mutation_report.py --save run1.json         # keep this run's verdicts
    mutation_report.py --previous run1.json     # a later run (e.g. `mutmut run <survivors>`
                                                # after new tests) overrides those verdicts
"""

from __future__ import annotations

import argparse
import json
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="also write the verdicts to this JSON file")
    parser.add_argument("--previous", type=Path, help="verdicts of an earlier run (JSON)")
    args = parser.parse_args()
    found = statuses()
    if args.previous:  # this run's checked verdicts win over the earlier run's
        earlier = json.loads(args.previous.read_text("utf-8"))
        found = {**earlier, **{k: v for k, v in found.items() if v != "not checked"}}
    if args.save:
        args.save.write_text(json.dumps(found, indent=1, sort_keys=True), encoding="utf-8")
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
