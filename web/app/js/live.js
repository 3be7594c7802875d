// live.js: the event stream (GET /api/v1/events, SSE). One EventSource per
// screen; the browser reconnects by itself and resumes with Last-Event-ID.
// While it is down, a banner says so, and says when it is back. A stream
// the server refuses (401: the sign-in ended) is not retried by the
// browser: the app asks who is signed in, which takes a signed-out user
// to the sign-in screen, and otherwise opens the stream again itself.

import { me as whoAmI } from "./api.js";

const TYPES = [
  "charger.connected", "charger.disconnected", "charger.booted", "charger.updated", "connector.status",
  "session.pending", "session.started", "session.meter", "session.stopped", "session.failed", "session.updated",
  "site.created", "site.updated", "site.deleted", "site.load",
];

let current = null;

function banner(tone, text) {
  const el = document.getElementById("banner");
  if (!el) return;
  el.hidden = !text;
  el.className = `banner ${tone || ""}`;
  el.textContent = text || "";
}

// watch opens a stream with the filter ({chargerId, sessionId}) and calls
// onEvent(event) for each event. onResync() is called after a reconnect, so a
// screen can reload what it may have missed if the server could not replay.
// It replaces the previous screen's stream: a document has one at most.
export function watch(filter, onEvent, onResync) {
  close();
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter || {})) if (v) q.set(k, v);
  const me = { url: `/api/v1/events${q.toString() ? "?" + q : ""}`, onEvent, onResync, es: null, dropped: false, hideTimer: 0, retryTimer: 0 };
  current = me;
  connect(me);
  return me;
}

function connect(me) {
  me.es = new EventSource(me.url);
  listen(me, me.es, () => {
    whoAmI().catch(() => {}).finally(() => {
      if (current === me && me.es) me.retryTimer = setTimeout(() => { if (current === me && me.es) connect(me); }, 3000);
    });
  });
}

// The back/forward cache keeps a page that was left, with its open
// connections: an EventSource kept there holds one of the six HTTP/1.1
// connections the browser allows per host, and after a few pages the app
// waits for a connection that never frees. So the stream closes when the
// page is hidden, and opens again (reloading what it missed) when the
// page comes back from the cache.
window.addEventListener("pagehide", () => {
  if (!current || !current.es) return;
  current.es.close();
  current.es = null;
  clearTimeout(current.retryTimer);
  clearTimeout(current.hideTimer);
  banner();
  delete document.body.dataset.live;
});
window.addEventListener("pageshow", (e) => {
  if (!e.persisted || !current || current.es) return;
  const me = current;
  connect(me);
  if (me.onResync) Promise.resolve().then(me.onResync).catch(() => {});
});

function listen(me, es, onClosed) {
  es.addEventListener("open", () => {
    if (me.es !== es) return;
    if (me.dropped) {
      me.dropped = false;
      banner("ok", "Live updates are back.");
      clearTimeout(me.hideTimer);
      me.hideTimer = setTimeout(() => { if (current === me && !me.dropped) banner(); }, 3000);
      // A resync that fails (the sign-in ended: the API's 401 handler
      // takes over) must not become an unhandled rejection.
      if (me.onResync) Promise.resolve().then(me.onResync).catch(() => {});
    }
    document.body.dataset.live = "up";
  });
  es.addEventListener("error", () => {
    if (current !== me || me.es !== es) return;
    me.dropped = true;
    document.body.dataset.live = "down";
    banner("bad", "Live updates interrupted — reconnecting…");
    if (es.readyState === EventSource.CLOSED) onClosed();
  });
  for (const t of TYPES) {
    es.addEventListener(t, (m) => {
      if (me.es !== es) return;
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      me.onEvent(e);
    });
  }
}

export function close() {
  if (current) {
    if (current.es) current.es.close();
    current.es = null;
    clearTimeout(current.hideTimer);
    clearTimeout(current.retryTimer);
    current = null;
  }
  banner();
  delete document.body.dataset.live;
}
