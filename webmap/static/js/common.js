/* Shared helpers: translations, number formats and safe DOM building.
 * Text from data is only ever put into the page with textContent (never innerHTML). */
(function () {
  "use strict";
  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return {}; }
    try { return JSON.parse(node.textContent); } catch (e) { return {}; }
  }
  var strings = readJson("culturamap-i18n");
  var config = readJson("culturamap-config");
  var locale = document.documentElement.lang || "es-CL";

  function tr(key, values) {
    var text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
      });
    }
    return text;
  }

  function num(value, decimals) {
    if (value === null || value === undefined || isNaN(value)) { return tr("js.no_data"); }
    return new Intl.NumberFormat(locale, {
      minimumFractionDigits: decimals || 0, maximumFractionDigits: decimals || 0
    }).format(value);
  }

  /* 67 -> "67 %" (es) / "67%" (en): the spacing is in the translation. */
  function percent(value, decimals) {
    if (value === null || value === undefined || isNaN(value)) { return tr("js.no_data"); }
    return tr("js.percent", {value: num(value, decimals)});
  }

  function distance(metres) {
    if (metres >= 1000) { return tr("unit.km", {value: num(metres / 1000, 1)}); }
    return tr("unit.m", {value: num(Math.round(metres / 10) * 10)});
  }

  function minutes(value) {
    return tr("unit.min", {value: num(Math.max(1, Math.round(value)))});
  }

  /* el("li", {className: "x"}, ["text", childNode]) — strings become text nodes. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "dataset") {
        Object.keys(props.dataset).forEach(function (d) { node.dataset[d] = props.dataset[d]; });
      } else if (key === "attrs") {
        Object.keys(props.attrs).forEach(function (a) { node.setAttribute(a, props.attrs[a]); });
      } else {
        node[key] = props[key];
      }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var CATEGORIES = config.categories || [];
  var ICONS = config.category_icons || {};
  function iconFile(category) {
    return ICONS[safeCategory(category)] || "other.svg";
  }
  function safeCategory(category) {
    return CATEGORIES.indexOf(category) >= 0 ? category : "other";
  }
  function categoryLabel(category) {
    return tr("category." + safeCategory(category));
  }
  function venueIcon(category) {
    var cat = safeCategory(category);
    return L.icon({
      iconUrl: config.static + "icons/" + iconFile(cat),
      iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -14], tooltipAnchor: [14, 0],
      className: "venue-icon venue-" + cat
    });
  }

  /* Leaflet's own button titles are English: give them the page's language. */
  function translateControls(map, layerControl) {
    var container = map.getContainer();
    [[".leaflet-control-zoom-in", "js.zoom_in"], [".leaflet-control-zoom-out", "js.zoom_out"],
     [".leaflet-control-layers-toggle", "js.layers"]].forEach(function (pair) {
      var node = container.querySelector(pair[0]);
      if (node) {
        node.title = tr(pair[1]);
        node.setAttribute("aria-label", tr(pair[1]));
      }
    });
    return layerControl;
  }

  /* Full addresses shown for copying (about page): the origin the browser really used. */
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-page-origin]"), function (node) {
      node.textContent = window.location.origin;
    });
  });

  /* The planner and participation maps: council outlines (no tiles), fitted to the page's
   * home extent [west, south, east, north] when it has one, else to the outlines. */
  function outlineMap(containerId, data) {
    var map = L.map(containerId);
    var outlines = L.geoJSON(data.councils, {interactive: false,
      style: {weight: 1, color: "#555", fillOpacity: 0.05}}).addTo(map);
    var home = data.home;
    if (home && home[0] !== home[2]) {
      map.fitBounds([[home[1], home[0]], [home[3], home[2]]]);
    } else {
      map.fitBounds(outlines.getBounds());
    }
    return map;
  }

  window.culturamapCommon = {
    translateControls: translateControls,
    tr: tr, num: num, percent: percent, distance: distance, minutes: minutes, el: el, config: config,
    locale: locale, categoryLabel: categoryLabel, safeCategory: safeCategory, iconFile: iconFile,
    venueIcon: venueIcon, outlineMap: outlineMap
  };
}());
