package httpapi

import (
	"bufio"
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
			fmt.Fprint(bw, ": ping\n\n")
		case e, ok := <-sub.Events():
			if !ok {
				s.log.Debug("event stream dropped", "charger", f.ChargerID, "session", f.SessionID)
				return
			}
			data, err := json.Marshal(e)
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
