"""What-if scenarios: add hypothetical venues or close existing ones, and see the change.

Why: a planner asks "what if we open a place here?" before spending on it. A scenario is a
small file (JSON or TOML) with a name, venues to ``add`` (id, name, category, lon, lat) and
venue ids to ``close``. Running it re-runs the SAME access analysis (``geo.access.analyse``
on the same travel model, snapped the same way) and the equity figures (``geo.equity``)
with the changed venues, and compares them with the study's own figures:

- per council and for the area: change in share within the main threshold, mean walking
  time and 2SFCA score; residents newly within reach (and newly out of reach, after a
  closure);
- per group (income quintile, GSE class, age group): the same changes;
- the blocks whose time changed (before, after, difference) for a map.

Saved scenarios are one JSON file each in a folder (written whole or not at all), listed
and compared side by side from the command line (``culturamap scenario``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo import WEB_CRS
from geo.access import AccessResult, analyse, plain_value, share_column
from geo.atomic import write_bytes_atomic
from geo.equity import EquityResult, analyse_equity
from geo.errors import CulturamapError
from geo.schema import COQUIMBO_BOUNDS, category_ids
from geo.travel import MATCH_TOLERANCE_MIN

if TYPE_CHECKING:
    from geo.study import Study

SCENARIO_SUFFIXES = (".json", ".toml")
CHANGE_TOLERANCE_MIN = 1e-6  # a block "changed" when its time moved by more than this
SLUG = re.compile(r"[^a-z0-9]+")


class ScenarioError(CulturamapError, ValueError):
    """A scenario file cannot be used; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Scenario:
    """Venues to add (dicts with id, name, category, lon, lat) and venue ids to close."""

    name: str
    add: tuple[dict[str, Any], ...] = ()
    close: tuple[str, ...] = ()
    source: str = ""  # the file it came from, for messages

    @property
    def slug(self) -> str:
        """The file name: 'Más talleres' -> 'mas-talleres' (accents kept as their letter)."""
        plain = unicodedata.normalize("NFKD", self.name).encode("ascii", "ignore").decode()
        return SLUG.sub("-", plain.lower()).strip("-") or "scenario"


@dataclass
class ScenarioResult:
    """Before/after figures of one scenario (see module docstring)."""

    scenario: Scenario
    summary: dict[str, Any]
    blocks: gpd.GeoDataFrame = field(repr=False)  # blocks whose time changed (EPSG:4326)


# --- reading and checking a scenario file -------------------------------------------------


def read_scenario(path: Path | str) -> Scenario:
    """A scenario from a JSON or TOML file; :class:`ScenarioError` names what is wrong."""
    path = Path(path)
    if path.suffix.lower() not in SCENARIO_SUFFIXES:
        raise ScenarioError(f"{path}: a scenario is a .json or .toml file")
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; save it again as UTF-8") from None
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    return scenario_from_dict(raw, str(path))


def scenario_from_dict(raw: Any, source: str = "scenario") -> Scenario:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: the scenario must be an object with name, add, close")
    unknown = sorted(set(raw) - {"name", "add", "close"})
    if unknown:
        raise ScenarioError(f"{source}: unknown keys {unknown}; use name, add, close")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{source}: 'name' must be a non-empty text")
    add_raw, close_raw = raw.get("add", []), raw.get("close", [])
    if not isinstance(add_raw, list) or not isinstance(close_raw, list):
        raise ScenarioError(f"{source}: 'add' and 'close' must be lists")
    if not add_raw and not close_raw:
        raise ScenarioError(f"{source}: the scenario adds and closes nothing")
    add = tuple(_venue_entry(entry, i, source) for i, entry in enumerate(add_raw, start=1))
    ids = [v["id"] for v in add]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ScenarioError(f"{source}: 'add' uses the id(s) {twice} more than once")
    close = []
    for i, vid in enumerate(close_raw, start=1):
        if not isinstance(vid, str) or not vid.strip():
            raise ScenarioError(f"{source}: close entry {i}: a venue id (text) is needed")
        close.append(vid.strip())
    return Scenario(name.strip(), add, tuple(close), source)


