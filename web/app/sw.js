// sw.js: keeps the app shell for offline use. The API and its event stream
// always go to the network; a page opened offline gets the cached shell,
// which then says what it cannot load. __VERSION__ is replaced by the server
// with a hash of the embedded files, so each release installs a fresh cache.

const CACHE = "joule-shell-__VERSION__";
const SHELL = [
  "/", "/app.css", "/manifest.webmanifest",
  "/js/main.js", "/js/api.js", "/js/account.js", "/js/ui.js", "/js/live.js", "/js/chart.js",
  "/js/driver.js", "/js/operator.js", "/js/security.js", "/js/signin.js", "/js/users.js", "/js/sites.js", "/js/geo.js", "/js/reports.js",
  "/js/money.js", "/js/tariffs.js", "/js/opsession.js", "/js/siteload.js",
  "/icons/joule.svg", "/icons/joule-maskable.svg", "/icons/connectors.svg",
];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("joule-shell-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/ocpp/")) {
    return; // the network, untouched
  }
  if (req.mode === "navigate") {
    // Network first so a release shows at once; the shell when offline.
    e.respondWith(fetch(req).catch(() => caches.match("/", { cacheName: CACHE })));
    return;
  }
  // Assets: network first (they are revalidated by ETag), cache as fallback.
  e.respondWith(
    fetch(req).then((res) => {
      if (res.ok) {
        const copy = res.clone();
        caches.open(CACHE).then((c) => c.put(req, copy));
      }
      return res;
    }).catch(() => caches.match(req, { cacheName: CACHE })),
  );
});
