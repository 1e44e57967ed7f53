"""Load benchmark of the production server (waitress) on the shipped data, on loopback.

Prints what issue 12 asks about readers at once:
  1. PDF reports: ten readers asking for ten PDFs at once, right after start (while the
     reports are being rendered ahead) and after warm-up (target: all 200, each < 1 s); the
     time to render every report ahead; a repeated request.
  2. /api/nearest with 50 concurrent clients, closed loop (each sends its next request when
     the previous answer arrives), for --seconds: p50, p99, requests/s and errors (target:
     p99 < 100 ms, no errors).

The clients run in two load processes (Python threads, keep-alive connections) on the same
cores as the server: the figures include that competition. Usage:
  python benchmarks/bench_load.py [--seconds 60] [--clients 50] [--threads 4]
Results are meant for benchmarks/results/load.txt. Targets are printed, not asserted.
"""

from __future__ import annotations

import argparse
import datetime
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
    return sorted(set(re.findall(r'href="(/reportes/[^"]+\.pdf\?lang=es)"', page)))


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="/api/nearest load (s)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    parser.add_argument("--skip-pdf", action="store_true",
                        help="no PDF figures (still waits for the reports rendered ahead)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))} "
          f"loadavg(1 min) at start {load:.1f}")
    print("load benchmark on the shipped data (real urban Coquimbo), culturamap serve "
          f"(waitress, {args.threads} threads), clients in 2 "
          "load processes on the same cores")
    port = free_port()
    server, startup = start_server(port, args.threads)
    try:
        print(f"server answered /api/councils {startup:.1f} s after launch")
        if args.skip_pdf:  # still let the background renders finish: they compete for CPU
            wait_all_ready(port, pdf_urls(port), limit_s=900)
        else:
            pdf_figures(port)
        result = closed_loop(port, args.clients, args.seconds)
        ok = result["p99"] < 100 and result["errors"] == 0
        print(f"/api/nearest, {args.clients} concurrent clients, closed loop, "
              f"{args.seconds:.0f} s: {result['requests']} requests, {result['rate']:.0f} req/s, "
              f"{result['errors']} errors")
        print(f"  latency p50 {result['p50']:.1f} ms, p90 {result['p90']:.1f} ms, "
              f"p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms "
              f"(target p99 < 100 ms, no errors): {'OK' if ok else 'MISSED'}")
        if result["first_error"]:
            print(f"  first error: {result['first_error']}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