def _venue_entry(entry: Any, i: int, source: str) -> dict[str, Any]:
    where = f"{source}: add entry {i}"
    if not isinstance(entry, dict):
        raise ScenarioError(f"{where}: must be an object with id, name, category, lon, lat")
    missing = [k for k in ("id", "name", "category", "lon", "lat") if k not in entry]
    if missing:
        raise ScenarioError(f"{where}: missing {missing}")
    if entry["category"] not in category_ids():
        raise ScenarioError(f"{where}: unknown category {entry['category']!r}; use one of "
                            f"{', '.join(category_ids())}")
    try:
        lon, lat = float(entry["lon"]), float(entry["lat"])
    except (TypeError, ValueError):
        raise ScenarioError(f"{where}: lon and lat must be numbers (degrees)") from None
    x0, y0, x1, y1 = COQUIMBO_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1):
        raise ScenarioError(f"{where}: ({lon}, {lat}) is not a longitude/latitude inside "
                            f"Coquimbo (lon {x0}..{x1}, lat {y0}..{y1}; swapped?)")
    return {"id": str(entry["id"]).strip(), "name": str(entry["name"]),
            "category": entry["category"], "lon": lon, "lat": lat}


# --- running ------------------------------------------------------------------------------


def scenario_venues(venues: gpd.GeoDataFrame, scenario: Scenario) -> gpd.GeoDataFrame:
    """The venues layer (EPSG:4326) with the scenario's closures and additions."""
    ids = set(venues["id"].astype(str))
    unknown = [v for v in scenario.close if v not in ids]
    if unknown:
        raise ScenarioError(f"{scenario.source}: 'close' names venues that do not exist: "
                            f"{unknown}")
    clash = [v["id"] for v in scenario.add if v["id"] in ids]
    if clash:
        raise ScenarioError(f"{scenario.source}: 'add' reuses existing venue ids {clash}; "
                            "give the new venues new ids")
    kept = venues[~venues["id"].astype(str).isin(scenario.close)]
    if not scenario.add:
        return kept.reset_index(drop=True)
    added = gpd.GeoDataFrame(
        [{"id": v["id"], "name": v["name"], "category": v["category"], "address": None,
          "source": f"scenario: {scenario.name}"} for v in scenario.add],
        geometry=[Point(v["lon"], v["lat"]) for v in scenario.add], crs=WEB_CRS)
    return gpd.GeoDataFrame(pd.concat([kept, added.to_crs(venues.crs)], ignore_index=True),
                            crs=venues.crs)


def run_scenario(study: Study, scenario: Scenario) -> ScenarioResult:
    """Re-run the study's access and equity figures with the scenario's venues and compare
    them with the study's own (a :class:`geo.study.Study`; its travel model is reused)."""
    layers = dataclasses.replace(study.layers,
                                 venues=scenario_venues(study.layers.venues, scenario))
    before: AccessResult = study.access
    after = analyse(layers, before.params, study.travel)
    eq_before: EquityResult = study.equity
    eq_after = analyse_equity(after, layers)
    return compare(scenario, before, after, eq_before, eq_after)


def _delta(a: Any, b: Any) -> float | None:
    return None if a is None or b is None else float(b) - float(a)


def _changes(before: dict[str, Any], after: dict[str, Any], share_col: str) -> dict[str, Any]:
    out = {}
    for key in (share_col, "mean_time_min", "sfca_score"):
        out[key] = {"before": before.get(key), "after": after.get(key),
                    "change": _delta(before.get(key), after.get(key))}
    return out


def _group_changes(before: dict[str, Any], after: dict[str, Any], share_col: str
                   ) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for kind in ("by_quintile", "by_gse", "by_age"):
        groups = dict.fromkeys([*before.get(kind, {}), *after.get(kind, {})])
        out[kind] = {g: _changes(before[kind].get(g, {}), after[kind].get(g, {}), share_col)
                     for g in groups}
    return out


