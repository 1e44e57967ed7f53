"""Benchmark of the planner workspace on the shipped data: how long after one venue edit
the map, the API and the reports show the new figures.

    .venv/bin/python benchmarks/bench_workspace.py [--repeat 7]

Runs on the real data of urban Coquimbo (data/) with a TEMPORARY SQLite database seeded
from it (data/culturamap.sqlite is not touched), the walking network from the cache.
(a) start: open + migrate + seed the database, study from the database, first prepare;
(b) one edit through HTTP (move a venue ~50 m, the planner's JSON call): until the answer
    (versioned UPDATE + history row, new store with the new figures and collections
    served), and until the background step (nearest-venue index, suggested sites) is done;
(c) the rebuild step by step (webmap.workspace.refresh), and a plain complete
    webmap.app.prepare for comparison.
Target: the new figures served < 1 s after one edit. Results are also written to
benchmarks/results/workspace.txt and .json (benchmarks/_record.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.settings import load_settings  # noqa: E402
from geo.study import Study  # noqa: E402
from tests.support.workspace import page_token, sign_in  # noqa: E402
from webmap.app import create_app, prepare  # noqa: E402
from webmap.workspace.auth import add_user  # noqa: E402
from webmap.workspace.frames import inventory_layers  # noqa: E402

TARGET_S = 1.0
VENUE = "EC-06"  # a located cultural centre of the shipped data
STEP_DEG = 0.0005  # ~50 m


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def median_of(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def run(repeat: int) -> dict[str, float]:
    settings = load_settings()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))} "
          f"load average {load} (the machine is shared: figures vary with it)")
    print(f"culturamap workspace benchmark — shipped data {settings.data_dir} (real, urban "
          f"Coquimbo), temporary SQLite database")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        t0 = time.perf_counter()
        app = create_app({"WORKSPACE": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "TESTING": True})
        print(f"(a) start with the workspace (new database: migrate, seed, study, prepare) "
              f"{time.perf_counter() - t0:6.1f} s")
        workspace = app.extensions["culturamap_workspace"]
        with workspace.db.session() as session:
            add_user(session, "bench", "bench-password-long", "planner")
        client = app.test_client()
        assert sign_in(client, "bench", "bench-password-long").status_code == 302
        token = page_token(client)
        store = app.extensions["culturamap"]
        venue = store.layers.venues.set_index("id").loc[VENUE]
        lon, lat = venue.geometry.x, venue.geometry.y
        print(f"    {len(store.layers.venues)} venues, {len(store.layers.population):,} blocks, "
              f"{len(store.layers.councils)} councils")

        state = {"version": 1, "step": 0}
        served, complete, steps = [], [], []

        def edit() -> None:
            state["step"] += 1
            dx = STEP_DEG if state["step"] % 2 else 0.0
            body = {"version": state["version"], "name": venue["name"],
                    "category": venue["category"], "address": venue["address"],
                    "source": venue["source"], "lon": lon + dx, "lat": lat}
            t = time.perf_counter()
            response = client.post(f"/planificar/espacios/{VENUE}", json=body,
                                   headers={"X-CSRFToken": token})
            served.append(time.perf_counter() - t)
            assert response.status_code == 200, response.get_data(as_text=True)
            refreshed = app.extensions["culturamap_last_refresh"]
            refreshed.wait()
            complete.append(time.perf_counter() - t)
            steps.append(dict(refreshed.timings))
            state["version"] = response.json["venue"]["version"]

        before = client.get("/api/councils").json
        edit()
        after = client.get("/api/councils").json
        changed = sum(a != b for a, b in zip(before["councils"], after["councils"],
                                             strict=True))
        served.clear(), complete.clear(), steps.clear()
        for _ in range(repeat):
            edit()
        med_served, med_complete = statistics.median(served), statistics.median(complete)
        print(f"(b) one venue edit over HTTP (move {VENUE} ~50 m, JSON call), median of "
              f"{repeat}:")
        print(f"    answered, new figures and collections served       {ms(med_served)} "
              f"(min {ms(min(served))}; target < {TARGET_S:g} s: "
              f"{'OK' if med_served < TARGET_S else 'MISSED'})")
        print(f"    + nearest-venue index and suggested sites (background) {ms(med_complete)} "
              f"(min {ms(min(complete))})")
        print(f"    councils whose figures changed after the first move: {changed}")
        labels = {"inventory": "read inventory from the database (+ checks)",
                  "access": "access figures (all councils, all blocks)",
                  "collections": "GeoJSON collections (OGC API)",
                  "nearest": "nearest-venue index (background)",
                  "sites": "suggested sites, exact MCLP (background)"}
        print(f"(c) the rebuild step by step, median of {repeat}:")
        for key, label in labels.items():
            print(f"    {label:<48} {ms(statistics.median(s[key] for s in steps))}")

        # the same rebuild done the plain way (webmap.app.prepare on a new Study), to compare
        store = app.extensions["culturamap"]
        plain = []
        for _ in range(3):
            t = time.perf_counter()
            with workspace.db.session() as session:
                layers = inventory_layers(store.layers, session, settings.data_dir)
            prepare(Study(store.settings, layers=layers, travel=store.travel))
            plain.append(time.perf_counter() - t)
        print(f"    (for comparison: a complete webmap.app.prepare of a new Study, median of 3: "
              f"{ms(statistics.median(plain))})")
        workspace.db.dispose()
    return {"edit_served_median_s": round(med_served, 3),
            "edit_complete_median_s": round(med_complete, 3),
            "sites_median_s": round(statistics.median(s["sites"] for s in steps), 3),
            "prepare_median_s": round(statistics.median(plain), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from benchmarks._record import recorded

    # benchmarks/results/workspace.txt (the printout) and .json (the figures)
    with recorded("workspace") as figures:
        figures.update(run(args.repeat))


if __name__ == "__main__":
    main()
