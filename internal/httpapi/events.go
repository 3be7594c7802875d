package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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
	if lastID != "" {
		after, err := strconv.ParseUint(lastID, 10, 64)
		if err != nil {
			s.invalid(w, r, "Last-Event-ID must be an event id (a non-negative integer), got "+quote(lastID))
			return
		}
		if rp, ok := s.bus.(replayer); ok {
			sub = rp.SubscribeFrom(f, after)
		}
	}
	if sub == nil {
		sub = s.bus.Subscribe(f)
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	// A stream outlives any http.Server WriteTimeout; the heartbeat detects
	// dead clients instead. Not every writer supports deadlines.
	_ = rc.SetWriteDeadline(time.Time{})

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	bw := bufio.NewWriter(w)
	flush := func() error {
		if err := bw.Flush(); err != nil {
			return err
		}
		return rc.Flush()
	}
	fmt.Fprint(bw, "retry: 2000\n\n")
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
				s.log.Debug("event stream dropped", "charger", f.ChargerID, "session", f.SessionID)
				return
			}
			var v any = e
			if view != nil {
				if v = view.event(r.Context(), e); v == nil {
					continue
				}
			}
			data, err := json.Marshal(v)
			if err != nil {
				s.log.Error("encode event", "type", e.Type, "err", err)
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

// event returns what the driver may see of e, or nil.
func (v *driverView) event(ctx context.Context, e charging.Event) any {
	if e.SessionID != "" && !v.owns(ctx, e) {
		return nil
	}
	if e.Charger != nil && e.Charger.Admission != "" && e.Charger.Admission != charging.AdmissionAccepted {
		return nil
	}
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
