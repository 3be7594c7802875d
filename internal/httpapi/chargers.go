package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/chargers?admission=&limit=&cursor=
func (s *Server) listChargers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	adm := charging.Admission(q.Get("admission"))
	switch adm {
	case "", charging.AdmissionPending, charging.AdmissionAccepted, charging.AdmissionRejected:
	default:
		s.invalid(w, r, "admission must be Pending, Accepted or Rejected, got "+quote(string(adm)))
		return
	}
	if isDriver(r) && adm != "" && adm != charging.AdmissionAccepted {
		s.problem(w, r, http.StatusForbidden, charging.EFORBIDDEN, "drivers see accepted chargers only")
		return
	}
	if isDriver(r) {
		adm = charging.AdmissionAccepted
	}
	p, err := s.svc.ListChargers(r.Context(), charging.ChargerQuery{Admission: adm, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if isDriver(r) {
		writeJSON(w, http.StatusOK, page[publicCharger]{Items: mapSlice(p.Items, toPublicCharger), NextCursor: p.NextCursor})
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/chargers/{id}
func (s *Server) getCharger(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.GetCharger(r.Context(), r.PathValue("id"))
	if err == nil && isDriver(r) && c.Admission != charging.AdmissionAccepted && c.Admission != "" {
		err = charging.Errorf(charging.ENOTFOUND, "charger %s not found", c.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if isDriver(r) {
		writeJSON(w, http.StatusOK, toPublicCharger(c))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// chargerPatch is the body of PATCH /api/v1/chargers/{id}. Fields left
// out are unchanged.
type chargerPatch struct {
	// OCPPVersionOverride is "ocpp1.6", "ocpp2.0.1", or "" to let the
	// charger choose again; it applies from the next connection.
	OCPPVersionOverride *string `json:"ocppVersionOverride"`
	// SecurityProfile is the profile the charger must connect with from
	// its next connection; below MinSecurityProfile it needs AllowDowngrade.
	SecurityProfile *int `json:"securityProfile"`
	AllowDowngrade  bool `json:"allowDowngrade"`
}

// PATCH /api/v1/chargers/{id} {ocppVersionOverride?, securityProfile?, allowDowngrade?}
func (s *Server) patchCharger(w http.ResponseWriter, r *http.Request) {
	var p chargerPatch
	if err := decodeJSON(w, r, &p); err != nil {
		s.reject(w, r, err)
		return
	}
	// Validate every field before changing anything, so a bad request
	// changes nothing.
	var err error
	switch {
	case p.AllowDowngrade && p.SecurityProfile == nil:
		err = invalidf("allowDowngrade applies to a securityProfile change; give securityProfile too")
	case p.SecurityProfile != nil:
		err = validProfile(*p.SecurityProfile)
	}
	if err == nil && p.OCPPVersionOverride != nil {
		err = validVersionOverride(*p.OCPPVersionOverride)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	id := r.PathValue("id")
	var c charging.Charger
	switch {
	case p.SecurityProfile == nil && p.OCPPVersionOverride == nil:
		c, err = s.svc.GetCharger(r.Context(), id)
	default:
		// The security profile first: it is the change that may be refused
		// (409 downgrade), and then nothing has changed.
		if p.SecurityProfile != nil {
			c, err = s.svc.SetSecurityProfile(r.Context(), id, *p.SecurityProfile, p.AllowDowngrade)
		}
		if err == nil && p.OCPPVersionOverride != nil {
			c, err = s.svc.SetOCPPVersionOverride(r.Context(), id, *p.OCPPVersionOverride)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// PATCH /api/v1/chargers/{id}/connectors/{connectorId}
func (s *Server) updateConnector(w http.ResponseWriter, r *http.Request) {
	// Connector 0 is the charger as a whole and has no type or rating.
	connectorID, err := connectorParam("connectorId", r.PathValue("connectorId"), 1)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	var u charging.ConnectorUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		s.reject(w, r, err)
		return
	}
	if err := u.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.UpdateConnector(r.Context(), r.PathValue("id"), connectorID, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// startBody is the body of a start request.
type startBody struct {
	IDTag string `json:"idTag"`
	// ChargingProfile is an optional TxProfile in the charger's OCPP
	// version's shape, passed through as given.
	ChargingProfile json.RawMessage `json:"chargingProfile"`
	// ChargingProfileID names a stored TxProfile to send instead.
	ChargingProfileID int `json:"chargingProfileId"`
}

// maxIdempotencyKey bounds the Idempotency-Key header's length.
const maxIdempotencyKey = 255

// POST /api/v1/chargers/{id}/connectors/{connectorId}/start
func (s *Server) startSession(w http.ResponseWriter, r *http.Request) {
	// Connector 0 lets the charger choose.
	connectorID, err := connectorParam("connectorId", r.PathValue("connectorId"), 0)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		s.invalid(w, r, "Idempotency-Key must be at most 255 characters")
		return
	}
	var b startBody
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	if p := principal(r); p.Role == charging.RoleDriver {
		// A driver starts with their own id tag: the app's when none is
		// given; anyone else's is not found (nothing reaches the charger).
		if b.IDTag == "" {
			if b.IDTag, err = s.accounts.AppIDTag(r.Context(), p.UserID); err != nil {
				s.fail(w, r, err)
				return
			}
		} else if own, err := s.accounts.OwnsIDTag(r.Context(), p.UserID, b.IDTag); err != nil {
			s.fail(w, r, err)
			return
		} else if !own {
			s.problem(w, r, http.StatusNotFound, charging.ENOTFOUND, "you have no id tag "+quote(b.IDTag))
			return
		}
	}
	if b.IDTag == "" {
		s.invalid(w, r, "idTag is required")
		return
	}
	if key != "" {
		// Keys are the caller's own: another caller's key is a new start.
		key = principal(r).Kind + ":" + principal(r).ID + ":" + key
	}
	var profile []byte
	if p := b.ChargingProfile; len(p) > 0 && string(p) != "null" {
		if p[0] != '{' {
			s.invalid(w, r, "chargingProfile must be a JSON object")
			return
		}
		profile = p
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.StartTimeout)
	defer cancel()
	sess, err := s.svc.StartSession(ctx, charging.StartRequest{
		ChargerID:         r.PathValue("id"),
		ConnectorID:       connectorID,
		IDTag:             b.IDTag,
		ChargingProfile:   profile,
		ChargingProfileID: b.ChargingProfileID,
		IdempotencyKey:    key,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/sessions/"+sess.ID)
	writeJSON(w, http.StatusAccepted, sess)
}

// actionName is an OCPP action: Reset, GetConfiguration, SetChargingProfile, ...
var actionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,63}$`)

// POST /api/v1/chargers/{id}/commands/{action}
func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	if !actionName.MatchString(action) {
		s.invalid(w, r, "action must be an OCPP action name such as Reset or GetConfiguration, got "+quote(action))
		return
	}
	b, err := readBody(w, r)
	if err == nil {
		err = requireObject(b)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if commandSetsPassword(action, b) {
		s.invalid(w, r, action+" would set the charger's password: use POST /api/v1/chargers/{id}/password, "+
			"which keeps Joule's credentials in step with the charger")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.StartTimeout)
	defer cancel()
	res, err := s.svc.Command(ctx, r.PathValue("id"), action, json.RawMessage(b))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
