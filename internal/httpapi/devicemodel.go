package httpapi

import (
	"context"
	"net/http"

	"github.com/joule-ev/joule/internal/charging"
)

// DeviceModelService is what the API needs for OCPP 2.0.1's additions: the
// device model and the event log a charger reported. csms.Service
// implements it; Service embeds it. (The per-charger OCPP version override
// is set through SiteService.UpdateCharger, with the rest of PATCH
// /chargers/{id}.)
type DeviceModelService interface {
	ListVariables(ctx context.Context, q charging.VariableQuery) (charging.Page[charging.Variable], error)
	ListChargerEvents(ctx context.Context, q charging.ChargerEventQuery) (charging.Page[charging.ChargerEvent], error)
}

// GET /api/v1/chargers/{id}/variables?component=&limit=&cursor=
func (s *Server) listVariables(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListVariables(r.Context(), charging.VariableQuery{
		ChargerID: r.PathValue("id"), Component: q.Get("component"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/chargers/{id}/charger-events?action=&limit=&cursor=
func (s *Server) listChargerEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(q)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.svc.ListChargerEvents(r.Context(), charging.ChargerEventQuery{
		ChargerID: r.PathValue("id"), Action: q.Get("action"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}
