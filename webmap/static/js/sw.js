/* Service worker of the leader's phone view (/cerca): after one visit the page, its scripts
 * and the searches already made work without a connection (weak data plans, halls without
 * signal). Served at /sw.js so that it may control /cerca; CACHE is set by the server from
 * the content of the files it caches, so a new release replaces the old copies. */
"use strict";
var CACHE = "culturamap-__VERSION__";
var PRECACHE = __PRECACHE__;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("culturamap-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      // an offline reload of /cerca?junta=X before that exact URL was cached: the page
      // itself (its script reads the query string)
      return hit || caches.match(request, {ignoreSearch: true});
    });
  });
}

function cacheFirst(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (PRECACHE.indexOf(url.pathname) >= 0 && url.pathname.indexOf("/static/") === 0) {
    // only the phone view's own files: other pages' scripts (the planner's) stay fresh
    event.respondWith(cacheFirst(request));
  } else if (url.pathname === "/cerca" || url.pathname === "/nearby" ||
             url.pathname === "/api/nearest" || url.pathname === "/api/agenda" ||
             url.pathname.indexOf("/actividades/") === 0) {
    // the agenda near a place and the activity pages already seen work offline too
    event.respondWith(networkFirst(request));
  }
});
