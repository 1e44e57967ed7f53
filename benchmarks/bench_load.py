"""Load benchmark of the production server (granian) on the shipped data, on loopback.

Prints what issue 12 asks about readers at once:
  1. PDF reports: ten readers asking for ten PDFs at once, right after start (while the
     reports are being rendered ahead) and after warm-up (target: all 200, each < 1 s); the
     time to render every report ahead; a repeated request.
  2. /api/nearest with 50 concurrent clients, closed loop (each sends its next request when
     the previous answer arrives), for --seconds: p50, p99, requests/s and errors (target:
     p99 < 100 ms, no errors).
  3. with --soak SECONDS: every public route in turn at --soak-rate requests/s (open loop,
     benchmarks/bench_web.py's load_test), the serving process's memory sampled each
     second (target: 10 minutes at 100 requests/s, no failures, memory growth after the
     first minute's warm-up < 10 %).

The clients run in two load processes (Python threads, keep-alive connections) on the same
cores as the server: the figures include that competition. Usage:
  python benchmarks/bench_load.py [--seconds 60] [--clients 50] [--threads 4]
                                  [--skip-pdf] [--soak 600 --soak-rate 100]
Results are meant for benchmarks/results/load.txt. Targets are printed, not asserted.
"""

from __future__ import annotations

import argparse
import datetime
import html
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks._record, run as a script
CATEGORIES = ["library", "cultural_centre", "theatre", "museum", "school"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, threads: int) -> tuple[subprocess.Popen, float]:
    """`culturamap serve` on the shipped data with the repository's cache; (process, s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CULTURAMAP_")}
    cmd = [sys.executable, "-m", "culturamap", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--threads", str(threads)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/councils", timeout=2).read()
            return proc, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server exited during start") from None
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start within 180 s")


def get(port: int, path: str, method: str = "GET") -> tuple[int, int, float]:
    """(status, body bytes, seconds) of one request on its own connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body), time.perf_counter() - start
    finally:
        conn.close()


def pdf_urls(port: int) -> list[str]:
    page = urllib.request.urlopen(f"http://127.0.0.1:{port}/descargas?lang=es").read().decode()
    # the kits (/reportes/kit/...) are not rendered ahead: without public_url each request
    # renders its own (its QR code names the address asked), so they are left out here
    return sorted(set(re.findall(r'href="(/reportes/(?!kit/)[^"]+\.pdf\?lang=es)"', page)))


def ten_at_once(port: int, urls: list[str]) -> list[tuple[int, int, float]]:
    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(lambda u: get(port, u), urls))


def describe(results: list[tuple[int, int, float]]) -> str:
    statuses: dict[int, int] = {}
    for status, _size, _s in results:
        statuses[status] = statuses.get(status, 0) + 1
    seconds = [s for _st, _size, s in results]
    codes = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items()))
    return f"{codes}; slowest {max(seconds):.2f} s, median {statistics.median(seconds):.2f} s"


def wait_all_ready(port: int, urls: list[str], limit_s: float) -> float:
    """Seconds until HEAD (which never renders) says 200 for every PDF, English included."""
    every = urls + [u.replace("lang=es", "lang=en") for u in urls]
    start = time.perf_counter()
    pending = list(every)
    while pending and time.perf_counter() - start < limit_s:
        pending = [u for u in pending if get(port, u, "HEAD")[0] != 200]
        if pending:
            time.sleep(1.0)
    if pending:
        raise SystemExit(f"{len(pending)} PDF reports not ready after {limit_s:.0f} s")
    return time.perf_counter() - start


def sample_points(port: int, count: int, seed: int = 12) -> list[str]:
    """Query strings around the councils' inner points, jittered by up to ~700 m."""
    councils = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/councils"))
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        c = rng.choice(councils["councils"])
        lat = c["lat"] + rng.uniform(-0.006, 0.006)
        lon = c["lon"] + rng.uniform(-0.006, 0.006)
        query = f"/api/nearest?lat={lat:.6f}&lon={lon:.6f}&limit=10"
        if rng.random() < 0.4:
            query += "&category=" + rng.choice(CATEGORIES)
        queries.append(query)
    return queries


