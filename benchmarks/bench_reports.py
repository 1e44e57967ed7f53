"""How long the reports and downloads take on the shipped data (prints figures, asserts nothing).

Run: ``.venv/bin/python benchmarks/bench_reports.py``. The shipped data are real (urban
Coquimbo: 28 neighbourhood units, 3,111 census blocks, 154 venues, travel model "blocks");
the walking network comes from the repository's ``cache/`` (derived once, ~18 s, if missing).
Every council report plus the area report, in Spanish and English, as HTML and as PDF; then
every downloadable layer in every export format; then every unit's leader's kit (one A4
page, print-style map, QR code) in both languages. ``--kits``: the kits only.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.export import FORMATS, export_layers  # noqa: E402
from geo.settings import load_settings  # noqa: E402
from geo.study import LAYER_NAMES, Study  # noqa: E402
from webmap.reports import ReportData, render_html, render_pdf  # noqa: E402


def bench_kits(data: ReportData) -> None:
    """Every unit's kit in both languages: time, size and page count (pdfinfo, if present)."""
    import shutil
    import subprocess

    from webmap.kit import render_kit_pdf

    for lang in ("es", "en"):
        times, sizes, pages = [], [], []
        for council in data.council_ids:
            t = time.perf_counter()
            pdf = render_kit_pdf(data, council, lang, "https://cultura.example.cl")
            times.append(time.perf_counter() - t)
            sizes.append(len(pdf))
            if shutil.which("pdfinfo"):
                info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True,
                                      check=True, text=False).stdout.decode()
                pages.append(int(next(line.split()[1] for line in info.splitlines()
                                      if line.startswith("Pages:"))))
        print(f"[{lang}] {len(times)} kits: {sum(times):.1f} s total; median "
              f"{statistics.median(times):.2f} s (max {max(times):.2f}; includes the print-style "
              f"map); PDF {statistics.median(sizes) / 1024:.0f} KB median "
              f"(max {max(sizes) / 1024:.0f}); pages per kit: {sorted(set(pages)) or 'n/a'}")


def main() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)  # pulp 3 -> 4 notices
    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M} nproc={len(os.sched_getaffinity(0))}")
    t0 = time.perf_counter()
    data = ReportData(Study(load_settings()))  # lazy: the stages are built on first use
    _ = (data.layers, data.result, data.nearest, data.area_sites)
    build_s = time.perf_counter() - t0
    print(f"load layers + cached network + analysis + nearest index + area sites: "
          f"{build_s:.2f} s")
    if "--kits" in sys.argv[1:]:
        bench_kits(data)
        return

    targets = [*data.council_ids, None]
    print(f"reports: {len(targets) - 1} council reports + 1 area report per language")
    for lang in ("es", "en"):
        note = ("includes each council's own sites and its static map" if lang == "es"
                else "council sites reused from es, static map per language")
        html_s, pdf_s, sizes = [], [], []
        t_lang = time.perf_counter()
        for target in targets:
            t = time.perf_counter()
            html = render_html(data, target, lang)
            html_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            pdf = render_pdf(html)
            pdf_s.append(time.perf_counter() - t)
            sizes.append((len(html), len(pdf)))
        total = time.perf_counter() - t_lang
        print(f"[{lang}] {len(targets)} reports, HTML+PDF: {total:.1f} s total; "
              f"HTML median {statistics.median(html_s):.2f} s (max {max(html_s):.2f}; "
              f"{note}); PDF median {statistics.median(pdf_s):.2f} s "
              f"(max {max(pdf_s):.2f}); HTML {statistics.median(s[0] for s in sizes) / 1024:.0f} "
              f"KB, PDF {statistics.median(s[1] for s in sizes) / 1024:.0f} KB (median)")

    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            t = time.perf_counter()
            done = export_layers(LAYER_NAMES, fmt, Path(tmp), data.study.layer)
            size = sum(d.path.stat().st_size for d in done) / 1024
            print(f"export all {len(done)} layers as {fmt}: {time.perf_counter() - t:.2f} s, "
                  f"{size:.0f} KB")
    bench_kits(data)


if __name__ == "__main__":
    from benchmarks._record import recorded

    with recorded("reports"):  # benchmarks/results/reports.txt and .json
        main()
