// Planning page: a Leaflet map whose clicks write lon/lat into the chosen form (add a venue,
// place a "por ubicar" place, move a venue). No external tiles: council outlines only.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("workspace-data").textContent);
  var map = window.culturamapCommon.outlineMap("workspace-map", data);
  // Dragging a venue writes its new place into its edit form (saved with "Save changes").
  data.venues.forEach(function (v) {
    var marker = L.marker([v.lat, v.lon], {draggable: true, title: v.name, keyboard: false})
      .addTo(map);
    marker.on("dragend", function () {
      var form = document.getElementById("edit-form-" + v.id);
      var where = marker.getLatLng();
      form.querySelector("[data-coord=lon]").value = where.lng.toFixed(6);
      form.querySelector("[data-coord=lat]").value = where.lat.toFixed(6);
      form.closest("details").open = true;
      form.scrollIntoView({behavior: "smooth", block: "center"});
    });
  });
  var target = document.getElementById("map-target");
  var formId = "add-form";
  var picked = null;
  document.querySelectorAll("button.pick").forEach(function (button) {
    button.addEventListener("click", function () {
      formId = button.getAttribute("data-form");
      target.textContent = button.getAttribute("data-label");
      target.setAttribute("data-target", formId);
      document.getElementById("workspace-map").scrollIntoView({behavior: "smooth"});
    });
  });
  map.on("click", function (event) {
    var form = document.getElementById(formId);
    form.querySelector("[data-coord=lon]").value = event.latlng.lng.toFixed(6);
    form.querySelector("[data-coord=lat]").value = event.latlng.lat.toFixed(6);
    if (picked) { map.removeLayer(picked); }
    picked = L.marker(event.latlng).addTo(map);
    form.scrollIntoView({behavior: "smooth", block: "center"});
  });
  window.culturamapWorkspace = {map: map};
  document.body.setAttribute("data-map-ready", "1");
})();
