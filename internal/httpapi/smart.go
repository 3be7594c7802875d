package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// SmartService is what the API needs for smart charging (issue 15);
// csms.Service implements it.
type SmartService interface {
	// SiteLoad is a site's limit, draw and allocation now.
	SiteLoad(ctx context.Context, siteID string) (charging.SiteLoad, error)
	// SiteLoadHistory is a site's recorded load in [from, to).
	SiteLoadHistory(ctx context.Context, siteID string, from, to time.Time, limit int) ([]charging.SiteLoadSample, error)
	// SetGridSignal sets (nil: clears) a site's live limit from outside.
	SetGridSignal(ctx context.Context, siteID string, g *charging.GridSignal) (charging.Site, error)
	// PushSiteMeter takes a reading of a site meter with source api.
	PushSiteMeter(ctx context.Context, siteID string, r charging.SiteMeterReading) error
	// SetSessionPriority sets the operator's priority flag of a session.
	SetSessionPriority(ctx context.Context, sessionID string, priority bool) (charging.Session, error)
}

// gridLimitBody is PUT /sites/{id}/grid-limit's body.
type gridLimitBody struct {
	Limit *float64 `json:"limit"`
	Unit  string   `json:"unit"`
	Until *string  `json:"until"`
}

// PUT /api/v1/sites/{id}/grid-limit {limit, unit, until}: a grid
// operator's signal, in force until until (or until deleted).
func (s *Server) putGridLimit(w http.ResponseWriter, r *http.Request) {
	var b gridLimitBody
	err := decodeJSON(w, r, &b)
	var until *time.Time
	if err == nil {
		until, err = bodyTime("until", b.Until)
	}
	if err == nil && b.Limit == nil {
		err = invalidf("limit is required")
	}
	if err == nil && b.Unit == "" {
		err = invalidf("unit is required: A (per phase) or W")
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	x, err := s.svc.SetGridSignal(r.Context(), r.PathValue("id"), &charging.GridSignal{Limit: *b.Limit, Unit: b.Unit, Until: until})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// DELETE /api/v1/sites/{id}/grid-limit: the signal ends now.
func (s *Server) deleteGridLimit(w http.ResponseWriter, r *http.Request) {
	x, err := s.svc.SetGridSignal(r.Context(), r.PathValue("id"), nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// GET /api/v1/sites/{id}/load
func (s *Server) siteLoad(w http.ResponseWriter, r *http.Request) {
	if err := knownParams(r.URL.Query()); err != nil {
		s.reject(w, r, err)
		return
	}
	l, err := s.svc.SiteLoad(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

// GET /api/v1/sites/{id}/load/history?from=&to=&limit= (default: the last
// 24 hours, at most 10000 samples, the newest).
func (s *Server) siteLoadHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := knownParams(q, "from", "to", "limit")
	var from, to time.Time
	if err == nil {
		from, err = queryTime(q, "from")
	}
	if err == nil {
		to, err = queryTime(q, "to")
	}
	limit := 0
	if err == nil && q.Get("limit") != "" {
		limit, err = queryLimit(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if to.IsZero() {
		to = time.Now().UTC().Add(time.Second)
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !to.After(from) {
		s.invalid(w, r, "to must be after from")
		return
	}
	items, err := s.svc.SiteLoadHistory(r.Context(), r.PathValue("id"), from, to, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []charging.SiteLoadSample{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// siteMeterBody is POST /sites/{id}/meter's body.
type siteMeterBody struct {
	CurrentA []float64 `json:"currentA"`
	At       *string   `json:"at"`
}

// POST /api/v1/sites/{id}/meter {currentA: [L1, L2, L3], at}: a reading of
// the site's own meter (source api).
func (s *Server) pushSiteMeter(w http.ResponseWriter, r *http.Request) {
	var b siteMeterBody
	err := decodeJSON(w, r, &b)
	var at *time.Time
	if err == nil {
		at, err = bodyTime("at", b.At)
	}
	if err == nil && b.CurrentA == nil {
		err = invalidf("currentA is required: the site's current per phase [L1, L2, L3] in amperes")
	}
	if err == nil && len(b.CurrentA) != 3 {
		err = invalidf("currentA must have 3 values, the current on L1, L2 and L3 in amperes; got %d", len(b.CurrentA))
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	rd := charging.SiteMeterReading{CurrentA: [3]float64(b.CurrentA)}
	if at != nil {
		rd.At = at.UTC()
	}
	if err := s.svc.PushSiteMeter(r.Context(), r.PathValue("id"), rd); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionPatch is PATCH /sessions/{id}'s body: what an operator changes.
type sessionPatch struct {
	Priority *bool `json:"priority"`
}

// PATCH /api/v1/sessions/{id} {priority}
func (s *Server) patchSession(w http.ResponseWriter, r *http.Request) {
	var b sessionPatch
	err := decodeJSON(w, r, &b)
	if err == nil && b.Priority == nil {
		err = invalidf("priority is required (true or false): it is the only member a session patch takes")
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	ses, err := s.svc.SetSessionPriority(r.Context(), r.PathValue("id"), *b.Priority)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ses)
}
