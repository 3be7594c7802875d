package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/events?chargerId=&sessionId=
//
// The stream is text/event-stream: a retry hint, then one SSE event per bus
// event (id: Event.ID, event: Event.Type, data: the Event as JSON) and a
// ": ping" comment every HeartbeatInterval. A client that reconnects with
// Last-Event-ID (or ?lastEventId=) first gets the events it missed, when the
// bus keeps them. The stream ends when the client goes, when the bus drops
// the subscription for being too slow (the client reconnects and resumes)
// or when the server shuts down.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := charging.EventFilter{ChargerID: q.Get("chargerId"), SessionID: q.Get("sessionId")}
	var view *driverView
	if p := principal(r); p.Role == charging.RoleDriver {
		if f.SessionID != "" {
			if _, err := s.ownSession(r, f.SessionID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		view = &driverView{s: s, userID: p.UserID, mine: map[string]bool{}}
	}

	// The header is what EventSource sends on reconnect, so it wins over
	// the query parameter (which is for the first connection).
	lastID := r.Header.Get("Last-Event-ID")
	if lastID == "" {
		lastID = q.Get("lastEventId")
	}
	var sub charging.Subscription
	reset := false // the client missed events: tell it to reload
	if lastID != "" {
		after, err := strconv.ParseUint(lastID, 10, 64)
		if err != nil {
			s.invalid(w, r, "Last-Event-ID must be an event id (a non-negative integer), got "+quote(lastID))
			return
		}
		if rp, ok := s.bus.(replayer); ok {
			var complete bool
			sub, complete = rp.ResumeFrom(f, after)
			reset = !complete
		} else {
			reset = true
		}
	}
	if sub == nil {
		sub = s.bus.Subscribe(f)
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	// Every write has its own deadline (sseWriteTimeout): a client that
	// stops reading is dropped instead of pinning this goroutine, while the
	// stream itself may last for hours.
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout)) }
	deadline()
	// The server's ReadTimeout bounds reading a request, not a stream that
	// lasts for hours (its expiry would cancel the request).
	_ = rc.SetReadDeadline(time.Time{})

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	bw := bufio.NewWriter(w)
	flush := func() error {
		deadline()
		if err := bw.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}
	fmt.Fprint(bw, "retry: 2000\n\n")
	if reset {
		// The events after Last-Event-ID are gone (a restart, or more than
		// the history): resuming would skip them silently. The client
		// reloads its state through the REST API, then follows on.
		fmt.Fprint(bw, "event: reset\ndata: {\"reason\":\"events after Last-Event-ID are no longer available; reload the state from the REST API\"}\n\n")
	}
	if err := flush(); err != nil {
		return
	}

	heartbeat := time.NewTicker(s.opts.HeartbeatInterval)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.shutdown:
			return
		case <-heartbeat.C:
			// Credentials are checked again at every heartbeat: a
			// revoked sign-in, a disabled user or a deleted key ends the
			// stream (the client reconnects and gets 401).
			if !s.stillSignedIn(r) {
				return
			}
			fmt.Fprint(bw, ": ping\n\n")
		case e, ok := <-sub.Events():
			if !ok {
				// The bus dropped this subscriber: it fell behind. Say so,
				// with a later retry, so it resumes from its last id.
				s.log.Info("slow event stream dropped", "charger", f.ChargerID, "session", f.SessionID)
				fmt.Fprint(bw, "retry: 5000\nevent: dropped\ndata: {\"reason\":\"this stream fell behind and was dropped; reconnect with Last-Event-ID to resume\"}\n\n")
				_ = flush()
				return
			}
			data, ok := s.encodeEvent(r.Context(), e, view)
			if !ok {
				continue
			}
			// encoding/json output has no newlines, so one data: line is enough.
			fmt.Fprintf(bw, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Type, data)
		}
		if err := flush(); err != nil {
			return
		}
	}
}

// sseWriteTimeout bounds each write of an event stream.
const sseWriteTimeout = 10 * time.Second

