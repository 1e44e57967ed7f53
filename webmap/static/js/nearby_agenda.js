/* "Próximas actividades" on /cerca: when a council or a point is chosen (nearby.js sends
 * "culturamap:origin"), list the next 30 days' activities within the chosen walk, from
 * /api/agenda; the filters (walk, audience, free only) ask again. Texts come from the
 * translations; every value is written as text (never as HTML). */
(function () {
  "use strict";
  var c = window.culturamapCommon;
  var section = document.getElementById("agenda");
  var list = document.getElementById("agenda-list");
  if (!section || !list) { return; }  // no activities registered: the page says so
  var statusNode = document.getElementById("agenda-status");
  var minutes = document.getElementById("agenda-minutes");
  var audience = document.getElementById("agenda-audience");
  var free = document.getElementById("agenda-free");
  var feed = document.getElementById("agenda-feed");
  var origin = null;
  var seq = 0;

  var query = new URLSearchParams(window.location.search);
  if (query.get("minutos")) { minutes.value = query.get("minutos"); }
  if (query.get("publico")) { audience.value = query.get("publico"); }
  if (query.get("gratis") === "1") { free.checked = true; }

  function params() {
    var p = new URLSearchParams({minutos: minutes.value, lang: c.config.lang});
    if (origin.council) { p.set("junta", origin.council); } else {
      p.set("lat", origin.lat.toFixed(6));
      p.set("lon", origin.lon.toFixed(6));
    }
    if (audience.value) { p.set("publico", audience.value); }
    if (free.checked) { p.set("gratis", "1"); }
    return p;
  }

  function render(body) {
    list.replaceChildren();
    body.sessions.forEach(function (s) {
      var link = s.url + "?lang=" + encodeURIComponent(c.config.lang) +
        (origin.council ? "&junta=" + encodeURIComponent(origin.council) : "");
      var walk = s.time_min === null ? "" :
        c.tr("js.agenda.walk", {minutes: c.num(Math.max(1, Math.round(s.time_min)))});
      list.appendChild(c.el("li", {className: "agenda-item"}, [
        c.el("a", {href: link}, [c.el("strong", {}, [s.title])]),
        c.el("span", {className: "agenda-when"}, [s.when]),
        c.el("span", {className: "agenda-walk"},
          [walk + (s.free ? " · " + c.tr("js.agenda.free") : "")])
      ]));
    });
    statusNode.textContent = body.sessions.length ? "" : c.tr("js.agenda.none");
  }

  function search() {
    if (!origin) { return; }
    var mine = ++seq;
    if (feed && origin.council) {
      feed.href = "/agenda/unidad/" + encodeURIComponent(origin.council) + ".ics";
    }
    fetch("/api/agenda?" + params().toString(), {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (answer) {
        if (mine !== seq) { return; }
        if (!answer.ok) { statusNode.textContent = answer.body.detail || ""; return; }
        render(answer.body);
      })
      .catch(function () { if (mine === seq) { statusNode.textContent = c.tr("js.request_failed"); } });
  }

  document.addEventListener("culturamap:origin", function (e) {
    origin = e.detail;
    search();
  });
  [minutes, audience, free].forEach(function (node) {
    node.addEventListener("change", search);
  });
  document.getElementById("agenda-filters").addEventListener("submit", function (e) {
    e.preventDefault();
    search();
  });
  if (window.culturamapOrigin) {  // chosen before this script ran (a shared link)
    origin = window.culturamapOrigin;
    search();
  }
}());
