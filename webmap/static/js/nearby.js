/* The leader's view: pick a council, tap the map or use the phone's location, and list the
 * nearest cultural offerings (walking distance and time) from /api/nearest. */
(function () {
  "use strict";
  var c = window.culturamapCommon;
  var data = JSON.parse(document.getElementById("nearby-data").textContent);
  var extent = data.extent;  // [minLon, minLat, maxLon, maxLat]
  var statusNode = document.getElementById("nearby-status");
  var resultsNode = document.getElementById("nearby-results");
  var councilSelect = document.getElementById("council-select");
  var categorySelect = document.getElementById("category-select");
  var counted = c.config.counted_categories || [];  // what the analysis counts as offerings
  var origin = null;
  var requestSeq = 0;

  var home = data.home || extent;  // where most residents live (remote localities aside)
  var map = L.map("nearby-map", {zoomControl: true, minZoom: data.min_zoom || 12, maxZoom: 19,
    zoomSnap: 0.5});
  map.fitBounds([[home[1], home[0]], [home[3], home[2]]]);
  L.control.scale({imperial: false}).addTo(map);
  c.translateControls(map, null);
  var streets = L.geoJSON(null, {
    interactive: false,
    style: function (f) {
      if (f.properties.kind === "connector") {  // the derived network's straight guesses
        return {color: "#8c6d1f", weight: 1.6, dashArray: "4 4"};
      }
      return {color: "#9e9e9e", weight: f.properties.kind === "primary" ? 2.5 : 1.2};
    }
  }).addTo(map);
  streets.bringToBack();
  // the base map comes after the page, so that a slow line shows the answer first
  fetch(data.streets_url).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (lines) { if (lines) { streets.addData(lines); streets.bringToBack(); } })
    .catch(function () {});
  var councilStyle = {color: "#666", weight: 1.5, fillColor: "#fff8e1", fillOpacity: 0.25};
  var chosenStyle = {color: "#0b5394", weight: 4, fillColor: "#cfe2f3", fillOpacity: 0.35};
  var councilLayers = {};
  L.geoJSON(data.councils, {
    style: councilStyle,
    onEachFeature: function (f, layer) {
      councilLayers[f.properties.id] = layer;
      layer.bindTooltip(c.el("span", {}, [f.properties.name]), {sticky: true});
    }
  }).addTo(map);

  function highlightCouncil(councilId) {
    Object.keys(councilLayers).forEach(function (id) {
      councilLayers[id].setStyle(id === councilId ? chosenStyle : councilStyle);
    });
  }
  var resultLayer = L.layerGroup().addTo(map);
  var originMarker = null;

  function setStatus(text, isError) {
    statusNode.textContent = text;
    statusNode.classList.toggle("error", Boolean(isError));
    if (isError && statusNode.scrollIntoView) { statusNode.scrollIntoView({block: "nearest"}); }
  }

  function inside(lat, lon) {
    return lon >= extent[0] && lon <= extent[2] && lat >= extent[1] && lat <= extent[3];
  }

  var chosenCouncil = null;  // the council whose whole territory the view frames

  function setOrigin(lat, lon, councilId) {
    if (councilId === null) { councilSelect.value = ""; }
    highlightCouncil(councilId);
    chosenCouncil = councilId;
    origin = {lat: lat, lon: lon};
    followInUrl();
    if (originMarker) { originMarker.remove(); }
    originMarker = L.circleMarker([lat, lon], {
      radius: 9, color: "#fff", weight: 3, fillColor: "#1565c0", fillOpacity: 1
    }).bindTooltip(c.el("span", {}, [c.tr("js.you_are_here")])).addTo(map);
    search();
  }

  function resultItem(r, index, marker) {
    var walk = c.tr("js.walk", {distance: c.distance(r.dist_m), time: c.minutes(r.time_min)});
    var item = c.el("li", {className: "result", dataset: {id: r.id}}, [
      c.el("button", {type: "button", className: "result-button"}, [
        c.el("img", {className: "result-icon", alt: "",
          src: c.config.static + "icons/" + c.iconFile(r.category)}),
        c.el("span", {className: "result-text"}, [
          c.el("strong", {className: "result-name"}, [(index + 1) + ". " + r.name]),
          c.el("span", {className: "result-line"}, [
            c.el("span", {className: "result-cat"}, [c.categoryLabel(r.category)]),
            counted.indexOf(r.category) < 0 ?  // halls, schools...: not counted as offerings
              c.el("span", {className: "result-kind"}, [c.tr("js.host_place")]) : null
          ]),
          c.el("span", {className: "result-walk"}, [walk]),
          r.address ? c.el("span", {className: "result-address"}, [r.address]) : null
        ])
      ])
    ]);
    item.firstChild.addEventListener("click", function () {
      var box = map.getContainer().getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {  // phones: bring the map back
        map.getContainer().scrollIntoView({block: "start"});
      }
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16), {animate: false});
      marker.openPopup();
    });
    return item;
  }

  function render(results) {
    resultLayer.clearLayers();
    resultsNode.replaceChildren();
    var bounds = L.latLngBounds([[origin.lat, origin.lon]]);
    results.forEach(function (r, index) {
      var marker = L.marker([r.lat, r.lon], {icon: c.venueIcon(r.category), title: r.name,
        alt: r.name});
      marker.bindPopup(function () {
        return c.el("div", {className: "popup"}, [
          c.el("h3", {}, [r.name]),
          c.el("p", {}, [c.categoryLabel(r.category)]),
          c.el("p", {}, [c.tr("js.walk", {distance: c.distance(r.dist_m),
            time: c.minutes(r.time_min)})])
        ]);
      }, {autoPanPadding: [20, 20]});
      marker.addTo(resultLayer);
      bounds.extend(marker.getLatLng());
      resultsNode.appendChild(resultItem(r, index, marker));
    });
    resultsNode.dataset.count = String(results.length);
    if (chosenCouncil && councilLayers[chosenCouncil]) {  // a shared council link: all of it
      bounds.extend(councilLayers[chosenCouncil].getBounds());
    }
    if (results.length) {
      // no animation: a zoom still running would swallow the view set by a tap on a result
      map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17, animate: false});
      bringResultsIntoView();
      setStatus(c.tr("js.results_found", {count: c.num(results.length)}), false);
    } else {
      setStatus(c.tr("js.no_results"), false);
    }
  }

  var firstAnswer = data.initial;  // the page already holds the answer of a shared council link

  function search() {
    if (!origin) { return; }
    if (firstAnswer && firstAnswer.council === chosenCouncil &&
        firstAnswer.category === categorySelect.value) {
      var ready = firstAnswer.results;
      firstAnswer = null;
      render(ready);
      return;
    }
    firstAnswer = null;
    var params = new URLSearchParams({
      lat: origin.lat.toFixed(6), lon: origin.lon.toFixed(6), limit: "10", lang: c.config.lang
    });
    if (categorySelect.value === "offerings") {  // the categories the analysis counts
      params.set("category", (c.config.counted_categories || []).join(","));
    } else if (categorySelect.value) {
      params.set("category", categorySelect.value);
    }
    var seq = ++requestSeq;
    setStatus(c.tr("js.searching"), false);
    fetch("/api/nearest?" + params.toString(), {headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        if (seq !== requestSeq) { return; }  // a newer search was started meanwhile
        if (!answer.ok) {
          resultLayer.clearLayers();
          resultsNode.replaceChildren();
          resultsNode.dataset.count = "0";
          setStatus(answer.body.detail || c.tr("js.request_failed"), true);
          return;
        }
        render(answer.body.results);
      })
      .catch(function () {
        if (seq === requestSeq) { setStatus(c.tr("js.request_failed"), true); }
      });
  }

  /* On a phone the list sits under the map and the form: show where the answer is. */
  function bringResultsIntoView() {
    var box = statusNode.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      statusNode.scrollIntoView({block: "start"});
    }
  }

  /* The address bar follows the choice, so that the view can be shared as it is. */
  function currentUrl() {
    var params = new URLSearchParams();
    if (chosenCouncil) {
      params.set("junta", chosenCouncil);
    } else if (origin) {
      params.set("lat", origin.lat.toFixed(5));
      params.set("lon", origin.lon.toFixed(5));
    }
    if (categorySelect.value !== "offerings") { params.set("categoria", categorySelect.value); }
    if (c.config.lang) { params.set("lang", c.config.lang); }
    var text = params.toString();
    return window.location.pathname + (text ? "?" + text : "");
  }

  function followInUrl() {
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", currentUrl());
    }
  }

  var shareButton = document.getElementById("share-btn");
  if (shareButton) {
    shareButton.addEventListener("click", function () {
      var url = new URL(currentUrl(), window.location.href).href;
      if (navigator.share) {
        navigator.share({title: document.title, url: url}).catch(function () {});
      } else if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(function () {
          setStatus(c.tr("js.link_copied"), false);
        }, function () { window.prompt(c.tr("js.copy_link"), url); });
      } else {
        window.prompt(c.tr("js.copy_link"), url);
      }
    });
  }

  councilSelect.addEventListener("change", function () {
    var option = councilSelect.selectedOptions[0];
    if (!option || !option.value) { return; }
    setOrigin(parseFloat(option.dataset.lat), parseFloat(option.dataset.lon), option.value);
    // residents' proposals and creators (issue 16) are in the page for the council it was
    // opened with; for another one, a link loads them
    var people = document.getElementById("nearby-people");
    var linkRow = document.getElementById("people-link-row");
    var same = people && people.dataset.council === option.value;
    if (people) { people.hidden = !same; }
    if (linkRow) {
      linkRow.hidden = same;
      document.getElementById("people-link").href = currentUrl();
    }
  });
  categorySelect.addEventListener("change", function () { followInUrl(); search(); });
  map.on("click", function (e) { setOrigin(e.latlng.lat, e.latlng.lng, null); });

  document.getElementById("locate-btn").addEventListener("click", function () {
    /* Browsers give the location only to secure pages (https or this machine); over
       plain http they answer "denied" without asking, which is not the person's doing. */
    if (window.isSecureContext === false) { setStatus(c.tr("js.geo_insecure"), true); return; }
    if (!navigator.geolocation) { setStatus(c.tr("js.geo_unsupported"), true); return; }
    setStatus(c.tr("js.locating"), false);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude, lon = pos.coords.longitude;
      if (!inside(lat, lon)) { setStatus(c.tr("js.geo_outside"), true); return; }
      setOrigin(lat, lon, null);
    }, function (err) {
      var key = err.code === 1 ? "js.geo_denied" : err.code === 3 ? "js.geo_timeout" :
        "js.geo_unavailable";
      setStatus(c.tr(key), true);
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  /* Shareable links: /cerca?junta=JV-05&categoria=library opens with that search. */
  var query = new URLSearchParams(window.location.search);
  var wantedCategory = query.get("categoria") || query.get("category");
  if (wantedCategory !== null) {
    var known = Array.prototype.some.call(categorySelect.options, function (option) {
      return option.value === wantedCategory;
    });
    if (known) { categorySelect.value = wantedCategory; }
  }
  var wantedCouncil = query.get("junta") || query.get("council");
  if (wantedCouncil) {
    var match = Array.prototype.find.call(councilSelect.options, function (option) {
      return option.value && option.value === wantedCouncil;
    });
    if (match) {
      councilSelect.value = match.value;
      setOrigin(parseFloat(match.dataset.lat), parseFloat(match.dataset.lon), match.value);
    }
  } else if (query.get("lat") && query.get("lon")) {  // a shared point
    var sharedLat = parseFloat(query.get("lat")), sharedLon = parseFloat(query.get("lon"));
    if (isFinite(sharedLat) && isFinite(sharedLon) && inside(sharedLat, sharedLon)) {
      setOrigin(sharedLat, sharedLon, null);
    }
  }

  /* Offline after one visit (webmap/static/js/sw.js); browsers allow it on HTTPS and on
   * localhost only, elsewhere the page simply works online. */
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  window.culturamapNearby = {map: map, setOrigin: setOrigin};
  document.body.dataset.mapReady = "1";
}());
