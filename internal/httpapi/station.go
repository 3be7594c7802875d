package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds the station-management endpoints: id tags, the command
// history, typed commands, configuration, reservations and smart charging.

// commandCtx bounds a typed command by the start timeout.
func (s *Server) commandCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opts.StartTimeout)
}

// outcome writes a typed command's outcome, or its error.
func (s *Server) outcome(w http.ResponseWriter, r *http.Request, out charging.CommandOutcome, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /api/v1/id-tags: one id tag or an array of them (upsert).
func (s *Server) saveIDTags(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(w, r)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	t := bytes.TrimSpace(b)
	var tags []charging.IDTag
	switch {
	case len(t) > 0 && t[0] == '[':
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tags); err != nil {
			s.reject(w, r, jsonError(err))
			return
		}
	default:
		if err := requireObject(b); err != nil {
			s.reject(w, r, err)
			return
		}
		var one charging.IDTag
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&one); err != nil {
			s.reject(w, r, jsonError(err))
			return
		}
		tags = []charging.IDTag{one}
	}
	saved, err := s.svc.SaveIDTags(r.Context(), tags)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t[0] == '[' {
		writeJSON(w, http.StatusOK, saved)
		return
	}
	writeJSON(w, http.StatusOK, saved[0])
}

// GET /api/v1/id-tags?limit=&cursor=
func (s *Server) listIDTags(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListIDTags(r.Context(), charging.IDTagQuery{Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/id-tags/{idTag}
func (s *Server) getIDTag(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.GetIDTag(r.Context(), r.PathValue("idTag"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// DELETE /api/v1/id-tags/{idTag}
func (s *Server) deleteIDTag(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteIDTag(r.Context(), r.PathValue("idTag")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/chargers/{id}/commands?action=&limit=&cursor=
func (s *Server) listCommands(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListCommands(r.Context(), charging.CommandQuery{
		ChargerID: r.PathValue("id"), Action: q.Get("action"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// POST /api/v1/chargers/{id}/reset {"type":"Soft"|"Hard"}
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Type string `json:"type"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if b.Type != "Soft" && b.Type != "Hard" {
		s.invalid(w, r, "type must be Soft or Hard, got "+quote(b.Type))
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.Reset(ctx, r.PathValue("id"), b.Type == "Hard")
	s.outcome(w, r, out, err)
}

// POST /api/v1/chargers/{id}/connectors/{connectorId}/unlock
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) {
	n, err := connectorParam("connectorId", r.PathValue("connectorId"), 1)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.UnlockConnector(ctx, r.PathValue("id"), n)
	s.outcome(w, r, out, err)
}

// POST /api/v1/chargers/{id}/connectors/{connectorId}/availability {"type":"Operative"|"Inoperative"}
func (s *Server) availability(w http.ResponseWriter, r *http.Request) {
	n, err := connectorParam("connectorId", r.PathValue("connectorId"), 0)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	var b struct {
		Type string `json:"type"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if b.Type != "Operative" && b.Type != "Inoperative" {
		s.invalid(w, r, "type must be Operative or Inoperative, got "+quote(b.Type))
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.ChangeAvailability(ctx, r.PathValue("id"), n, b.Type == "Operative")
	s.outcome(w, r, out, err)
}

// POST /api/v1/chargers/{id}/trigger {"requestedMessage":..., "connectorId":n}
func (s *Server) trigger(w http.ResponseWriter, r *http.Request) {
	var b struct {
		RequestedMessage string `json:"requestedMessage"`
		ConnectorID      int    `json:"connectorId"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.TriggerMessage(ctx, r.PathValue("id"), b.RequestedMessage, b.ConnectorID)
	s.outcome(w, r, out, err)
}

// GET /api/v1/chargers/{id}/configuration
func (s *Server) getConfiguration(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.GetConfiguration(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// POST /api/v1/chargers/{id}/configuration/read {"keys":[...]}
func (s *Server) readConfiguration(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Keys []string `json:"keys"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	c, err := s.svc.ReadConfiguration(ctx, r.PathValue("id"), b.Keys)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// POST /api/v1/chargers/{id}/configuration {"key":..., "value":...}
func (s *Server) changeConfiguration(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	if err := decodeSecretJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if passwordKey(b.Key) {
		s.reject(w, r, errPasswordKey(b.Key))
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.ChangeConfiguration(ctx, r.PathValue("id"), b.Key, b.Value)
	s.outcome(w, r, out, err)
}

// GET /api/v1/chargers/{id}/desired-configuration
func (s *Server) listDesired(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.ListDesiredSettings(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": d})
}

// PUT /api/v1/chargers/{id}/desired-configuration/{key} {"value":...}
func (s *Server) putDesired(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Value *string `json:"value"`
	}
	if err := decodeSecretJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if key := r.PathValue("key"); passwordKey(key) {
		s.reject(w, r, errPasswordKey(key))
		return
	}
	if b.Value == nil {
		s.invalid(w, r, "value is required")
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	d, err := s.svc.SetDesiredSetting(ctx, r.PathValue("id"), r.PathValue("key"), *b.Value)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// DELETE /api/v1/chargers/{id}/desired-configuration/{key}
func (s *Server) deleteDesired(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteDesiredSetting(r.Context(), r.PathValue("id"), r.PathValue("key")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// POST /api/v1/chargers/{id}/connectors/{connectorId}/reservations
// {"idTag", "expiryDate" | "durationMinutes", "parentIdTag"?}
func (s *Server) reserve(w http.ResponseWriter, r *http.Request) {
	n, err := connectorParam("connectorId", r.PathValue("connectorId"), 1)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	var b struct {
		IDTag           string     `json:"idTag"`
		ExpiryDate      *time.Time `json:"expiryDate"`
		DurationMinutes int        `json:"durationMinutes"`
		ParentIDTag     string     `json:"parentIdTag"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	var expires time.Time
	switch {
	case b.ExpiryDate != nil && b.DurationMinutes != 0:
		s.invalid(w, r, "give expiryDate or durationMinutes, not both")
		return
	case b.ExpiryDate != nil:
		expires = *b.ExpiryDate
	case b.DurationMinutes > 0 && b.DurationMinutes <= 24*60:
		expires = time.Now().Add(time.Duration(b.DurationMinutes) * time.Minute)
	default:
		s.invalid(w, r, "expiryDate, or durationMinutes from 1 to 1440, is required")
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	res, err := s.svc.Reserve(ctx, ReserveRequest{
		ChargerID: r.PathValue("id"), ConnectorID: n, IDTag: b.IDTag, ParentIDTag: b.ParentIDTag, ExpiresAt: expires,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/reservations/"+strconv.Itoa(res.ID))
	writeJSON(w, http.StatusCreated, res)
}

func idParam(w http.ResponseWriter, r *http.Request, s *Server) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 {
		s.invalid(w, r, "id must be a positive integer, got "+quote(r.PathValue("id")))
		return 0, false
	}
	return id, true
}

// GET /api/v1/reservations?chargerId=&status=&limit=&cursor=
func (s *Server) listReservations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	rq := charging.ReservationQuery{ChargerID: q.Get("chargerId"), Cursor: q.Get("cursor"), Limit: limit}
	if st := q.Get("status"); st != "" {
		rq.Status = []charging.ReservationStatus{charging.ReservationStatus(st)}
	}
	p, err := s.svc.ListReservations(r.Context(), rq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/reservations/{id}
func (s *Server) getReservation(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(w, r, s)
	if !ok {
		return
	}
	res, err := s.svc.GetReservation(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// POST /api/v1/reservations/{id}/cancel
func (s *Server) cancelReservation(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(w, r, s)
	if !ok {
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	res, err := s.svc.CancelReservation(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// POST /api/v1/charging-profiles
func (s *Server) saveChargingProfile(w http.ResponseWriter, r *http.Request) {
	var p charging.ChargingProfile
	if err := decodeJSON(w, r, &p); err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.SaveChargingProfile(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/charging-profiles/"+strconv.Itoa(p.ID))
	writeJSON(w, http.StatusOK, p)
}

// GET /api/v1/charging-profiles?limit=&cursor=
func (s *Server) listChargingProfiles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListChargingProfiles(r.Context(), charging.ProfileQuery{Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/charging-profiles/{id}
func (s *Server) getChargingProfile(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(w, r, s)
	if !ok {
		return
	}
	p, err := s.svc.GetChargingProfile(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// GET /api/v1/chargers/{id}/charging-profiles: what the charger accepted.
func (s *Server) listInstalledProfiles(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.ListInstalledProfiles(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": p})
}

// POST /api/v1/chargers/{id}/connectors/{connectorId}/charging-profiles {"profileId", "sessionId"?}
func (s *Server) applyChargingProfile(w http.ResponseWriter, r *http.Request) {
	n, err := connectorParam("connectorId", r.PathValue("connectorId"), 0)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	var b struct {
		ProfileID int    `json:"profileId"`
		SessionID string `json:"sessionId"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if b.ProfileID < 1 {
		s.invalid(w, r, "profileId is required")
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.ApplyChargingProfile(ctx, r.PathValue("id"), n, b.ProfileID, b.SessionID)
	s.outcome(w, r, out, err)
}

// POST /api/v1/chargers/{id}/charging-profiles/clear {"id"?, "connectorId"?, "purpose"?, "stackLevel"?}
func (s *Server) clearChargingProfiles(w http.ResponseWriter, r *http.Request) {
	var f charging.ProfileFilter
	if err := decodeJSON(w, r, &f); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.ClearChargingProfiles(ctx, r.PathValue("id"), f)
	s.outcome(w, r, out, err)
}

// GET /api/v1/chargers/{id}/connectors/{connectorId}/composite-schedule?durationS=&chargingRateUnit=
func (s *Server) compositeSchedule(w http.ResponseWriter, r *http.Request) {
	n, err := connectorParam("connectorId", r.PathValue("connectorId"), 0)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	q := r.URL.Query()
	d, err := strconv.Atoi(q.Get("durationS"))
	if err != nil || d < 1 {
		s.invalid(w, r, "durationS must be a positive integer, got "+quote(q.Get("durationS")))
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	cs, err := s.svc.CompositeSchedule(ctx, r.PathValue("id"), n, d, q.Get("chargingRateUnit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

// asAPI marks commands sent while serving a request as asked by the API
// (the command history's requestedBy).
func asAPI(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(charging.WithRequestedBy(r.Context(), charging.RequestedByAPI)))
	})
}
