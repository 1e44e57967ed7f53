"""The README quotes the last recorded benchmark and mutation figures (issue 15, point 7).

Why: the README said 6.5 s for snapping a million points while a re-run measured 11.9 s,
and nothing recorded which run the README figure came from. The benchmarks now keep their
figures in benchmarks/results/<name>.json (benchmarks/_record.py); every figure listed here
must appear in the README's performance section exactly as the latest file has it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def es(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


# (results file, figure) -> how the README writes it (es-CL)
QUOTED: dict[tuple[str, str], Callable[[float], str]] = {
    ("access", "derive_cold_s"): lambda v: f"{es(v, 1)} s",
    ("access", "cache_load_ms"): lambda v: f"{es(v, 0)} ms",
    ("access", "network_nodes"): lambda v: f"{es(v, 0)} nodos",
    ("access", "study_median_s"): lambda v: f"{es(v, 2)} s",
    ("access", "nearest_csgraph_ms"): lambda v: f"{es(v, 1)} ms",
    ("access", "nearest_networkx_s"): lambda v: f"{es(v, 1)} s",
    ("access", "nearest_speedup"): lambda v: f"{es(v, 0)}×",
    ("access", "query_ms"): lambda v: f"{es(v, 1)} ms",
    ("access", "sites_k3_s"): lambda v: f"{es(v, 1)} s",
    ("access", "synthetic_snap_nearest_s"): lambda v: f"{es(v, 1)} s",
    ("access", "synthetic_nearest_s"): lambda v: f"{es(v, 2)} s",
    ("access", "synthetic_traced_peak_mib"): lambda v: f"{es(v, 0)} MiB",
    ("workspace", "edit_served_median_s"): lambda v: f"{es(v, 2)} s",
}


def performance_section() -> str:
    text = (REPO / "README.md").read_text("utf-8")
    start = text.index("## Rendimiento")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def recorded(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text("utf-8"))


@pytest.mark.parametrize(("name", "figure"), list(QUOTED))
def test_readme_quotes_the_latest_recorded_figure(name, figure):
    value = recorded(name)["figures"][figure]
    quoted = QUOTED[(name, figure)](value)
    assert quoted in performance_section(), (
        f"README's performance section should say {quoted!r} ({figure} in "
        f"benchmarks/results/{name}.json); re-run the benchmark or update the README")


def test_readme_quotes_the_mutation_score():
    total = recorded("mutation")["figures"]["total"]
    section = performance_section()
    assert f"{es(total['score'], 1)} %" in section
    assert f"{es(total['killed'], 0)} de {es(total['tested'], 0)}" in section


def test_every_benchmark_records_its_figures_with_the_machine():
    benchmarks = (REPO / "benchmarks").glob("bench_*.py")
    scripts = sorted(p.stem.removeprefix("bench_") for p in benchmarks)
    assert scripts
    for name in scripts:
        source = (REPO / "benchmarks" / f"bench_{name}.py").read_text("utf-8")
        assert re.search(rf"recorded\(\"{name}\"\)|results\" / \"{name}\.txt\"", source), name
    body = recorded("access")
    machine = body["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["date"]
    assert machine["libraries"]["numpy"] and machine["libraries"]["scipy"]
