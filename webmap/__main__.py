"""``python -m webmap [serve --host --port --threads]``: same as ``culturamap serve``."""

from __future__ import annotations

import argparse
import sys

from webmap.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webmap")
    subparsers = parser.add_subparsers(dest="command")
    register(subparsers)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] or ["serve"])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
