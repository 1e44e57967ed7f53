"""Benchmark of the web map, run against the production server (granian) on loopback.

Prints three figures and compares them with the targets of issue 4:
  1. weight of the main page with everything it loads (target < 1.5 MB);
  2. time until the map is ready in headless Chromium (target < 2 s);
  3. /api/nearest latency at a fixed 200 requests/s (targets: median < 10 ms, p99 < 50 ms).

The load generator is open-loop: requests are due at fixed times and latency is counted
from that due time, so a slow server cannot hide its queueing (no coordinated omission).
Bounded in count and time. Usage: python benchmarks/bench_web.py [--seconds 15] [--rate 200]

Runs on the shipped data (real urban Coquimbo, travel model "blocks"). The server uses the
repository's cache folder (``cache/``) so that the start time is the usual warm start; with
``--cold-cache`` it uses an empty temp folder and the start includes deriving the walking
network from the census blocks (~18 s). Targets are printed next to the figures, not asserted.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

# the categories present in the shipped data (4 cultural places + 150 schools)
CATEGORIES = ["library", "cultural_centre", "theatre", "museum", "school"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, threads: int, cache_dir: str | None) -> subprocess.Popen:
    env = dict(os.environ)
    if cache_dir is not None:
        env["CULTURAMAP_CACHE_DIR"] = cache_dir
    cmd = [sys.executable, "-m", "webmap", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--threads", str(threads)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/councils", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server exited during start") from None
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not start within 120 s")


def page_weight_and_load_time(base: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    # warm the server's page cache: the first render of each language is done once
    urllib.request.urlopen(base + "/?lang=es").read()
    times, weights = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(locale="es-CL", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            sizes: dict[str, int] = {}

            def on_response(response, sizes=sizes):
                if response.url.startswith(base):
                    sizes[response.url] = len(response.body())

            page.on("response", on_response)
            start = time.perf_counter()
            page.goto(base + "/", wait_until="load")
            page.wait_for_selector("body[data-map-ready='1']", state="attached")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            times.append(time.perf_counter() - start)
            page.wait_for_load_state("networkidle")
            weights.append(sum(sizes.values()))
            context.close()
        browser.close()
    html = len(urllib.request.urlopen(base + "/?lang=es").read())
    return {"html_bytes": html, "total_bytes": max(weights), "files": len(sizes),
            "load_s_median": statistics.median(times), "load_s_max": max(times)}


# Chrome DevTools' "Slow 3G" preset (as Puppeteer's PredefinedNetworkConditions): 400 ms x 5
# latency, 500 kbit/s x 0.8 down, 500 kbit/s x 0.8 up.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}


def slow_3g_first_load(base: str, path: str = "/cerca?junta=UV-001") -> dict:
    """First visit of the phone view on an emulated Slow 3G line, empty browser cache: time
    until the council's offerings are listed (usable), and bytes transferred."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="es-CL", viewport={"width": 390, "height": 844},
                                      is_mobile=True, has_touch=True)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        transferred = []
        cdp.on("Network.loadingFinished", lambda e: transferred.append(e["encodedDataLength"]))
        start = time.perf_counter()
        page.goto(base + path, wait_until="commit", timeout=60000)
        page.wait_for_selector("#nearby-results li", timeout=60000)
        usable = time.perf_counter() - start
        page.wait_for_load_state("load", timeout=60000)
        loaded = time.perf_counter() - start
        browser.close()
    return {"usable_s": usable, "load_s": loaded, "kib": sum(transferred) / 1024}


def sample_points(base: str, count: int, seed: int = 4) -> list[str]:
    """Query strings around the councils' inner points, jittered by up to ~700 m."""
    councils = json.load(urllib.request.urlopen(base + "/api/councils"))["councils"]
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        c = rng.choice(councils)
        lat = c["lat"] + rng.uniform(-0.006, 0.006)
        lon = c["lon"] + rng.uniform(-0.006, 0.006)
        query = f"/api/nearest?lat={lat:.6f}&lon={lon:.6f}&limit=10"
        if rng.random() < 0.4:
            query += "&category=" + rng.choice(CATEGORIES)
        queries.append(query)
    return queries


