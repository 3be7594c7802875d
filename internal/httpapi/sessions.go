package httpapi

import (
	"context"
	"net/http"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/sessions?chargerId=&connectorId=&idTag=&status=&limit=&cursor=
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq := charging.SessionQuery{
		ChargerID: q.Get("chargerId"),
		IDTag:     q.Get("idTag"),
		Cursor:    q.Get("cursor"),
	}
	var err error
	if v := q.Get("connectorId"); v != "" {
		sq.ConnectorID, err = connectorParam("connectorId", v, 0)
	}
	if err == nil {
		sq.Status, err = queryStatuses(q)
	}
	if err == nil {
		sq.Limit, err = queryLimit(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListSessions(r.Context(), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/sessions/{id}
func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	sess, err := s.svc.GetSession(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

// POST /api/v1/sessions/{id}/stop
func (s *Server) stopSession(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.StartTimeout)
	defer cancel()
	sess, err := s.svc.StopSession(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, sess)
}

// GET /api/v1/sessions/{id}/meter-values?limit=&cursor=
func (s *Server) listMeterValues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	id := r.PathValue("id")
	// An unknown session is a 404, not an empty list.
	if _, err := s.svc.GetSession(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.ListMeterSamples(r.Context(), charging.MeterQuery{SessionID: id, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}
