// live.js: the event stream (GET /api/v1/events, SSE). One EventSource per
// screen; the browser reconnects by itself and resumes with Last-Event-ID.
// While it is down, a banner says so, and says when it is back.

const TYPES = [
  "charger.connected", "charger.disconnected", "charger.booted", "charger.updated", "connector.status",
  "session.pending", "session.started", "session.meter", "session.stopped", "session.failed", "session.updated",
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
// It replaces the previous screen's stream.
export function watch(filter, onEvent, onResync) {
  close();
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter || {})) if (v) q.set(k, v);
  const es = new EventSource(`/api/v1/events${q.toString() ? "?" + q : ""}`);
  const me = { es, dropped: false, hideTimer: 0 };
  current = me;
  es.addEventListener("open", () => {
    if (me.dropped) {
      me.dropped = false;
      banner("ok", "Live updates are back.");
      clearTimeout(me.hideTimer);
      me.hideTimer = setTimeout(() => { if (current === me && !me.dropped) banner(); }, 3000);
      onResync && onResync();
    }
    document.body.dataset.live = "up";
  });
  es.addEventListener("error", () => {
    if (current !== me) return;
    me.dropped = true;
    document.body.dataset.live = "down";
    banner("bad", "Live updates interrupted — reconnecting…");
  });
  for (const t of TYPES) {
    es.addEventListener(t, (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      onEvent(e);
    });
  }
  return me;
}

export function close() {
  if (current) {
    current.es.close();
    clearTimeout(current.hideTimer);
    current = null;
  }
  banner();
  delete document.body.dataset.live;
}
