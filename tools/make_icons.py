"""Write the venue symbols (webmap/static/icons/<category>.svg) from the category registry.

Run after changing a category's colour, shape or glyph: python tools/make_icons.py
(tests/test_icons.py says when the files are out of date).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from webmap.icons import all_icons  # noqa: E402

ICONS = REPO / "webmap" / "static" / "icons"


def main() -> int:
    for name, text in all_icons().items():
        fd, tmp = tempfile.mkstemp(dir=ICONS, suffix=".svg.tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, ICONS / name)
        print(ICONS / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
