"""``culturamap report``: write the council and Parte Alta reports as HTML and/or PDF files.

Files are named ``<JV-01|parte-alta>.<lang>.<html|pdf>`` and link to each other (language
switch, PDF, council reports from the area's ranking) only when the target was written too.
With ``--kit`` it writes the leaders' kits instead (``kit-<JV-01>.<lang>.pdf``, one A4 page
each, webmap.kit), whose QR code needs the site's address: ``--public-url`` or ``public_url``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from geo.atomic import write_bytes_atomic
from geo.cli_options import add_setting_flags, settings_from_args
from geo.settings import check_public_url
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


def _checked_url(text: str) -> str:
    try:
        return check_public_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


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
    parser.add_argument("--kit", action="store_true",
                        help="kits para la sede (una hoja A4 en PDF por unidad, con código QR "
                        "a /cerca) en vez de reportes / leaders' kits instead of reports")
    parser.add_argument("--public-url", dest="public_url", default=None,
                        type=_checked_url,
                        help="dirección pública del sitio para el QR del kit / the site's "
                        "public address for the kit's QR code (setting public_url)")
    add_setting_flags(parser)
    parser.set_defaults(func=run)


def _write_atomic(path: Path, content: bytes) -> None:
    write_bytes_atomic(path, content)


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


def write_kits(data: ReportData, councils: list[str], langs: tuple[str, ...], out_dir: Path,
               public_url: str) -> list[Path]:
    """Write each unit's kit in each language as ``kit-<id>.<lang>.pdf``."""
    from webmap.kit import render_kit_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for council in councils:
        for lang in langs:
            path = out_dir / f"kit-{council}.{lang}.pdf"
            _write_atomic(path, render_kit_pdf(data, council, lang, public_url))
            written.append(path)
    return written


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = settings_from_args(args, public_url=getattr(args, "public_url", None))
    if args.kit and args.area:
        print("culturamap report: --kit es por unidad vecinal, no con --area / the kit is per "
              "neighbourhood unit, not for --area", file=sys.stderr)
        return 2
    if args.kit and not settings.public_url:
        print("culturamap report --kit: el código QR necesita la dirección pública del sitio; "
              "use --public-url https://… o el ajuste public_url (CULTURAMAP_PUBLIC_URL) / "
              "the QR code needs the site's public address: give --public-url https://… or "
              "set public_url", file=sys.stderr)
        return 2
    data = ReportData(Study(settings))
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
    if args.kit:
        councils = [t for t in targets if t is not None]
        written = write_kits(data, councils, args.lang, args.out, settings.public_url)
    else:
        written = write_reports(data, targets, args.lang, args.formats, args.out)
    for path in written:
        print(path)
    print(f"{len(written)} archivos/files en {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return 0
