{% load static %}// The dashboard's service worker: keeps the page's shell and its last answers, so that opening the
// page without a network shows the last values with their time and an "offline" note.
// Rendered by Django so the shell's list names this deploy's hashed static files; a new deploy
// is a new worker, and its install replaces the old cache.
"use strict";
var CACHE = "home-weather-{{ version }}";
var SHELL = {{ shell|safe }};
var ANSWERS = ["{% url 'api-latest' %}", "{% url 'api-history' %}"];
// Only the dashboard itself is kept: not the share-link list (it shows a new link's address) nor
// any other member page.
var PAGES = ["{% url 'dashboard' %}"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// A cached answer, marked so that the page can say it is offline and since when.
function offlineCopy(cached) {
  if (!cached) return Response.error();
  var headers = new Headers(cached.headers);
  headers.set("X-Offline-Copy", cached.headers.get("Date") || "");
  return cached.blob().then(function (body) {
    return new Response(body, { status: cached.status, statusText: cached.statusText, headers: headers });
  });
}

function forget() {
  return caches.open(CACHE).then(function (cache) {
    return cache.keys().then(function (requests) {
      return Promise.all(requests.filter(function (r) { return SHELL.indexOf(new URL(r.url).pathname) < 0; })
        .map(function (r) { return cache.delete(r); }));
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Logging out forgets the pages and answers kept for this member.
  if (request.method === "POST" && url.pathname.indexOf("/accounts/logout/") === 0) { event.waitUntil(forget()); return; }
  if (request.method !== "GET") return;
  var page = request.mode === "navigate" && PAGES.indexOf(url.pathname) >= 0;
  var answer = ANSWERS.indexOf(url.pathname) >= 0;
  if (page || answer) {
    // Network first, so that online readers always get fresh values; the copy is for offline.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return fetch(request).then(function (response) {
        if (response.status === 200 && !response.redirected && response.type === "basic") {
          cache.put(page ? url.pathname : url.pathname + url.search, response.clone());
        } else if (response.redirected && response.url.indexOf("/accounts/login/") >= 0) {
          event.waitUntil(forget()); // logged out elsewhere: nothing kept for a stranger
        }
        return response;
      }).catch(function () {
        return cache.match(page ? url.pathname : url.pathname + url.search).then(offlineCopy);
      });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
  }
});
