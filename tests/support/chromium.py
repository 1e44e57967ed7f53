"""How this project starts Debian's headless Chromium (tests and benchmarks alike).

The background-networking flags matter: the machine has no internet, and without them
Chromium keeps trying to reach Google's services.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
