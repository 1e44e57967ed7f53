/* Walking-time areas on the main map: a control button, then a tap on the map (or the link
 * in a venue's popup) draws the nested bands from /api/isochrone, smallest band darkest,
 * with the residents of each band. Data text goes in via textContent only (common.js el). */
(function () {
  "use strict";
  // Sequential blues (ColorBrewer), darkest = shortest walk; one per band, up to six.
  var COLOURS = ["#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7"];
  var state = {map: null, group: null, picking: false, panel: null, button: null};

  function c() { return window.culturamapCommon; }

  function setPicking(on) {
    state.picking = on;
    state.button.setAttribute("aria-pressed", on ? "true" : "false");
    state.map.getContainer().classList.toggle("isochrone-picking", on);
    if (on) { status(c().tr("js.isochrone_hint")); }
  }

  function status(text) {
    state.panel.textContent = "";
    state.panel.appendChild(c().el("p", {className: "isochrone-status"}, [text]));
    state.panel.hidden = false;
  }

  function clear() {
    state.group.clearLayers();
    state.panel.textContent = "";
    state.panel.hidden = true;
  }

  function legend(body) {
    var C = c();
    var bands = body.features.slice().reverse();  // smallest first
    var list = C.el("ul", {className: "legend-list isochrone-legend"}, bands.map(function (f, i) {
      var p = f.properties;
      return C.el("li", {dataset: {minutes: String(p.minutes)}}, [
        C.el("span", {className: "swatch", style: "background:" + COLOURS[i]}, []),
        C.tr("js.isochrone_band", {minutes: C.num(p.minutes), residents: C.num(p.residents)})
      ]);
    }));
    var close = C.el("button", {type: "button", className: "isochrone-clear"},
      [C.tr("js.isochrone_clear")]);
    close.addEventListener("click", clear);
    state.panel.textContent = "";
    state.panel.appendChild(C.el("h2", {}, [C.tr("js.isochrone_title")]));
    if (body.origin && body.origin.venue_name) {
      state.panel.appendChild(C.el("p", {className: "isochrone-origin"}, [body.origin.venue_name]));
    }
    state.panel.appendChild(list);
    state.panel.appendChild(close);
    state.panel.hidden = false;
  }

  function draw(query) {
    var C = c();
    status(C.tr("js.isochrone_loading"));
    var url = "/api/isochrone?" + query + "&lang=" + encodeURIComponent(C.config.lang || "es");
    return fetch(url, {headers: {Accept: "application/geo+json"}}).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (!answer.ok) {
        status(C.tr("js.isochrone_error", {detail: answer.body.detail || ""}));
        return;
      }
      var body = answer.body;
      var n = body.features.length;
      state.group.clearLayers();
      var layer = L.geoJSON(body, {
        interactive: false,
        style: function (f) {
          var rank = n - 1 - body.features.indexOf(f);  // 0 = smallest band
          return {color: COLOURS[rank], weight: 1, fillColor: COLOURS[rank], fillOpacity: 0.3,
                  className: "isochrone-band isochrone-band-" + f.properties.minutes};
        }
      });
      layer.addTo(state.group);
      var o = body.origin;
      L.circleMarker([o.lat, o.lon], {radius: 5, color: "#08306b", fillOpacity: 1,
        interactive: false, className: "isochrone-origin-marker"}).addTo(state.group);
      if (layer.getBounds().isValid()) { state.map.fitBounds(layer.getBounds(), {padding: [20, 20]}); }
      legend(body);
    }).catch(function (err) {
      status(C.tr("js.isochrone_error", {detail: String(err)}));
    });
  }

  function init(map) {
    var C = c();
    state.map = map;
    state.group = L.featureGroup().addTo(map);
    var Control = L.Control.extend({
      options: {position: "topleft"},
      onAdd: function () {
        var box = C.el("div", {className: "leaflet-bar isochrone-control"}, []);
        state.button = C.el("button", {type: "button", className: "isochrone-button",
          title: C.tr("js.isochrone_hint"), attrs: {"aria-pressed": "false"}},
          [C.tr("js.isochrone_control")]);
        state.panel = C.el("div", {className: "isochrone-panel", hidden: true}, []);
        box.appendChild(state.button);
        box.appendChild(state.panel);
        L.DomEvent.disableClickPropagation(box);
        state.button.addEventListener("click", function () { setPicking(!state.picking); });
        return box;
      }
    });
    map.addControl(new Control());
    map.on("click", function (e) {
      if (!state.picking) { return; }
      setPicking(false);
      map.closePopup();  // the tap was for the walking area, not a council's popup
      draw("lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6));
    });
  }

  /* The link at the foot of a venue's popup. */
  function venueLink(p) {
    var link = c().el("a", {href: "#", className: "isochrone-venue-link"},
      [c().tr("js.isochrone_from_venue")]);
    link.addEventListener("click", function (e) {
      e.preventDefault();
      state.map.closePopup();
      draw("venue=" + encodeURIComponent(p.id));
    });
    return link;
  }

  window.culturamapIsochrones = {init: init, venueLink: venueLink, draw: draw};
}());