def _client_process(port: int, queries: list[str], first: int, step: int, count: int,
                    seconds: float, out: Any) -> None:
    """``count`` client threads of one load process; sends (latencies, errors) to ``out``."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, errs = [], []
        i = index
        while time.perf_counter() < stop:
            path = queries[i % len(queries)]
            i += step
            start = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or b'"results"' not in body:
                    errs.append(f"{response.status} {body[:120]!r}")
            except (OSError, http.client.HTTPException) as exc:
                errs.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=client, args=(first + k * (step // count),))
               for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, errors))


def closed_loop(port: int, clients: int, seconds: float, processes: int = 2) -> dict:
    """``clients`` keep-alive connections asking without pause, spread over ``processes``
    load processes (one Python process alone cannot parse 1000 answers a second)."""
    import multiprocessing

    queries = sample_points(port, 5000)
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    share = [clients // processes + (k < clients % processes) for k in range(processes)]
    procs = [ctx.Process(target=_client_process,
                         args=(port, queries, k, clients, n, seconds, out))
             for k, n in enumerate(share)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in procs:
        got, errs = out.get(timeout=seconds + 120)
        latencies.extend(got)
        errors.extend(errs)
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"requests": len(ordered), "rate": len(ordered) / elapsed, "p50": pct(0.5),
            "p90": pct(0.9), "p99": pct(0.99), "max": ordered[-1] * 1000,
            "errors": len(errors), "first_error": errors[0] if errors else None}


def pdf_figures(port: int) -> None:
    urls = pdf_urls(port)
    ten = urls[:10]
    print(f"PDF reports: {len(urls)} per language; ten different ones asked at once:")
    early = describe(ten_at_once(port, ten))
    print(f"  right after start (reports still rendering ahead): {early}")
    ready_s = wait_all_ready(port, urls, limit_s=900)
    print(f"  every report (x es/en) ready {ready_s:.0f} s later (rendered in the background)")
    warm = ten_at_once(port, ten)
    ok = all(status == 200 for status, _b, _s in warm) and max(s for *_x, s in warm) < 1
    print(f"  after warm-up: {describe(warm)} (target all 200 < 1 s): "
          f"{'OK' if ok else 'MISSED'}")
    repeated = [get(port, ten[0])[2] for _ in range(5)]
    print(f"  one PDF asked 5 times in a row: median "
          f"{statistics.median(repeated) * 1000:.1f} ms")


def worker_pid(server: subprocess.Popen) -> int:
    """The process that answers: granian's one worker, forked by the server process."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return int(children[0]) if children else server.pid


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def public_routes(port: int) -> list[str]:
    """Every public GET route of the app with real ids: pages (both languages), the access,
    isochrone and OGC APIs, downloads, reports, map layers and the static files the main
    page loads. The planner workspace (sign-in) is left out."""
    base = f"http://127.0.0.1:{port}"
    councils = json.load(urllib.request.urlopen(base + "/api/councils"))["councils"]
    sectors = json.load(urllib.request.urlopen(base + "/api/sectors"))["sectors"]
    venue = json.load(urllib.request.urlopen(
        base + "/collections/venues/items?limit=1"))["features"][0]["id"]
    downloads = urllib.request.urlopen(base + "/descargas?lang=es").read().decode()
    index = urllib.request.urlopen(base + "/?lang=es").read().decode()
    links = sorted({html.unescape(link) for link in  # kits: see pdf_urls
                    re.findall(r'href="(/(?:descargas|reportes/(?!kit/))[^"]+)"', downloads)})
    static = sorted(set(re.findall(r'(?:src|href)="(/static/[^"?]+)', index)))
    cid, sid = councils[0]["id"], sectors[0]["id"]
    fixed = ["/?lang=es", "/?lang=en", "/acerca", "/about", "/cerca", "/nearby", "/descargas",
             "/entrar", "/sw.js", "/mapa/calles.geojson", "/mapa/manzanas.geojson",
             "/api/councils", f"/api/councils/{cid}", f"/api/councils/{cid}/equity",
             "/api/sectors", f"/api/sectors/{sid}", "/api/area", "/api/area/equity",
             "/api/sites", f"/api/isochrone?venue={venue}", "/ogc", "/ogc/api",
             "/conformance", "/collections", "/collections/venues/queryables",
             f"/collections/venues/items/{venue}", "/collections/workshops/items"
             "?datetime=2026-01-01T00:00:00Z/..", "/collections/venues/items?category=school"]
    fixed += [f"/collections/{c}/items?limit=100" for c in
              ("councils", "sectors", "venues", "workshops", "population", "sites")]
    nearest = sample_points(port, 40)
    mixed = []
    for i, route in enumerate(fixed + links + static):
        mixed.append(route)
        if i % 3 == 0:  # /api/nearest is the busiest route: one request in four
            mixed.append(nearest[(i // 3) % len(nearest)])
    return mixed


def soak(port: int, server: subprocess.Popen, seconds: float, rate: float) -> dict:
    """Every public route in turn at ``rate``/s for ``seconds``; the worker's RSS each
    second. Growth is measured from the end of the first minute (warm-up: page and
    report caches fill, the isochrones are built) to the end."""
    from benchmarks.bench_web import load_test

    routes = public_routes(port)
    pid = worker_pid(server)
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        start = time.perf_counter()
        while not done.wait(1.0):
            samples.append((time.perf_counter() - start, rss_mib(pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result = load_test(port, rate, seconds, workers=16, paths=routes, expect=None)
    done.set()
    sampler.join()
    warm = [mib for t, mib in samples if t >= min(60.0, seconds / 2)]
    result.update(routes=len(set(routes)), rss_start=samples[0][1], rss_warm=warm[0],
                  rss_end=warm[-1], rss_max=max(mib for _t, mib in samples),
                  growth_pct=100 * (warm[-1] - warm[0]) / warm[0])
    return result


def main(figures: dict) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="/api/nearest load (s)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--threads", type=int, default=4, help="server threads (granian)")
    parser.add_argument("--skip-pdf", action="store_true",
                        help="no PDF figures (still waits for the reports rendered ahead)")
    parser.add_argument("--soak", type=float, default=0.0,
                        help="seconds of the all-routes soak after the rest (0: none)")
    parser.add_argument("--soak-rate", type=float, default=100.0, help="soak requests/s")
    parser.add_argument("--skip-nearest", action="store_true",
                        help="no 50-client /api/nearest run (e.g. a soak alone)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))} "
          f"loadavg(1 min) at start {load:.1f}")
    print("load benchmark on the shipped data (real urban Coquimbo), culturamap serve "
          f"(granian, 1 worker process x {args.threads} threads), clients in 2 "
          "load processes on the same cores")
    port = free_port()
    server, startup = start_server(port, args.threads)
    try:
        print(f"server answered /api/councils {startup:.1f} s after launch")
        if args.skip_pdf:  # still let the background renders finish: they compete for CPU
            wait_all_ready(port, pdf_urls(port), limit_s=900)
        else:
            pdf_figures(port)
        if not args.skip_nearest:
            nearest_figures(port, args, figures)
        if args.soak > 0:
            soak_figures(port, server, args, figures)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


def nearest_figures(port: int, args: argparse.Namespace, figures: dict) -> None:
    before = os.getloadavg()[0]
    result = closed_loop(port, args.clients, args.seconds)
    after = os.getloadavg()[0]
    ok = result["p99"] < 100 and result["errors"] == 0
    print(f"/api/nearest, {args.clients} concurrent clients, closed loop, "
          f"{args.seconds:.0f} s: {result['requests']} requests, {result['rate']:.0f} req/s, "
          f"{result['errors']} errors (loadavg 1 min before {before:.1f}, after {after:.1f})")
    print(f"  latency p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms, "
          f"p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms "
          f"(target p99 < 100 ms, no errors): {'OK' if ok else 'MISSED'}")
    if result["first_error"]:
        print(f"  first error: {result['first_error']}")
    figures.update(nearest_rate=round(result["rate"]), nearest_p50_ms=round(result["p50"], 1),
                   nearest_p99_ms=round(result["p99"], 1), nearest_errors=result["errors"],
                   nearest_loadavg=[round(before, 1), round(after, 1)])


def soak_figures(port: int, server: subprocess.Popen, args: argparse.Namespace,
                 figures: dict) -> None:
    before = os.getloadavg()[0]
    result = soak(port, server, args.soak, args.soak_rate)
    after = os.getloadavg()[0]
    ok = result["failures"] == 0 and result["growth_pct"] < 10
    print(f"soak: {result['routes']} public routes in turn at {args.soak_rate:.0f} req/s for "
          f"{args.soak:.0f} s: {result['requests']} requests ({result['achieved_rate']:.1f}/s), "
          f"{result['failures']} failures (loadavg 1 min before {before:.1f}, "
          f"after {after:.1f})")
    print(f"  latency from due time: median {result['median_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, max {result['max_ms']:.1f} ms")
    print(f"  worker RSS: {result['rss_start']:.0f} MiB at start, {result['rss_warm']:.0f} MiB "
          f"after warm-up, {result['rss_end']:.0f} MiB at the end (max "
          f"{result['rss_max']:.0f}): growth {result['growth_pct']:.1f} % "
          f"(target no failures, growth < 10 %): {'OK' if ok else 'MISSED'}")
    if result["first_failure"]:
        print(f"  first failure: {result['first_failure']}")
    figures.update(soak_seconds=args.soak, soak_requests=result["requests"],
                   soak_failures=result["failures"], soak_rss_warm_mib=round(result["rss_warm"]),
                   soak_rss_end_mib=round(result["rss_end"]),
                   soak_growth_pct=round(result["growth_pct"], 1),
                   soak_loadavg=[round(before, 1), round(after, 1)])


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("load") as figures:  # benchmarks/results/load.txt and .json
        main(figures)