def compare(scenario: Scenario, before: AccessResult, after: AccessResult,
            eq_before: EquityResult, eq_after: EquityResult) -> ScenarioResult:
    """The before/after summary and the changed blocks."""
    params = before.params
    share_col = share_column(params.threshold_min)
    limit = params.threshold_min + MATCH_TOLERANCE_MIN
    d0 = before.demand.reset_index(drop=True)
    d1 = after.demand.set_index("id").reindex(d0["id"]).reset_index()
    t0 = d0["time_min"].to_numpy(dtype=float)
    t1 = d1["time_min"].to_numpy(dtype=float)
    res = d0["residents"].to_numpy(dtype=float)
    in0, in1 = t0 <= limit, t1 <= limit  # NaN (unreachable) compares False
    newly = in1 & ~in0
    lost = in0 & ~in1
    same = (np.isnan(t0) & np.isnan(t1)) | (np.abs(t1 - t0) <= CHANGE_TOLERANCE_MIN)
    changed = ~same
    blocks = gpd.GeoDataFrame(
        {"id": d0["id"].to_numpy(), "council_id": d0["council_id"].to_numpy(),
         "residents": d0["residents"].to_numpy(), "time_before": t0, "time_after": t1,
         "time_change": t1 - t0, "newly_within": newly, "no_longer_within": lost},
        geometry=d0.geometry.to_numpy(), crs=d0.crs)[changed].reset_index(drop=True)

    def covered(mask: np.ndarray) -> int:
        return round(float(res[mask].sum()))

    councils = {}
    for cid in eq_before.councils:
        sel = (d0["council_id"] == cid).to_numpy()
        councils[cid] = {
            "name": eq_before.councils[cid]["name"],
            "newly_within": covered(newly & sel),
            "no_longer_within": covered(lost & sel),
            **_changes(eq_before.councils[cid], eq_after.councils.get(cid, {}), share_col),
            **_group_changes(eq_before.councils[cid], eq_after.councils.get(cid, {}),
                             share_col),
        }
    summary = {
        "name": scenario.name,
        "add": [dict(v) for v in scenario.add],
        "close": list(scenario.close),
        "threshold_min": params.threshold_min,
        "area": {
            "newly_within": covered(newly), "no_longer_within": covered(lost),
            "blocks_changed": int(changed.sum()),
            **_changes(eq_before.area, eq_after.area, share_col),
            **_group_changes(eq_before.area, eq_after.area, share_col),
        },
        "councils": councils,
    }
    return ScenarioResult(scenario, _plain(summary), blocks)


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return plain_value(value)


# --- saving, listing, comparing -------------------------------------------------------------


def save_result(result: ScenarioResult, folder: Path | str) -> Path:
    """``<folder>/<slug>.json``: the scenario and its summary, with the changed blocks as
    GeoJSON inside, and ``<slug>-blocks.geojson`` beside it (the same blocks, to open in
    QGIS). Each is written to a temporary file and renamed (never half a file)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{result.scenario.slug}.json"
    blocks = json.loads(result.blocks.to_json(na="null"))
    _write_atomic(folder / f"{result.scenario.slug}-blocks.geojson", blocks)
    _write_atomic(path, {**result.summary, "changed_blocks": blocks})
    return path


def _write_atomic(path: Path, body: dict[str, Any]) -> None:
    text = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    write_bytes_atomic(path, text, prefix=".scenario-", suffix=".json")


def list_saved(folder: Path | str) -> list[dict[str, Any]]:
    """The saved scenarios of a folder: name, file, venues added/closed, headline change."""
    out = []
    for path in sorted(Path(folder).glob("*.json")):  # not the -blocks.geojson beside them
        body = load_saved(path)
        share_col = share_column(body["threshold_min"])
        out.append({"name": body["name"], "file": path.name, "added": len(body["add"]),
                    "closed": len(body["close"]),
                    "newly_within": body["area"]["newly_within"],
                    "share_change": body["area"][share_col]["change"]})
    return out


def load_saved(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        body = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no saved scenario there") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: not a saved scenario ({exc})") from None
    if not isinstance(body, dict) or not {"name", "area", "threshold_min"} <= set(body):
        raise ScenarioError(f"{path}: not a saved scenario (no name/area/threshold_min)")
    return body


def side_by_side(saved: list[dict[str, Any]]) -> pd.DataFrame:
    """One column per saved scenario, one row per figure: what it changes, the area's
    headline, quintiles 1 and 5, then each council's change in the share within the
    threshold. Shares in percentage points, times in minutes, people whole."""
    columns = {}
    for body in saved:
        share_col = share_column(body["threshold_min"])
        area = body["area"]

        def pts(change: float | None) -> float | None:
            return None if change is None else round(change * 100, 1)

        col: dict[str, Any] = {
            "venues added": len(body["add"]), "venues closed": len(body["close"]),
            "residents newly within": area["newly_within"],
            "residents no longer within": area["no_longer_within"],
            f"area {share_col} (pts)": pts(area[share_col]["change"]),
            "area mean_time_min (min)": _round(area["mean_time_min"]["change"], 2),
            "area sfca_score": _round(area["sfca_score"]["change"], 3)}
        for group in ("Q1", "Q5"):
            figures = area.get("by_quintile", {}).get(group)
            col[f"{group} {share_col} (pts)"] = pts(figures[share_col]["change"]) \
                if figures else None
        for cid, council in body["councils"].items():
            col[f"{cid} {share_col} (pts)"] = pts(council[share_col]["change"])
        columns[body["name"]] = col
    table = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    return table.where(table.notna(), "—")


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
