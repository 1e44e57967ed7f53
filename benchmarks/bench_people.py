"""Benchmark of residents' proposals (issue 16): prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_people.py [--repeat 10]

(a) cleaning one phone photo (4000 x 3000 JPEG with EXIF): decode, resize to 1600 px,
    re-encode without metadata; input and output sizes;
(b) a whole POST /participa without and with that photo (the synthetic fixture in a
    temporary folder: photos are written under its data folder, never under data/);
(c) on the shipped data (database in a temporary folder): a planner's approval (which
    rebuilds the map's proposal layer) and the first map page rendered after it.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from tests.support.layers import copy_fixture_data  # noqa: E402
from tests.support.workspace import sign_in, sqlite_url, workspace_app  # noqa: E402
from webmap.workspace.photos import clean_photo  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def phone_photo() -> bytes:
    np = __import__("numpy")
    rng = np.random.default_rng(7)
    ramp = np.linspace(0, 200, 4000, dtype="float32")[None, :, None]
    noise = rng.integers(0, 40, (3000, 4000, 3)).astype("float32")  # detail, like a photo
    pixels = (ramp + noise).clip(0, 255).astype("uint8")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def token(html: str) -> str:
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def run(repeat: int, figures: dict) -> None:
    content = phone_photo()
    times, out = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = clean_photo(content)
        times.append(time.perf_counter() - start)
    print(f"(a) clean a 4000x3000 photo ({len(content) / 1e6:.1f} MB) -> "
          f"{Image.open(io.BytesIO(out)).size} {len(out) / 1e3:.0f} kB: {ms(times)}")
    figures["clean_photo_median_ms"] = round(statistics.median(times) * 1000)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = workspace_app(copy_fixture_data(tmp / "data"), tmp / "cache", sqlite_url(tmp))
        client = app.test_client()
        for label, with_photo in (("without photo", False), ("with the photo", True)):
            times = []
            for i in range(repeat):
                csrf = token(client.get("/participa").get_data(as_text=True))
                data = {"csrf_token": csrf, "text": "bench", "category": "otra",
                        "council": "JV-01"}
                if with_photo:
                    data["photo"] = (io.BytesIO(content), "p.jpg")
                start = time.perf_counter()
                response = client.post("/participa", data=data,
                                       environ_base={"REMOTE_ADDR": f"10.1.{with_photo:d}.{i}"})
                times.append(time.perf_counter() - start)
                assert response.status_code == 201, response.status_code
            print(f"(b) POST /participa {label} (fixture): {ms(times)}")
            figures[f"post_{'photo' if with_photo else 'text'}_median_ms"] = round(
                statistics.median(times) * 1000)
        app.extensions["culturamap_workspace"].db.dispose()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = workspace_app(REPO / "data", tmp / "cache", sqlite_url(tmp))
        council = str(app.extensions["culturamap"].layers.councils["id"].iloc[0])
        public, planner = app.test_client(), app.test_client()
        sign_in(planner)
        approve, first_map = [], []
        for i in range(repeat):
            csrf = token(public.get("/participa").get_data(as_text=True))
            public.post("/participa", data={"csrf_token": csrf, "text": f"bench {i}",
                                            "category": "otra", "council": council},
                        environ_base={"REMOTE_ADDR": f"10.2.0.{i}"})
            csrf = token(planner.get("/planificar/participacion").get_data(as_text=True))
            start = time.perf_counter()
            planner.post(f"/planificar/participacion/{i + 1}/aprobar",
                         data={"csrf_token": csrf})
            approve.append(time.perf_counter() - start)
            start = time.perf_counter()
            public.get("/")
            first_map.append(time.perf_counter() - start)
        print(f"(c) approve one proposal (shipped data): {ms(approve)}")
        print(f"    first map page after it (rendered again): {ms(first_map)}")
        figures["approve_median_ms"] = round(statistics.median(approve) * 1000)
        figures["map_after_approve_median_ms"] = round(statistics.median(first_map) * 1000)
        app.extensions["culturamap_workspace"].db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from benchmarks._record import recorded

    with recorded("people") as figures:
        run(args.repeat, figures)


if __name__ == "__main__":
    main()
