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
    var summaryText = summaryOf(p.id);
    return c.el("div", {className: "popup council-popup"}, [
      c.el("h3", {}, [p.name]),
      summaryText ? c.el("p", {className: "plain-summary"}, [summaryText]) : null,
      c.el("dl", {}, [
        row(c.tr("js.residents"), c.num(p.residents)),
        row(c.tr("js.share_within", {threshold: c.config.threshold}),
            share === null || share === undefined ? c.tr("js.no_data") : c.percent(share * 100)),
        row(c.tr("js.mean_time"), p.mean_time_min === null || p.mean_time_min === undefined ?
            c.tr("js.no_data") : c.minutes(p.mean_time_min)),
        row(c.tr("js.gap_rank"), rank),
        row(c.tr("js.venues_total"), c.num(p.venues_total))
      ]),
      equityRows(p.equity),
      unreachable,
      list,
      report
    ]);
  }

  /* Issue 11: who is within reach, poorest vs richest income quintile, and the
   * concentration index of walking time over the socio-economic score. */
  function equityRows(e) {
    if (!e) { return null; }
    function pct(v) { return v === null || v === undefined ? c.tr("js.no_data") : c.percent(v * 100); }
    return c.el("dl", {className: "equity-figures"}, [
      row(c.tr("js.equity_quintiles", {threshold: c.config.threshold}),
          pct(e.share_q1) + " / " + pct(e.share_q5)),
      row(c.tr("js.equity_ci"), e.ci === null || e.ci === undefined ? c.tr("js.no_data") :
          (e.ci > 0 ? "+" : "") + c.num(e.ci, 2))
    ]);
  }

  function tooltipText(text) {
    return common().el("span", {}, [text]);
  }

  /* The plain-language sentence of a territory, from the text table beside the map. */
  function summaryOf(id) {
    var row = document.querySelector('#territory-table tr[data-id="' + cssEscape(id) + '"]');
    var span = row && row.querySelector("th .visually-hidden");
    return span ? span.textContent : "";
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/"/g, '\\"');
  }

  var councilLayers = {};  // territory id -> its Leaflet polygon (for the table)

  function bindCouncil(feature, layer) {
    var p = feature.properties;
    councilLayers[p.id] = layer;
    layer.bindTooltip(tooltipText(p.name), {sticky: true, className: "council-tooltip"});
    layer.bindPopup(function () { return councilPopup(p); }, {maxWidth: 280});
    // a keyboard user reaches the polygon by Tab: give it a name and open it with Enter
    layer.on("add", function () {
      var el = layer.getElement && layer.getElement();
      if (!el) { return; }
      el.setAttribute("role", "button");
      el.setAttribute("tabindex", "0");
      el.setAttribute("aria-label", p.name);
      L.DomEvent.on(el, "keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") {
          L.DomEvent.preventDefault(e);
          layer.openPopup(layer.getBounds().getCenter());
        }
      });
    });
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
      icon: common().venueIcon(p.category), title: p.name, alt: p.name, keyboard: true,
      category: p.category
    });
  }

  /* A cluster says what it holds ("5 lugares: 3 escuelas, 2 museos"), not only a number. */
  function clusterIcon(cluster) {
    common();
    var counts = {};
    cluster.getAllChildMarkers().forEach(function (m) {
      var cat = m.options.category || "other";
      counts[cat] = (counts[cat] || 0) + 1;
    });
    var parts = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; })
      .map(function (cat) { return c.num(counts[cat]) + " × " + c.categoryLabel(cat); });
    var n = cluster.getChildCount();
    var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
    var html = c.el("div", {}, [
      c.el("span", {attrs: {"aria-hidden": "true"}}, [c.num(n)]),
      c.el("span", {className: "visually-hidden"},
           [c.tr("js.cluster_label", {count: c.num(n), list: parts.join(", ")})])
    ]);
    return L.divIcon({html: html, className: "marker-cluster marker-cluster-" + size,
                      iconSize: L.point(40, 40)});
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
        ]),
        window.culturamapIsochrones ? window.culturamapIsochrones.venueLink(p) : null
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

  // Published proposals (issue 16): the labels come translated in the feature's properties.
  function proposalMarker(feature, latlng) {
    return L.circleMarker(latlng, {radius: 8, color: "#5b2a86", weight: 2, fillColor: "#f2c14e",
                                   fillOpacity: 0.9, className: "proposal-marker"});
  }

  function bindProposal(feature, layer) {
    var p = feature.properties;
    layer.bindPopup(function () {
      common();
      var meta = [p.origin_label, p.category_label].concat(p.council_names || [])
        .filter(Boolean).join(" · ");
      return c.el("div", {className: "popup proposal-popup"}, [
        c.el("p", {className: "proposal-text"}, [p.text]),
        c.el("p", {className: "popup-subtitle"}, [meta]),
        c.el("p", {}, [p.supports_label + (p.answer_label ? " · " + p.answer_label : "")]),
        c.el("a", {href: p.url}, [p.open_label])
      ]);
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

  /* The text route: sort the territory table, select a row to show it on the map, and
   * mark the row of the territory whose popup is open. */
  function bindTable(map) {
    var table = document.querySelector("#territory-table table");
    if (!table) { return; }
    var live = document.getElementById("territory-live");
    var tbody = table.tBodies[0];
    var opener = null;
    table.querySelectorAll("th[data-sort] button.sort").forEach(function (button) {
      button.addEventListener("click", function () {
        var th = button.parentNode, key = th.getAttribute("data-sort");
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = parseFloat(a.dataset[key]), y = parseFloat(b.dataset[key]);
          x = isNaN(x) ? -Infinity : x; y = isNaN(y) ? -Infinity : y;
          return ascending ? x - y : y - x;
        });
        rows.forEach(function (row) { tbody.appendChild(row); });
        table.querySelectorAll("th[data-sort]").forEach(function (other) {
          other.setAttribute("aria-sort", other === th ? (ascending ? "ascending" : "descending") : "none");
        });
        live.textContent = common().tr("js.table_sorted", {column: button.textContent});
      });
    });
    table.querySelectorAll("button.territory-select").forEach(function (button) {
      button.addEventListener("click", function () {
        var layer = councilLayers[button.dataset.id];
        if (!layer) { return; }
        opener = button;
        if (!map.hasLayer(layer)) { map.addLayer(layer); }
        map.fitBounds(layer.getBounds(), {maxZoom: 16, animate: false});
        layer.openPopup(layer.getBounds().getCenter());
      });
    });
    map.on("popupopen", function (e) {
      var content = e.popup.getElement().querySelector(".leaflet-popup-content");
      var source = e.popup._source;
      var id = source && source.feature && source.feature.properties.id;
      tbody.querySelectorAll("tr").forEach(function (row) {
        var chosen = row.dataset.id === id && !!councilLayers[id] && councilLayers[id] === source;
        row.classList.toggle("selected", chosen);
        if (chosen) {
          row.setAttribute("aria-current", "true");
          row.scrollIntoView({block: "nearest"});
          live.textContent = common().tr("js.table_selected", {
            name: source.feature.properties.name, summary: summaryOf(id)});
        } else {
          row.removeAttribute("aria-current");
        }
      });
      // the popup takes the focus (a screen reader reads it) and Escape closes it
      content.setAttribute("tabindex", "-1");
      content.focus();
      L.DomEvent.on(e.popup.getElement(), "keydown", function (k) {
        if (k.key === "Escape") { map.closePopup(e.popup); }
      });
    });
    map.on("popupclose", function () {
      if (opener) { opener.focus(); opener = null; }
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
    bindTable(map);
    if (window.culturamapIsochrones) { window.culturamapIsochrones.init(map); }
    window.culturamap.map = map;
    window.culturamap.layers = layers;
    window.culturamap.control = control;
    document.body.dataset.mapReady = "1";
  }

  window.culturamap = {
    bindCouncil: bindCouncil, bindBlock: bindBlock, venueMarker: venueMarker,
    clusterIcon: clusterIcon,
    bindVenue: bindVenue, workshopMarker: workshopMarker, bindWorkshop: bindWorkshop,
    siteMarker: siteMarker, bindSite: bindSite, ready: ready,
    proposalMarker: proposalMarker, bindProposal: bindProposal
  };
}());
