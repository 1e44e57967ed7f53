"""The ``culturamap`` command: one entry point, subcommands registered beside their code.

Why it sits above ``geo`` and ``webmap``: it is the one place that knows both (geo never
imports web code). Every user-facing error derives from ``geo.errors.CulturamapError``; it
is caught here once and printed as one clean line, exit status 1.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from geo import cli_access, cli_export, cli_layers
from geo.errors import CulturamapError
from geo.network import NetworkError
from webmap import cli as cli_serve
from webmap import cli_reports, cli_scenarios
from webmap.workspace import cli as cli_users

DISK_FULL_HINT = (
    "  Qué hacer: el disco está lleno o el archivo supera el tamaño permitido; libere espacio "
    "o elija otra carpeta con --out. El archivo a medio escribir se borró (los archivos "
    "anteriores siguen intactos) / What to do: the disk is full or the file exceeds the "
    "allowed size; free some space or choose another --out. The half-written file was "
    "removed (earlier files are untouched)"
)

SUBCOMMANDS = (
    cli_layers,  # validate, layers
    cli_access,  # analyse, suggest
    cli_export,  # export
    cli_serve,  # serve
    cli_reports,  # report
    cli_users,  # users (planner workspace accounts)
    cli_scenarios,  # scenario run|list|compare|report (issue 11)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="culturamap",
        description="Acceso a la cultura en Coquimbo / Access to culture in Coquimbo.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CulturamapError as exc:
        print(f"culturamap {args.command}: {exc}", file=sys.stderr)
        if isinstance(exc, NetworkError):
            print(cli_layers.network_hint(exc), file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. --out under a file, a read-only or full disk
        if isinstance(exc, BrokenPipeError):
            # `culturamap layers | head` closed the pipe: not an error; silence the flush too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        print(f"culturamap {args.command}: {exc}", file=sys.stderr)
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            print(DISK_FULL_HINT, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
