package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/joule-ev/joule/internal/charging"
)

// GET /api/v1/chargers?admission=&siteId=&limit=&cursor=
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
	p, err := s.svc.ListChargers(r.Context(), charging.ChargerQuery{Admission: adm, SiteID: q.Get("siteId"), Cursor: q.Get("cursor"), Limit: limit})
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

// chargerPatch is the body of PATCH /api/v1/chargers/{id}, a merge
// patch: members left out are unchanged, null clears name and siteId.
type chargerPatch struct {
	Name   optional[string] `json:"name"`
	SiteID optional[string] `json:"siteId"`
	// Connectors change connectors, each named by its connectorId (a
	// list of changes, not a replacement of the list).
	Connectors []connectorPatch `json:"connectors"`
	// OCPPVersionOverride is "ocpp1.6", "ocpp2.0.1", or "" to let the
	// charger choose again; it applies from the next connection.
	OCPPVersionOverride *string `json:"ocppVersionOverride"`
	// SecurityProfile is the profile the charger must connect with from
	// its next connection; below MinSecurityProfile it needs AllowDowngrade.
	SecurityProfile *int `json:"securityProfile"`
	AllowDowngrade  bool `json:"allowDowngrade"`
	tariffFields
}

// tariffFields assign tariffs (a site's, a charger's, a connector's):
// tariffId null or "" clears it; groupTariffs is merged as a merge patch
// (a group set to null loses its override, groupTariffs null clears all).
type tariffFields struct {
	TariffID     optional[string]             `json:"tariffId"`
	GroupTariffs optional[map[string]*string] `json:"groupTariffs"`
}

// groups is the domain's form of GroupTariffs: nil when left out.
func (f tariffFields) groups() *charging.GroupTariffsPatch {
	g := f.GroupTariffs
	if !g.Set {
		return nil
	}
	p := &charging.GroupTariffsPatch{Clear: g.Null}
	for k, v := range g.Value {
		if p.Set == nil {
			p.Set = map[string]string{}
		}
		p.Set[k] = ""
		if v != nil {
			p.Set[k] = *v
		}
	}
	return p
}

// connectorFields are what an operator sets about a connector; null
// clears the operator's value (the charger's reported one shows again).
type connectorFields struct {
	EVSEID        optional[string]                   `json:"evseId"`
	ConnectorType optional[charging.ConnectorType]   `json:"connectorType"`
	Format        optional[charging.ConnectorFormat] `json:"format"`
	PowerType     optional[charging.PowerType]       `json:"powerType"`
	MaxPowerW     optional[float64]                  `json:"maxPowerW"`
	// Type is the older connectorType: CCS2, CHAdeMO, Type2, CCS1, Type1.
	Type          optional[string]                 `json:"type"`
	PhaseRotation optional[charging.PhaseRotation] `json:"phaseRotation"`
	tariffFields
}

func (f connectorFields) update(connectorID int) charging.ConnectorUpdate {
	return charging.ConnectorUpdate{ConnectorID: connectorID, EVSEID: f.EVSEID.ptr(), ConnectorType: f.ConnectorType.ptr(),
		Format: f.Format.ptr(), PowerType: f.PowerType.ptr(), MaxPowerW: f.MaxPowerW.ptr(), Type: f.Type.ptr(),
		TariffID: f.TariffID.ptr(), GroupTariffs: f.groups(), PhaseRotation: f.PhaseRotation.ptr()}
}

// connectorPatch is one item of chargerPatch.Connectors.
type connectorPatch struct {
	ConnectorID *int `json:"connectorId"`
	connectorFields
}

// PATCH /api/v1/chargers/{id} {name?, siteId?, connectors?, ocppVersionOverride?, securityProfile?, allowDowngrade?, tariffId?, groupTariffs?}
func (s *Server) patchCharger(w http.ResponseWriter, r *http.Request) {
	var p chargerPatch
	if err := decodeJSON(w, r, &p); err != nil {
		s.reject(w, r, err)
		return
	}
	u := charging.ChargerUpdate{Name: p.Name.ptr(), SiteID: p.SiteID.ptr(), OCPPVersionOverride: p.OCPPVersionOverride,
		SecurityProfile: p.SecurityProfile, AllowDowngrade: p.AllowDowngrade, TariffID: p.TariffID.ptr(), GroupTariffs: p.groups()}
	for i, k := range p.Connectors {
		if k.ConnectorID == nil {
			s.invalid(w, r, fmt.Sprintf("connectors[%d].connectorId is required", i))
			return
		}
		u.Connectors = append(u.Connectors, k.update(*k.ConnectorID))
	}
	// The whole body is checked before anything changes; the service
	// then applies it as one unit of work.
	if err := u.Validate(); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.UpdateCharger(r.Context(), r.PathValue("id"), u)
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
	var f connectorFields
	if err := decodeJSON(w, r, &f); err != nil {
		s.reject(w, r, err)
		return
	}
	u := f.update(connectorID)
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
	// DepartureTime (RFC 3339) and EnergyWantedWh ask Joule to deliver
	// that much by then, in the cheapest hours (smart charging).
	DepartureTime  *string `json:"departureTime"`
	EnergyWantedWh float64 `json:"energyWantedWh"`
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
	departure, err := bodyTime("departureTime", b.DepartureTime)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.StartTimeout)
	defer cancel()
	sess, err := s.svc.StartSession(ctx, charging.StartRequest{
		DepartureTime:     departure,
		EnergyWantedWh:    b.EnergyWantedWh,
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
