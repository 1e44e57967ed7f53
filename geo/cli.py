"""The ``culturamap`` command: one entry point whose subcommands live beside their code.

Each module named in ``SUBCOMMAND_MODULES`` defines ``register(subparsers)``; it is imported
only when the command runs, so ``geo`` never imports web code at import time.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "geo.cli_layers",  # validate, layers summary (issue 2)
    "geo.cli_access",  # analyse, suggest (issue 3)
    "geo.cli_export",  # export downloads (issue 5)
    "webmap.cli",  # serve (issue 4)
    "webmap.cli_reports",  # report (issue 5)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="culturamap",
        description="Acceso a la cultura en la Parte Alta de Coquimbo / Access to culture.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that feature is not built yet
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `culturamap layers | head` closed the pipe: not an error; silence the flush too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
