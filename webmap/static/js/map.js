/* Behaviour of the main map built by folium: popups, tooltips, icons and the legend.
 * folium calls these functions for every feature; all data text goes in via textContent. */
(function () {
  "use strict";
  var c = null;  // culturamapCommon, ready once common.js ran
  function common() { c = c || window.culturamapCommon; return c; }

  function row(label, value) {
    return common().el("div", {className: "fig-row"}, [
      c.el("dt", {}, [label]), c.el("dd", {}, [value])
    ]);
  }

  function councilPopup(p) {
    common();
    var share = p.share_within_threshold;
    var list = c.el("ul", {className: "cat-counts"}, []);
    Object.keys(p.venues_by_category || {}).forEach(function (cat) {
      var count = p.venues_by_category[cat];
      if (count > 0) {
        list.appendChild(c.el("li", {}, [c.categoryLabel(cat) + ": " + c.num(count)]));
      }
    });
    if (!list.firstChild) { list.appendChild(c.el("li", {}, [c.tr("js.no_venues")])); }
    var rank = p.gap_rank === null || p.gap_rank === undefined ? c.tr("js.no_data") :
      c.tr("js.rank_of", {rank: c.num(p.gap_rank), total: c.num(c.config.councils)});
    var report = null;
    if (c.config.report_url) {
      report = c.el("a", {className: "report-link",
        href: c.config.report_url.replace("{id}", encodeURIComponent(p.id))},
        [c.tr(c.config.level === "sectors" ? "js.sector_report" : "js.council_report")]);
    }
    var unreachable = null;
    if (p.unreachable_residents > 0) {
      var all = p.unreachable_residents >= p.residents;
      unreachable = c.el("p", {className: "unreachable-note"},
        [c.tr(all ? "js.unreachable_all" : "js.unreachable", {count: c.num(p.unreachable_residents)})]);
    }
    return c.el("div", {className: "popup council-popup"}, [
      c.el("h3", {}, [p.name]),
      c.el("dl", {}, [
        row(c.tr("js.residents"), c.num(p.residents)),
        row(c.tr("js.share_within", {threshold: c.config.threshold}),
            share === null || share === undefined ? c.tr("js.no_data") : c.percent(share * 100)),
        row(c.tr("js.mean_time"), p.mean_time_min === null || p.mean_time_min === undefined ?
            c.tr("js.no_data") : c.minutes(p.mean_time_min)),
        row(c.tr("js.gap_rank"), rank),
        row(c.tr("js.venues_total"), c.num(p.venues_total))
      ]),
      unreachable,
      list,
      report
    ]);
  }

  function tooltipText(text) {
    return common().el("span", {}, [text]);
  }

  function bindCouncil(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(tooltipText(p.name), {sticky: true, className: "council-tooltip"});
    layer.bindPopup(function () { return councilPopup(p); }, {maxWidth: 280});
  }

  function bindBlock(feature, layer) {
    var p = feature.properties;
    layer.bindTooltip(function () {
      return tooltipText(common().tr("js.block_tooltip", {
        residents: c.num(p.residents), density: c.num(p.density)
      }));
    }, {sticky: true});
  }

  function venueMarker(feature, latlng) {
    var p = feature.properties;
    return L.marker(latlng, {
      icon: common().venueIcon(p.category), title: p.name, alt: p.name, keyboard: true
    });
  }

  function bindVenue(feature, layer) {
    var p = feature.properties;
    layer.bindPopup(function () {
      common();
      return c.el("div", {className: "popup venue-popup"}, [
        c.el("h3", {}, [p.name]),
        c.el("p", {className: "venue-category"}, [c.categoryLabel(p.category)]),
        c.el("dl", {}, [
          row(c.tr("js.address"), p.address || c.tr("js.no_data")),
          row(c.tr("js.source"), p.source || c.tr("js.no_data"))
        ])
      ]);
    }, {maxWidth: 280});
  }

  function workshopMarker(feature, latlng) {
    common();
    return L.marker(latlng, {
      icon: L.icon({
        iconUrl: c.config.static + "icons/workshop.svg", iconSize: [34, 34],
        iconAnchor: [17, 17], popupAnchor: [0, -16], className: "workshop-icon"
      }),
      title: feature.properties.title, alt: feature.properties.title, zIndexOffset: 1000
    });
  }

  function bindWorkshop(feature, layer) {
    var p = feature.properties;
    layer.bindPopup(function () {
      common();
      var councils = c.el("ul", {className: "cat-counts"}, (p.councils || []).map(
        function (name) { return c.el("li", {}, [name]); }));
      return c.el("div", {className: "popup workshop-popup"}, [
        c.el("h3", {}, [p.title]),
        c.el("dl", {}, [
          row(c.tr("js.date"), p.date || c.tr("js.no_data")),
          row(c.tr("js.workshop_venue"), p.venue_name || c.tr("js.no_data"))
        ]),
        c.el("p", {className: "popup-subtitle"}, [c.tr("js.workshop_councils")]),
        councils
      ]);
    }, {maxWidth: 280});
  }

  /* Suggested workshop sites: a numbered badge (1 = most residents newly covered), shaped
   * and coloured unlike the venue circles and the workshop squares. */
  function siteMarker(feature, latlng) {
    var p = feature.properties;
    var badge = common().el("span", {className: "site-rank"}, [c.num(p.rank)]);
    return L.marker(latlng, {
      icon: L.divIcon({html: badge, className: "site-icon", iconSize: [38, 38],
        iconAnchor: [19, 19], popupAnchor: [0, -18]}),
      title: c.tr("js.site_title", {rank: c.num(p.rank), name: p.name}),
      alt: c.tr("js.site_title", {rank: c.num(p.rank), name: p.name}),
      keyboard: true, zIndexOffset: 2000 - p.rank
    });
  }

  function bindSite(feature, layer) {
    var p = feature.properties;
    layer.bindPopup(function () {
      common();
      var councils = c.el("ul", {className: "cat-counts"}, (p.councils || []).map(
        function (name) { return c.el("li", {}, [name]); }));
      return c.el("div", {className: "popup site-popup"}, [
        c.el("p", {className: "popup-kicker"}, [c.tr("js.site_rank", {rank: c.num(p.rank)})]),
        c.el("h3", {}, [p.name]),
        c.el("p", {className: "venue-category"}, [c.categoryLabel(p.category)]),
        c.el("dl", {}, [
          row(c.tr("js.site_newly", {threshold: c.config.threshold}), c.num(p.newly_covered)),
          row(p.rank > 1 ? c.tr("js.site_cumulative", {rank: c.num(p.rank)}) :
            c.tr("js.site_cumulative_first"), c.num(p.cumulative_covered))
        ]),
        c.el("p", {className: "popup-subtitle"}, [c.tr("js.site_councils")]),
        councils
      ]);
    }, {maxWidth: 280});
  }

  /* The open layer list would hide popups (and, on phones, the map): fold it behind its
   * button while a popup is open, and on phones from the start. */
  function foldLayerList(map, control) {
    if (!control) { return; }
    var phone = window.matchMedia("(max-width: 599px)").matches;
    var link = control.getContainer().querySelector(".leaflet-control-layers-toggle");
    L.DomEvent.on(link, "click", function (e) {
      L.DomEvent.preventDefault(e);
      control.expand();
    });
    map.on("popupopen", function () { control.collapse(); });
    if (phone) {
      control.collapse();
      map.on("click", function () { control.collapse(); });
    } else {
      map.on("popupclose", function () { control.expand(); });
    }
  }

  /* The census blocks are most of the page's weight and start hidden: fetch them the
   * first time the layer is switched on (Leaflet styles and binds them as they arrive). */
  function blockStyle(feature) {  // as webmap.map_builder._fill_style(f, 0.3, 0.7)
    return {fillColor: feature.properties.colour, color: "#555555", weight: 0.3,
            fillOpacity: 0.7};
  }

  function loadWhenShown(map, layer, url) {
    if (!layer || !url) { return; }
    var requested = false;
    map.on("overlayadd", function (e) {
      if (e.layer !== layer || requested) { return; }
      requested = true;
      document.body.dataset.populationLoading = "1";
      fetch(url).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      }).then(function (data) {
        layer.addData(data);
        // folium's style lookup knows only the features embedded in the page (none here)
        layer.setStyle(blockStyle);
        document.body.dataset.populationLoaded = "1";
      }).catch(function () {
        requested = false;  // let a later switch-on try again
      }).then(function () { delete document.body.dataset.populationLoading; });
    });
  }

  function ready(map, layers, control) {
    L.control.scale({imperial: false}).addTo(map);
    common().translateControls(map, control);
    foldLayerList(map, control);
    var byLayer = {};
    Object.keys(layers).forEach(function (key) { byLayer[L.stamp(layers[key])] = key; });
    function toggleLegend(event, shown) {
      var key = byLayer[L.stamp(event.layer)];
      var section = key && document.querySelector('.legend-section[data-layer="' + key + '"]');
      if (section) { section.hidden = !shown; }
    }
    map.on("overlayadd", function (e) { toggleLegend(e, true); });
    map.on("overlayremove", function (e) { toggleLegend(e, false); });
    loadWhenShown(map, layers.population, common().config.population_url);
    window.culturamap.map = map;
    window.culturamap.layers = layers;
    window.culturamap.control = control;
    document.body.dataset.mapReady = "1";
  }

  window.culturamap = {
    bindCouncil: bindCouncil, bindBlock: bindBlock, venueMarker: venueMarker,
    bindVenue: bindVenue, workshopMarker: workshopMarker, bindWorkshop: bindWorkshop,
    siteMarker: siteMarker, bindSite: bindSite, ready: ready
  };
}());
