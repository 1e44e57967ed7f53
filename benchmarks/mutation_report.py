"""Score of the last mutation run (`make mutation`): per module killed / survived, the score,
and every surviving mutant with its diff, kept in benchmarks/results/mutation.txt (.json).

Why a script: mutmut prints a progress line, not a score per module; the README quotes the
score from this file (tests/test_readme_figures.py checks it). Run after `mutmut run`.

    mutation_report.py --save run1.json         # keep this run's verdicts
    mutation_report.py --previous run1.json     # a later run (e.g. `mutmut run <survivors>`
                                                # after new tests) overrides those verdicts
    mutation_report.py --module webmap.report_format --save fmt.json   # one module only

Seconds per mutant: the wall time mutmut recorded for each mutant's test run (a forked
pytest on the tests that cover the mutated function; two run at once on 2 shared cores).
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


def seconds() -> dict[str, float]:
    """Wall seconds of each checked mutant's test run (mutants/**/*.py.meta)."""
    found = {}
    for meta in Path("mutants").rglob("*.py.meta"):
        data = json.loads(meta.read_text("utf-8"))
        found.update({k: float(v) for k, v in data.get("durations_by_key", {}).items()
                      if v is not None})
    return found


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
    parser.add_argument("--previous", type=Path, action="append", default=[],
                        help="verdicts of an earlier run (JSON; may be repeated)")
    parser.add_argument("--module", action="append", default=[],
                        help="keep only this module (e.g. geo.access; may be repeated)")
    args = parser.parse_args()
    found, took = statuses(), seconds()
    for previous in args.previous:  # this run's checked verdicts win over the earlier run's
        earlier = json.loads(previous.read_text("utf-8"))
        if "status" not in earlier:  # the first format: verdicts only
            earlier = {"status": earlier, "seconds": {}}
        checked = {k: v for k, v in found.items() if v != "not checked"}
        unchecked = {k: v for k, v in found.items() if v == "not checked"}
        found = {**unchecked, **earlier["status"], **checked}
        took = {**earlier["seconds"], **{k: v for k, v in took.items() if k in checked}}
    if args.module:
        found = {k: v for k, v in found.items() if module_of(k) in args.module}
    took = {k: v for k, v in took.items() if k in found and found[k] != "not checked"}
    if args.save:
        args.save.write_text(json.dumps({"status": found, "seconds": took}, indent=1,
                                        sort_keys=True), encoding="utf-8")
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
            spent = [t for k, t in took.items() if module_of(k) == module]
            mean_s = sum(spent) / len(spent) if spent else float("nan")
            figures[module] = {**{k: v for k, v in counts.items()},  # by status, then the
                               "killed": killed, "tested": tested,  # killed incl. timeouts
                               "score": round(score, 1), "seconds_per_mutant": round(mean_s, 2)}
            print(f"  {module:<28} {killed:5d} / {tested:5d} killed  {score:5.1f} %  "
                  f"{mean_s:5.2f} s/mutant  ({dict(counts)})")
        tested = sum(total.values()) - total["not checked"] - total["skipped"]
        killed = sum(total[s] for s in KILLED)
        score = 100 * killed / tested if tested else float("nan")
        mean_s = sum(took.values()) / len(took) if took else float("nan")
        figures["total"] = {"killed": killed, "tested": tested, "score": round(score, 1),
                            "seconds_per_mutant": round(mean_s, 2)}
        print(f"  {'all':<28} {killed:5d} / {tested:5d} killed  {score:5.1f} %  "
              f"{mean_s:5.2f} s/mutant")
        print("  s/mutant: mean wall seconds of one mutant's test run (2 at once, 2 shared "
              "cores: noisy)")
        survivors = sorted(n for n, s in found.items() if s not in KILLED | {"not checked"})
        print(f"surviving mutants ({len(survivors)}):")
        for name in survivors:
            print(f"  {name} [{found[name]}]: {diff(name)}")


if __name__ == "__main__":
    main()
