"""``culturamap scenario run|list|compare|report``: what-if scenarios from the shell
(issue 11).

Until the planners' workspace exists, scenarios are files: ``run`` reads one (JSON or
TOML, see ``geo.scenarios``), prints the before/after of the area and each council, and
saves the result in a folder; ``list`` shows the saved ones; ``compare`` puts two or more
side by side; ``report`` prints a saved one as PDF (or HTML). Lives in webmap because the
report does (geo never imports webmap).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from geo.access import share_column
from geo.cli_options import add_setting_flags, settings_from_args
from geo.scenarios import (
    ScenarioError,
    list_saved,
    load_saved,
    read_scenario,
    run_scenario,
    save_result,
    side_by_side,
)
from geo.study import Study

DEFAULT_DIR = Path("scenarios")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scenario",
        help="escenarios «qué pasa si» / what-if scenarios",
        description="Agregar o cerrar espacios y ver el cambio / add or close venues and see "
        "the change.",
    )
    sub = parser.add_subparsers(dest="scenario_command", required=True)
    run = sub.add_parser("run", help="correr un escenario / run a scenario file")
    run.add_argument("file", type=Path, help="escenario .json o .toml")
    run.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                     help=f"carpeta de escenarios guardados ({DEFAULT_DIR})")
    run.add_argument("--no-save", action="store_true", help="no guardar / do not save")
    add_setting_flags(run)
    run.set_defaults(func=run_command)
    listing = sub.add_parser("list", help="escenarios guardados / saved scenarios")
    listing.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    listing.set_defaults(func=list_command)
    comp = sub.add_parser("compare", help="comparar guardados / compare saved scenarios")
    comp.add_argument("names", nargs="+", help="archivos o nombres (slug) guardados")
    comp.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    comp.set_defaults(func=compare_command)
    rep = sub.add_parser("report", help="reporte PDF de un escenario guardado / PDF report")
    rep.add_argument("name", help="archivo o nombre (slug) guardado")
    rep.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    rep.add_argument("--out", type=Path, required=True, help="archivo .pdf o .html")
    rep.add_argument("--lang", choices=("es", "en"), default="es")
    add_setting_flags(rep, "data_dir")
    rep.set_defaults(func=report_command)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


def _num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:+.2f}{unit}"


def run_command(args: argparse.Namespace) -> int:
    scenario = read_scenario(args.file)
    study = Study(settings_from_args(args))
    study.equity  # noqa: B018 - the "before", computed before the clock starts
    t0 = time.perf_counter()
    result = run_scenario(study, scenario)
    seconds = time.perf_counter() - t0
    s = result.summary
    share_col = share_column(s["threshold_min"])
    area = s["area"]
    print(f"{scenario.name}: +{len(scenario.add)} / -{len(scenario.close)} venues "
          f"(recomputed in {seconds:.2f} s)")
    print(f"area: residents newly within {s['threshold_min']:g} min: {area['newly_within']:,}; "
          f"no longer within: {area['no_longer_within']:,}; blocks changed: "
          f"{area['blocks_changed']:,}")
    print(f"      {share_col} {_pct(area[share_col]['change'])}, mean time "
          f"{_num(area['mean_time_min']['change'], ' min')}, 2SFCA "
          f"{_num(area['sfca_score']['change'])}")
    for kind in ("by_quintile", "by_gse", "by_age"):
        for group, figures in area[kind].items():
            print(f"      {group:12s} {share_col} {_pct(figures[share_col]['change'])}")
    print("council\tnewly_within\tno_longer_within\tshare_change\tmean_time_change")
    for cid, c in s["councils"].items():
        if c["newly_within"] or c["no_longer_within"] or c[share_col]["change"]:
            print(f"{cid}\t{c['newly_within']}\t{c['no_longer_within']}\t"
                  f"{_pct(c[share_col]['change'])}\t{_num(c['mean_time_min']['change'])}")
    if not args.no_save:
        print(f"saved: {save_result(result, args.dir)}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    rows = list_saved(args.dir)
    if not rows:
        print(f"no saved scenarios in {args.dir}")
        return 0
    print("name\tfile\tadded\tclosed\tnewly_within\tshare_change")
    for r in rows:
        print(f"{r['name']}\t{r['file']}\t{r['added']}\t{r['closed']}\t{r['newly_within']}\t"
              f"{_pct(r['share_change'])}")
    return 0


def _saved_path(name: str, folder: Path) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    return folder / (name if name.endswith(".json") else f"{name}.json")


def report_command(args: argparse.Namespace) -> int:
    from webmap.scenario_report import render_scenario_html, render_scenario_pdf

    saved = load_saved(_saved_path(args.name, args.dir))
    layers = Study(settings_from_args(args)).layers
    suffix = args.out.suffix.lower()
    if suffix not in (".pdf", ".html"):
        raise ScenarioError(f"{args.out}: the report is a .pdf or .html file")
    content = (render_scenario_pdf(saved, layers, args.lang) if suffix == ".pdf"
               else render_scenario_html(saved, layers, args.lang).encode("utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_bytes(content)
    tmp.replace(args.out)  # whole or not at all
    print(f"{args.out}\t{len(content):,} bytes")
    return 0


def compare_command(args: argparse.Namespace) -> int:
    saved = [load_saved(_saved_path(name, args.dir)) for name in args.names]
    if len(saved) < 2:
        raise ScenarioError("compare: name two or more saved scenarios")
    print(side_by_side(saved).to_string())
    return 0
