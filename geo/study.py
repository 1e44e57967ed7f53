"""One study: data -> layers -> travel model -> access -> suggested sites, built once.

Why one object: the web map, the reports, the downloads and the analyse/suggest commands
must show the same figures. Each of them takes a :class:`Study` (made from one
:class:`~geo.settings.Settings`) and asks it for what it needs; none assembles the pipeline
itself. Every stage is computed lazily, once, and shared between threads (the web server).

    settings ─┐
    data/  ───┴─> layers ─> travel model ─> access ─> sites ─> map / API / reports / downloads
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import geopandas as gpd

from geo.access import AccessParams, AccessResult, NearestIndex, analyse
from geo.equity import EquityResult, analyse_equity, council_table
from geo.errors import ConfigError
from geo.layers import Layers, load_all
from geo.schema import OFFERING, category_ids
from geo.settings import Settings, load_settings
from geo.siting import suggest_sites
from geo.travel import TravelModel, load_travel_model

# Every downloadable layer, in the order the download page lists them.
LAYER_NAMES: tuple[str, ...] = (
    "councils",
    "sectors",
    "venues",
    "workshops",
    "population",
    "zones",
    "access-councils",
    "access-sectors",
    "access-demand",
    "sites",
    "equity-councils",
)


class Study:
    """The pipeline of one data folder under one set of settings (see module docstring).

    ``layers`` and ``travel`` may be given (tests, benchmarks, a scenario reusing a loaded
    network); anything not given is built from the settings on first use.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        layers: Layers | None = None,
        travel: TravelModel | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self._lock = threading.RLock()
        self._done: dict[Any, Any] = {}
        if layers is not None:
            self._done["layers"] = layers
        if travel is not None:
            self._done["travel"] = travel.at_speed(self.settings.walking_speed_kmh)

    def _once(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` the first time ``key`` is asked for, then the same object."""
        if key in self._done:
            return self._done[key]
        with self._lock:
            if key not in self._done:
                self._done[key] = build()
            return self._done[key]

    # --- the stages -----------------------------------------------------------------------

    @property
    def layers(self) -> Layers:
        return self._once("layers", lambda: load_all(self.settings.data_dir))

    @property
    def travel(self) -> TravelModel:
        return self._once("travel", lambda: load_travel_model(self.settings))

    @property
    def params(self) -> AccessParams:
        return AccessParams.from_settings(self.settings)

    @property
    def access(self) -> AccessResult:
        return self._once("access", self._analyse)

    def _analyse(self) -> AccessResult:
        result = analyse(self.layers, self.params, self.travel)
        if result.focus_unknown:  # a typo must not silently drop the focus area
            known = ", ".join(self.layers.sectors["name"].astype(str)) or "(none)"
            raise ConfigError(
                f"focus_sectors names unknown municipal sectors {result.focus_unknown}; "
                f"known sectors: {known}"
            )
        return result

    @property
    def equity(self) -> EquityResult:
        """The access figures by social group (issue 11, ``geo.equity``)."""
        return self._once("equity", lambda: analyse_equity(self.access, self.layers))

    @property
    def nearest_index(self) -> NearestIndex:
        return self._once("nearest", lambda: NearestIndex(self.travel, self.layers.venues))

    @property
    def siting_access(self) -> AccessResult:
        """The analysis that site suggestion starts from: the study's own, whose counted
        categories are the offerings the hosts are chosen to complement. Only when every
        venue counts (``categories=None``) are sites chosen against the cultural offerings
        proper, since the halls and schools to choose among would already count."""
        if self.params.categories is not None:
            return self.access
        offerings = dataclasses.replace(self.params, categories=category_ids(OFFERING))
        return self._once("siting_access",
                          lambda: analyse(self.layers, offerings, self.travel))

    def sites(self, k: int | None = None) -> gpd.GeoDataFrame:
        """The ``k`` (default ``settings.sites_k``) best new workshop sites for the area."""
        k = self.settings.sites_k if k is None else k
        return self._once(("sites", k), lambda: suggest_sites(
            self.siting_access, self.layers, self.travel, k=k,
            group_weights=dict(self.settings.siting_weights)))

    def council_sites(self, council_id: str, level: str = "councils") -> gpd.GeoDataFrame:
        """Sites that bring the most of THIS territory's uncovered residents within reach
        (a council, or a sector with ``level="sectors"``): the same optimisation as the
        area's on the territory's demand only, so ``newly_covered`` counts its own
        residents."""
        column = "sector_id" if level == "sectors" else "council_id"

        def build() -> gpd.GeoDataFrame:
            base = self.siting_access
            demand = base.demand[base.demand[column] == council_id]
            if demand.empty:  # a council without residents has nobody to bring closer
                empty = self.sites().iloc[0:0].copy()
                empty.attrs = {"uncovered_residents": 0}
                return empty
            own = dataclasses.replace(base, demand=demand)
            return suggest_sites(own, self.layers, self.travel, k=self.settings.sites_k,
                                 group_weights=dict(self.settings.siting_weights))

        return self._once(("council_sites", level, council_id), build)

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """The downloadable layer called ``name`` (one of :data:`LAYER_NAMES`)."""
        builders: dict[str, Callable[[], gpd.GeoDataFrame]] = {
            "councils": lambda: self.layers.councils,
            "sectors": lambda: self.layers.sectors,
            "zones": lambda: self.layers.zones,
            "access-sectors": lambda: self.access.sectors,
            "venues": lambda: self.layers.venues,
            "workshops": lambda: self.layers.workshops,
            "population": lambda: self.layers.population,
            "access-councils": lambda: self.access.councils,
            "access-demand": lambda: self.access.demand,
            "sites": lambda: self.sites(),
            "equity-councils": lambda: council_table(self.equity, self.layers.councils,
                                                     self.params),
        }
        if name not in builders:
            from geo.export import ExportError

            raise ExportError(f"unknown layer {name!r}; use {', '.join(LAYER_NAMES)}")
        return builders[name]()

    def with_settings(self, **changes: Any) -> Study:
        """Another study with some settings changed, reusing the loaded layers and the
        travel model when the data folder and the model stay the same."""
        settings = self.settings.with_changes(**changes)
        same_data = settings.data_dir == self.settings.data_dir
        same_model = same_data and settings.travel_model == self.settings.travel_model
        return Study(
            settings,
            layers=self._done.get("layers") if same_data else None,
            travel=self._done.get("travel") if same_model else None,
        )