def load_test(port: int, rate: float, seconds: float, workers: int,
              paths: list[str] | None = None, expect: bytes | None = b'"results"') -> dict:
    """Open loop at ``rate`` requests/s for ``seconds``: /api/nearest around the councils,
    or ``paths`` in turn (benchmarks/bench_load.py's soak). A request fails unless it is
    answered 200 with ``expect`` in the body (when given)."""
    base = f"http://127.0.0.1:{port}"
    total = int(rate * seconds)
    queries = ([paths[i % len(paths)] for i in range(total)] if paths
               else sample_points(base, total))
    jobs: queue.Queue = queue.Queue()
    latencies: list[float] = []
    service: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while True:
            job = jobs.get()
            if job is None:
                return
            due, path = job
            sent = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and (expect is None or expect in body)
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                body = str(exc).encode()
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            done = time.perf_counter()
            with lock:
                latencies.append(done - due)
                service.append(done - sent)
                if not ok:
                    failures.append(f"{path}: " + body[:200].decode(errors="replace"))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    start = time.perf_counter() + 0.2
    for i, path in enumerate(queries):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((due, path))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=30)
    elapsed = time.perf_counter() - start

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "requests": len(latencies), "seconds": elapsed, "achieved_rate": len(latencies) / elapsed,
        "failures": len(failures), "first_failure": failures[0] if failures else None,
        "median_ms": pct(latencies, 0.5), "p90_ms": pct(latencies, 0.9),
        "p99_ms": pct(latencies, 0.99), "max_ms": max(latencies) * 1000,
        "service_median_ms": pct(service, 0.5), "service_p99_ms": pct(service, 0.99),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load duration (max 60)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--threads", type=int, default=4, help="server threads (granian)")
    parser.add_argument("--runs", type=int, default=5, help="Chromium page loads")
    parser.add_argument("--cold-cache", action="store_true",
                        help="start the server on an empty cache folder (derives the network)")
    args = parser.parse_args()
    args.seconds = min(args.seconds, 60.0)
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))}")
    print("web benchmark on the shipped data (real urban Coquimbo, travel model 'blocks')")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        server = start_server(port, args.threads, tmp if args.cold_cache else None)
        startup = time.perf_counter() - t0
        try:
            base = f"http://127.0.0.1:{port}"
            cache_kind = "empty temp cache (derives the network)" if args.cold_cache else (
                "warm repo cache/")
            print(f"server: python -m webmap serve (granian), {args.threads} threads, "
                  f"{cache_kind}: answered /api/councils {startup:.1f} s after launch")
            if CHROMIUM.exists():
                page = page_weight_and_load_time(base, args.runs)
                light = page["total_bytes"] < 1.5 * 2**20
                print(f"main page: HTML {page['html_bytes'] / 1024:.0f} KiB, with all "
                      f"{page['files']} files {page['total_bytes'] / 1024:.0f} KiB "
                      f"(target < 1536 KiB): {'OK' if light else 'MISSED'}")
                print(f"Chromium time to map ready: median {page['load_s_median']:.2f} s, "
                      f"max {page['load_s_max']:.2f} s over {args.runs} cold loads "
                      f"(target < 2 s): {'OK' if page['load_s_max'] < 2 else 'MISSED'}")
                slow = slow_3g_first_load(base)
                print(f"/cerca first visit on Slow 3G (2 s latency, 400 kbit/s): results listed "
                      f"after {slow['usable_s']:.1f} s, page loaded {slow['load_s']:.1f} s, "
                      f"{slow['kib']:.0f} KiB transferred (target usable < 5 s): "
                      f"{'OK' if slow['usable_s'] < 5 else 'MISSED'}")
            else:
                print("Chromium not installed: page load not measured (run `make browser`)")
            load = load_test(port, args.rate, args.seconds, workers=16)
            print(f"/api/nearest at {args.rate:.0f} req/s for {args.seconds:.0f} s: "
                  f"{load['requests']} requests ({load['achieved_rate']:.0f}/s), "
                  f"{load['failures']} failures")
            print(f"  latency from due time: median {load['median_ms']:.1f} ms, "
                  f"p90 {load['p90_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms, "
                  f"max {load['max_ms']:.1f} ms")
            print(f"  service time: median {load['service_median_ms']:.1f} ms, "
                  f"p99 {load['service_p99_ms']:.1f} ms")
            ok = load["median_ms"] < 10 and load["p99_ms"] < 50 and load["failures"] == 0
            print(f"  targets median < 10 ms, p99 < 50 ms: {'OK' if ok else 'MISSED'}")
            if load["first_failure"]:
                print(f"  first failure: {load['first_failure']}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("web"):  # benchmarks/results/web.txt and .json
        code = main()
    sys.exit(code)
