// The residents' proposal form: a click on the map writes lon/lat into the form; published
// proposals are drawn as points. No external tiles: council outlines only.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("people-data").textContent);
  var map = window.culturamapCommon.outlineMap("people-map", data);
  (data.proposals || []).forEach(function (p) {
    L.circleMarker([p.point[1], p.point[0]], {radius: 7, color: "#5b2a86", fillColor: "#f2c14e",
      fillOpacity: 0.9}).bindTooltip(text(p.text)).addTo(map);
  });
  function text(value) {  // a text node: Leaflet would read a string as HTML
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  var picked = null;
  var form = document.getElementById("propose-form");
  map.on("click", function (event) {
    form.querySelector("[data-coord=lon]").value = event.latlng.lng.toFixed(6);
    form.querySelector("[data-coord=lat]").value = event.latlng.lat.toFixed(6);
    if (picked) { map.removeLayer(picked); }
    picked = L.marker(event.latlng).addTo(map);
  });
  window.culturamapPeople = {map: map};
  document.body.setAttribute("data-map-ready", "1");
})();
