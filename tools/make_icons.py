"""Write the venue symbols (webmap/static/icons/<category>.svg) from the category registry.

Run after changing a category's colour, shape or glyph: python tools/make_icons.py
(tests/test_icons.py says when the files are out of date).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geo.atomic import write_bytes_atomic  # noqa: E402
from webmap.icons import all_icons  # noqa: E402

ICONS = REPO / "webmap" / "static" / "icons"


def main() -> int:
    for name, text in all_icons().items():
        print(write_bytes_atomic(ICONS / name, text.encode("utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
