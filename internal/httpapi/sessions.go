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
	if p := principal(r); p.Role == charging.RoleDriver {
		sq.OwnerID = p.UserID // a driver's list holds their sessions only
	} else {
		sq.OwnerID = q.Get("ownerId")
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
	sess, err := s.ownSession(r, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
}

// ownSession returns a session the caller may see: any for staff, their
// own for a driver; another's is ENOTFOUND, as if it did not exist.
func (s *Server) ownSession(r *http.Request, id string) (charging.Session, error) {
	sess, err := s.svc.GetSession(r.Context(), id)
	if err != nil {
		return charging.Session{}, err
	}
	if p := principal(r); p.Role == charging.RoleDriver && (p.UserID == "" || sess.OwnerID != p.UserID) {
		return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "session %s not found", id)
	}
	return sess, nil
}

// POST /api/v1/sessions/{id}/stop
func (s *Server) stopSession(w http.ResponseWriter, r *http.Request) {
	// The owner check comes first: nothing is sent for another's session.
	if _, err := s.ownSession(r, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
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
	// An unknown session (or another driver's) is a 404, not an empty list.
	if _, err := s.ownSession(r, id); err != nil {
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
