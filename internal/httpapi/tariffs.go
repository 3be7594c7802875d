package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/joule-ev/joule/internal/charging"
)

// Tariffs: POST, GET, PUT and DELETE /api/v1/tariffs[/{id}], and the
// tariff a driver pays at a connector. The JSON is charging.Tariff's
// (OCPI 2.2.1 names in camelCase, prices as decimal strings).

// tariffReadOnly are a tariff's members that Joule sets.
var tariffReadOnly = []string{"createdAt", "updatedAt"}

// tariffBody reads a tariff document strictly: unknown members, members
// of the wrong type and prices that are no decimals are 400s naming them.
func tariffBody(w http.ResponseWriter, r *http.Request) (charging.Tariff, error) {
	b, err := readBody(w, r)
	if err == nil {
		err = requireObject(b)
	}
	if err != nil {
		return charging.Tariff{}, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return charging.Tariff{}, jsonError(err)
	}
	for _, k := range tariffReadOnly {
		if _, ok := members[k]; ok {
			return charging.Tariff{}, invalidf("%s is set by Joule and cannot be given", k)
		}
	}
	var t charging.Tariff
	if err := decodeObject(b, &t); err != nil {
		if field, msg := badDecimal(b); field != "" {
			return charging.Tariff{}, invalidf("%s: %s", field, msg)
		}
		return charging.Tariff{}, err
	}
	return t, nil
}

// badDecimal finds the first price of a tariff document that is not a
// decimal (charging.Decimal's decoding error names no field), and says
// why.
func badDecimal(b []byte) (field, msg string) {
	var doc struct {
		MinPrice map[string]json.RawMessage `json:"minPrice"`
		MaxPrice map[string]json.RawMessage `json:"maxPrice"`
		Elements []struct {
			PriceComponents []map[string]json.RawMessage `json:"priceComponents"`
		} `json:"elements"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return "", ""
	}
	check := func(path string, m map[string]json.RawMessage, keys ...string) bool {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				var d charging.Decimal
				if err := json.Unmarshal(v, &d); err != nil {
					field, msg = path+"."+k, err.Error()
					return true
				}
			}
		}
		return false
	}
	if check("minPrice", doc.MinPrice, "exclVat", "inclVat") || check("maxPrice", doc.MaxPrice, "exclVat", "inclVat") {
		return field, msg
	}
	for i, e := range doc.Elements {
		for j, pc := range e.PriceComponents {
			if check(fmt.Sprintf("elements[%d].priceComponents[%d]", i, j), pc, "price", "vat") {
				return field, msg
			}
		}
	}
	return "", ""
}

// POST /api/v1/tariffs: id optional (a new one when absent).
func (s *Server) createTariff(w http.ResponseWriter, r *http.Request) {
	t, err := tariffBody(w, r)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if t.ID != "" {
		noteAudit(r, func(a *auditRecord) { a.target = t.ID })
	}
	t, err = s.svc.CreateTariff(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.target = t.ID; a.detail = "currency " + t.Currency })
	w.Header().Set("Location", "/api/v1/tariffs/"+t.ID)
	writeJSON(w, http.StatusCreated, t)
}

// GET /api/v1/tariffs?limit=&cursor=
func (s *Server) listTariffs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := knownParams(q, "limit", "cursor")
	var limit int
	if err == nil {
		limit, err = queryLimit(q)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListTariffs(r.Context(), charging.TariffQuery{Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/tariffs/{id}
func (s *Server) getTariff(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.GetTariff(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// PUT /api/v1/tariffs/{id}: replaces an existing tariff whole; 404 when
// there is none (a PUT never creates one: POST does).
func (s *Server) putTariff(w http.ResponseWriter, r *http.Request) {
	t, err := tariffBody(w, r)
	if err == nil && t.ID != "" && t.ID != r.PathValue("id") {
		err = invalidf("id %s differs from the path's tariff %s; a tariff's id cannot change", quote(t.ID), quote(r.PathValue("id")))
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	t.ID = r.PathValue("id")
	t, err = s.svc.ReplaceTariff(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.detail = "currency " + t.Currency })
	writeJSON(w, http.StatusOK, t)
}

// DELETE /api/v1/tariffs/{id}: 409 while it is assigned anywhere.
func (s *Server) deleteTariff(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteTariff(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/chargers/{id}/connectors/{connectorId}/tariff: the tariff
// the caller pays there, resolved for their driver group; {"tariff":
// null} when charging there is free.
func (s *Server) connectorTariff(w http.ResponseWriter, r *http.Request) {
	connectorID, err := connectorParam("connectorId", r.PathValue("connectorId"), 1)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	// A driver sees accepted chargers only, as GET /chargers/{id}.
	c, err := s.svc.GetCharger(r.Context(), r.PathValue("id"))
	if err == nil && isDriver(r) && c.Admission != charging.AdmissionAccepted && c.Admission != "" {
		err = charging.Errorf(charging.ENOTFOUND, "charger %s not found", c.ID)
	}
	var group string
	if p := principal(r); err == nil && p.UserID != "" {
		var u charging.User
		u, err = s.callerUser(r)
		group = u.DriverGroup
	}
	var at charging.TariffAt
	if err == nil {
		at, err = s.svc.TariffAt(r.Context(), c.ID, connectorID, group)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, at)
}

// callerUser returns the signed-in user who calls (an API key has none).
func (s *Server) callerUser(r *http.Request) (charging.User, error) {
	u, err := s.accounts.Me(r.Context(), principal(r))
	if err != nil {
		return charging.User{}, err
	}
	return u.User, nil
}
