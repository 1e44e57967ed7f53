"""``culturamap report``: write the council and Parte Alta reports as HTML and/or PDF files.

Files are named ``<JV-01|parte-alta>.<lang>.<html|pdf>`` and link to each other (language
switch, PDF, council reports from the area's ranking) only when the target was written too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from geo.cli_options import add_setting_flags, settings_from_args
from geo.study import Study
from webmap.area import area_report_id
from webmap.i18n import LANGUAGES
from webmap.reports import ReportData, ReportLinks, render_html, render_pdf

FORMATS = ("html", "pdf")


def _csv_choice(allowed: tuple[str, ...], what: str):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
        bad = [p for p in items if p not in allowed]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"{what} {', '.join(bad) or '(none)'} unknown; use {','.join(allowed)}")
        return items
    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="reportes por junta y de la Parte Alta / council and area reports",
        description="Escribe reportes HTML (autocontenidos) y PDF. Sin --council, "
        "--all-councils ni --area escribe todos. Writes self-contained HTML and PDF reports; "
        "with none of --council/--all-councils/--area it writes them all.",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--council", action="append", metavar="JV-01",
                       help="una junta (se puede repetir) / one council (repeatable)")
    which.add_argument("--all-councils", action="store_true", help="las 20 juntas")
    which.add_argument("--area", action="store_true", help="solo la Parte Alta completa")
    parser.add_argument("--lang", type=_csv_choice(LANGUAGES, "language"), default=("es",),
                        help="es, en o es,en (por defecto es)")
    parser.add_argument("--format", dest="formats", type=_csv_choice(FORMATS, "format"),
                        default=FORMATS, help="html, pdf o html,pdf (por defecto ambos)")
    parser.add_argument("--out", type=Path, required=True, help="carpeta de salida")
    add_setting_flags(parser)
    parser.set_defaults(func=run)


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_reports(data: ReportData, targets: list[str | None], langs: tuple[str, ...],
                  formats: tuple[str, ...], out_dir: Path) -> list[Path]:
    """Write each target (council id, or None for the area) in each language and format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_councils = set(data.council_ids) <= {t for t in targets if t}
    written = []
    for target in targets:
        stem = target or area_report_id(data.layers.manifest)
        for lang in langs:
            other = next((x for x in langs if x != lang), None)
            links = ReportLinks(
                other_language=f"{stem}.{other}.html" if other and "html" in formats else None,
                pdf=f"{stem}.{lang}.pdf" if "pdf" in formats else None,
                council_pattern=f"{{id}}.{lang}.html" if all_councils and "html" in formats
                else None,
            )
            html = render_html(data, target, lang, links)
            if "html" in formats:
                path = out_dir / f"{stem}.{lang}.html"
                _write_atomic(path, html.encode("utf-8"))
                written.append(path)
            if "pdf" in formats:
                path = out_dir / f"{stem}.{lang}.pdf"
                _write_atomic(path, render_pdf(render_html(data, target, lang)))
                written.append(path)
    return written


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    data = ReportData(Study(settings_from_args(args)))
    if args.council:
        unknown = [c for c in args.council if c not in data.council_ids]
        if unknown:
            print(f"culturamap report: unknown council {', '.join(unknown)}; known: "
                  f"{', '.join(data.council_ids)}", file=sys.stderr)
            return 2
        targets: list[str | None] = list(dict.fromkeys(args.council))
    elif args.all_councils:
        targets = list(data.council_ids)
    elif args.area:
        targets = [None]
    else:
        targets = [*data.council_ids, None]
    written = write_reports(data, targets, args.lang, args.formats, args.out)
    for path in written:
        print(path)
    print(f"{len(written)} archivos/files en {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0