// encodeEvent returns e as the stream's data line: the staff view is
// encoded once for every stream (eventCache), a driver's view once per
// event too, after the driver's own filter. ok is false when the driver
// may not see e.
func (s *Server) encodeEvent(ctx context.Context, e charging.Event, view *driverView) ([]byte, bool) {
	if view != nil && !view.sees(ctx, e) {
		return nil, false
	}
	key := eventKey{id: e.ID, driver: view != nil}
	if b, ok := s.encoded.get(key); ok {
		return b, true
	}
	var v any = e
	if view != nil {
		v = publicEvent(e)
	}
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode event", "type", e.Type, "err", err)
		return nil, false
	}
	s.encoded.put(key, b)
	return b, true
}

// eventCache keeps the encodings of recent events, so that N streams
// encode an event once, not N times. It is a ring: the oldest goes first.
type eventCache struct {
	mu   sync.Mutex
	m    map[eventKey][]byte
	ring [eventCacheSize]eventKey
	next int
}

const eventCacheSize = 1024

type eventKey struct {
	id     uint64
	driver bool // the public view drivers get
}

func (c *eventCache) get(k eventKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[k]
	return b, ok
}

func (c *eventCache) put(k eventKey, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[eventKey][]byte, eventCacheSize)
	}
	if _, ok := c.m[k]; ok {
		return
	}
	delete(c.m, c.ring[c.next])
	c.ring[c.next] = k
	c.next = (c.next + 1) % eventCacheSize
	c.m[k] = b
}

// driverView filters a driver's event stream: their own sessions' events,
// and the public view of accepted chargers, their connectors and sites.
type driverView struct {
	s      *Server
	userID string
	mine   map[string]bool // session id -> the driver's (cached per stream)
}

// driverEvent is charging.Event with chargers in their public view.
type driverEvent struct {
	ID          uint64                 `json:"id"`
	Type        string                 `json:"type"`
	Time        time.Time              `json:"time"`
	ChargerID   string                 `json:"chargerId"`
	ConnectorID int                    `json:"connectorId,omitempty"`
	SessionID   string                 `json:"sessionId,omitempty"`
	SiteID      string                 `json:"siteId,omitempty"`
	Charger     *publicCharger         `json:"charger,omitempty"`
	Connector   *publicConnector       `json:"connector,omitempty"`
	Session     *charging.Session      `json:"session,omitempty"`
	Site        *publicSite            `json:"site,omitempty"`
	Samples     []charging.MeterSample `json:"samples,omitempty"`
}

// sees reports whether the driver may see e.
func (v *driverView) sees(ctx context.Context, e charging.Event) bool {
	switch e.Type {
	case charging.EventSiteLoad, charging.EventSiteMeter, charging.EventChargerMeter:
		// A site's load names other drivers' sessions; meters are the operator's.
		return false
	}
	if e.SessionID != "" && !v.owns(ctx, e) {
		return false
	}
	return e.Charger == nil || e.Charger.Admission == "" || e.Charger.Admission == charging.AdmissionAccepted
}

// publicEvent is e with its charger and connector in their public view
// (what a driver may see of them); the same for every driver.
func publicEvent(e charging.Event) driverEvent {
	d := driverEvent{ID: e.ID, Type: e.Type, Time: e.Time, ChargerID: e.ChargerID, ConnectorID: e.ConnectorID,
		SessionID: e.SessionID, SiteID: e.SiteID, Session: e.Session, Samples: e.Samples}
	if e.Site != nil {
		x := toPublicSite(*e.Site) // not the operator's notes
		d.Site = &x
	}
	if e.Charger != nil {
		c := toPublicCharger(*e.Charger)
		d.Charger = &c
	}
	if e.Connector != nil {
		k := toPublicConnector(*e.Connector)
		d.Connector = &k
	}
	return d
}

// owns reports whether the event's session is the driver's. The store
// knows the owner (it may have come from the id tag), so it is asked once
// per session, and again when the session starts (its id tag may be new).
func (v *driverView) owns(ctx context.Context, e charging.Event) bool {
	if e.Session != nil && e.Session.OwnerID != "" {
		return e.Session.OwnerID == v.userID
	}
	mine, ok := v.mine[e.SessionID]
	if ok && (mine || e.Type != charging.EventSessionStarted) {
		return mine
	}
	ses, err := v.s.svc.GetSession(ctx, e.SessionID)
	mine = err == nil && v.userID != "" && ses.OwnerID == v.userID
	if len(v.mine) > 10000 {
		clear(v.mine)
	}
	v.mine[e.SessionID] = mine
	return mine
}
