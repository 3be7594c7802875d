package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// StatsService is the fleet statistics part of Service. csms.Service
// implements it.
type StatsService interface {
	// PowerHistory returns the total charging power from q.Since until
	// now in buckets of q.Step (zero fields: the service's defaults).
	PowerHistory(ctx context.Context, q charging.PowerQuery) (charging.PowerHistory, error)
}

// powerHistory is the JSON shape of a charging.PowerHistory.
type powerHistory struct {
	Since       time.Time     `json:"since"`
	Until       time.Time     `json:"until"`
	StepSeconds int64         `json:"stepSeconds"`
	Items       []powerBucket `json:"items"`
}

type powerBucket struct {
	Time   time.Time `json:"time"` // the bucket's start
	PowerW float64   `json:"powerW"`
}

// maxStepSeconds is the longest bucket a power history has (a day).
const maxStepSeconds = 86400

// GET /api/v1/stats/power?since=&step=
//
// The total charging power of every session, averaged over buckets of step
// seconds, from since (RFC 3339) until now: the dashboard's chart of the
// last 30 minutes (the default) before its live points.
func (s *Server) powerStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var pq charging.PowerQuery
	err := knownParams(q, "since", "step")
	if err == nil {
		pq.Since, err = queryTime(q, "since")
	}
	if v := q.Get("step"); err == nil && v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > maxStepSeconds {
			err = invalidf("step must be a whole number of seconds from 1 to %d, got %q", maxStepSeconds, v)
		}
		pq.Step = time.Duration(n) * time.Second
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	h, err := s.svc.PowerHistory(r.Context(), pq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := powerHistory{Since: h.Since, Until: h.Until, StepSeconds: int64(h.Step / time.Second), Items: make([]powerBucket, len(h.Buckets))}
	for i, b := range h.Buckets {
		out.Items[i] = powerBucket{Time: b.Start, PowerW: b.PowerW}
	}
	writeJSON(w, http.StatusOK, out)
}
