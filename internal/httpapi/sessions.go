package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/sessions?chargerId=&connectorId=&idTag=&status=&from=&to=&ownerId=&limit=&cursor=
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq, err := sessionFilter(q, "cursor", "limit")
	if err == nil {
		sq.Cursor = q.Get("cursor")
		sq.Limit, err = queryLimit(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	sq.OwnerID = sessionOwner(r)
	p, err := s.svc.ListSessions(r.Context(), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// sessionOwner is the ownerId filter of the session routes: a driver sees
// their own sessions only, whatever they ask; staff may name an owner.
func sessionOwner(r *http.Request) string {
	if p := principal(r); p.Role == charging.RoleDriver {
		return p.UserID
	}
	return r.URL.Query().Get("ownerId")
}

// sessionFilter reads the filters of the session list and its CSV export:
// chargerId, connectorId, idTag, status, from and to (created at or after
// from, before to; RFC 3339), ownerId (applied by the caller, drivers
// see only their own), and the route's own parameters (more). Any other
// parameter is refused: a typo must not widen the list to everything.
func sessionFilter(q url.Values, more ...string) (charging.SessionQuery, error) {
	known := append([]string{"chargerId", "connectorId", "idTag", "status", "paymentStatus", "from", "to", "ownerId"}, more...)
	sq := charging.SessionQuery{ChargerID: q.Get("chargerId"), IDTag: q.Get("idTag")}
	err := knownParams(q, known...)
	if err == nil {
		sq.CreatedFrom, err = queryTime(q, "from")
	}
	if err == nil {
		sq.CreatedBefore, err = queryTime(q, "to")
	}
	if err == nil && !sq.CreatedFrom.IsZero() && !sq.CreatedBefore.IsZero() && !sq.CreatedFrom.Before(sq.CreatedBefore) {
		err = invalidf("from (%s) must be before to (%s)", q.Get("from"), q.Get("to"))
	}
	if v := q.Get("connectorId"); err == nil && v != "" {
		sq.ConnectorID, err = connectorParam("connectorId", v, 0)
	}
	if err == nil {
		sq.Status, err = queryStatuses(q)
	}
	if err == nil {
		sq.PaymentStatus, err = queryPaymentStatuses(q)
	}
	return sq, err
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

// POST /api/v1/sessions/{id}/close {"reason": "..."}: an operator ends a
// session the charger lost (or a start that will never come) by hand.
// Nothing is sent to the charger; a stop it sends later still wins.
func (s *Server) closeSession(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	sess, err := s.svc.CloseSession(r.Context(), r.PathValue("id"), body.Reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess)
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
