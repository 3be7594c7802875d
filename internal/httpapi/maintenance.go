package httpapi

import (
	"net/http"

	"github.com/joule-ev/joule/internal/charging"
)

// This file holds the local authorization list and firmware endpoints.

// POST /api/v1/chargers/{id}/local-list {"updateType":"Full"|"Differential", "entries":[...]?}
func (s *Server) sendLocalList(w http.ResponseWriter, r *http.Request) {
	var b struct {
		UpdateType string                    `json:"updateType"`
		Entries    []charging.LocalListEntry `json:"entries"`
	}
	if err := decodeJSON(w, r, &b); err != nil {
		s.reject(w, r, err)
		return
	}
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	out, err := s.svc.SendLocalList(ctx, r.PathValue("id"), b.UpdateType, b.Entries)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /api/v1/chargers/{id}/local-list/version
func (s *Server) localListVersion(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.commandCtx(r)
	defer cancel()
	v, err := s.svc.GetLocalListVersion(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// GET /api/v1/local-list: every charger's list version and whether it is behind.
func (s *Server) listLocalListVersions(w http.ResponseWriter, r *http.Request) {
	all, err := s.svc.ListLocalListVersions(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Items []charging.LocalListVersion `json:"items"`
	}{all})
}
