/* 村声 field app: the service worker (scope /field/).
 *
 * The server prefixes this file with `self.CUNSHENG_FIELD = {version, files}`: the shell's joint hash
 * and the URLs to precache. One cache per version; a deploy changes the version, so the browser
 * installs a new worker, which waits: it takes over only when the page asks (the app asks only when
 * no interview is open, after warning about unsent items) or when every tab of the app is closed.
 * Data never lives here: cases, answers and the outbox are in IndexedDB, which no update touches.
 * The API is never cached or answered from here.
 */
(function () {
  "use strict";
  var config = self.CUNSHENG_FIELD;
  var PREFIX = "cunsheng-field-";
  var CACHE = PREFIX + config.version;
  var SHELL = config.files[0];

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      // `reload`: the deployed copy, never one from the HTTP cache
      return cache.addAll(config.files.map(function (url) { return new Request(url, {cache: "reload"}); }));
    }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf(PREFIX) === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); }));
  });

  self.addEventListener("message", function (event) {
    if (event.data === "take-over") self.skipWaiting();
    if (event.data === "version" && event.source) event.source.postMessage({version: config.version});
  });

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) return;
    var navigation = request.mode === "navigate" && url.pathname.indexOf(SHELL) === 0;
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(navigation ? SHELL : request, {ignoreSearch: navigation}).then(function (hit) {
        return hit || fetch(request);
      });
    }));
  });
})();
