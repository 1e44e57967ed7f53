// Scenarios page: a small Leaflet map (council outlines, the venues) whose clicks write lon/lat
// into the first hypothetical-venue row still empty, else the last row. No external tiles.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("scenario-data").textContent);
  var map = window.culturamapCommon.outlineMap("scenario-map", data);
  data.venues.forEach(function (v) {
    var label = document.createElement("span");
    label.textContent = v.id + " · " + v.name;  // a node, never an HTML string
    L.circleMarker([v.lat, v.lon], {radius: 5, color: "#333", weight: 1, fillOpacity: 0.7})
      .bindTooltip(label).addTo(map);
  });
  var rows = Array.prototype.slice.call(document.querySelectorAll(".scenario-add"));
  var markers = {};
  map.on("click", function (event) {
    var row = rows.filter(function (r) {
      return !r.querySelector("[data-coord=lon]").value;
    })[0] || rows[rows.length - 1];
    row.querySelector("[data-coord=lon]").value = event.latlng.lng.toFixed(6);
    row.querySelector("[data-coord=lat]").value = event.latlng.lat.toFixed(6);
    if (markers[row.id]) { map.removeLayer(markers[row.id]); }
    markers[row.id] = L.marker(event.latlng, {title: row.id}).addTo(map);
  });
  window.culturamapScenarios = {map: map};
  document.body.setAttribute("data-map-ready", "1");
})();
