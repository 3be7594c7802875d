package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// SiteService is what the API needs for sites and the operator's side of
// chargers; csms.Service implements it.
type SiteService interface {
	CreateSite(ctx context.Context, s charging.Site) (charging.Site, error)
	GetSite(ctx context.Context, id string) (charging.Site, error)
	ListSites(ctx context.Context, q charging.SiteQuery) (charging.Page[charging.Site], error)
	// UpdateSite runs apply on the stored site and saves the result, in
	// one unit of work; apply may run more than once.
	UpdateSite(ctx context.Context, id string, apply func(*charging.Site) error) (charging.Site, error)
	DeleteSite(ctx context.Context, id string) error
	// UpdateCharger applies PATCH /chargers/{id} as one unit of work.
	UpdateCharger(ctx context.Context, id string, u charging.ChargerUpdate) (charging.Charger, error)
}

// siteDoc is the writable part of a site as the API reads it: the body of
// POST /sites, and what a PATCH's merge patch applies to. Times of
// exceptional periods are strings, parsed with errors that name the field.
type siteDoc struct {
	Name         string           `json:"name"`
	Address      charging.Address `json:"address"`
	Coordinates  *coordinatesDoc  `json:"coordinates"`
	TimeZone     string           `json:"timeZone"`
	OpeningTimes *openingTimesDoc `json:"openingTimes"`
	Notes        string           `json:"notes"`
	// TariffID is "" for none; GroupTariffs (a driver group → a tariff
	// id) merges member by member in a PATCH, as the rest.
	TariffID     string            `json:"tariffId"`
	GroupTariffs map[string]string `json:"groupTariffs,omitempty"`
	// Smart charging: the grid connection's limit, the building's reserve
	// and the site meter (null removes each). gridSignal is set with PUT
	// /sites/{id}/grid-limit.
	GridLimit *charging.GridLimit `json:"gridLimit"`
	Reserve   *charging.GridLimit `json:"reserve,omitempty"`
	Meter     *charging.SiteMeter `json:"meter,omitempty"`
}

type coordinatesDoc struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
}

type openingTimesDoc struct {
	TwentyFourSeven     bool                    `json:"twentyfourseven"`
	RegularHours        []charging.RegularHours `json:"regularHours,omitempty"`
	ExceptionalOpenings []periodDoc             `json:"exceptionalOpenings,omitempty"`
	ExceptionalClosings []periodDoc             `json:"exceptionalClosings,omitempty"`
}

type periodDoc struct {
	PeriodBegin string `json:"periodBegin"`
	PeriodEnd   string `json:"periodEnd"`
}

// siteReadOnly are a site's members that Joule sets.
var siteReadOnly = []string{"id", "createdAt", "updatedAt", "gridSignal"}

// docOf returns x's writable part.
func docOf(x charging.Site) siteDoc {
	d := siteDoc{Name: x.Name, Address: x.Address, TimeZone: x.TimeZone, Notes: x.Notes, TariffID: x.TariffID, GroupTariffs: x.GroupTariffs,
		GridLimit: x.GridLimit, Reserve: x.Reserve, Meter: x.Meter}
	if c := x.Coordinates; c != nil {
		d.Coordinates = &coordinatesDoc{Latitude: &c.Latitude, Longitude: &c.Longitude}
	}
	if o := x.OpeningTimes; o != nil {
		od := &openingTimesDoc{TwentyFourSeven: o.TwentyFourSeven, RegularHours: o.RegularHours}
		for _, p := range o.ExceptionalOpenings {
			od.ExceptionalOpenings = append(od.ExceptionalOpenings, periodDoc{p.PeriodBegin.Format(time.RFC3339Nano), p.PeriodEnd.Format(time.RFC3339Nano)})
		}
		for _, p := range o.ExceptionalClosings {
			od.ExceptionalClosings = append(od.ExceptionalClosings, periodDoc{p.PeriodBegin.Format(time.RFC3339Nano), p.PeriodEnd.Format(time.RFC3339Nano)})
		}
		d.OpeningTimes = od
	}
	return d
}

// apply sets x's writable fields from d; errors name the field.
func (d siteDoc) apply(x *charging.Site) error {
	x.Name, x.Address, x.TimeZone, x.Notes = d.Name, d.Address, d.TimeZone, d.Notes
	x.TariffID, x.GroupTariffs = d.TariffID, d.GroupTariffs
	x.GridLimit, x.Reserve, x.Meter = d.GridLimit, d.Reserve, d.Meter
	x.Coordinates = nil
	if c := d.Coordinates; c != nil {
		switch {
		case c.Latitude == nil:
			return invalidf("coordinates.latitude is required with coordinates")
		case c.Longitude == nil:
			return invalidf("coordinates.longitude is required with coordinates")
		}
		x.Coordinates = &charging.Coordinates{Latitude: *c.Latitude, Longitude: *c.Longitude}
	}
	x.OpeningTimes = nil
	if o := d.OpeningTimes; o != nil {
		ot := &charging.OpeningTimes{TwentyFourSeven: o.TwentyFourSeven, RegularHours: o.RegularHours}
		var err error
		if ot.ExceptionalOpenings, err = periods("openingTimes.exceptionalOpenings", o.ExceptionalOpenings); err != nil {
			return err
		}
		if ot.ExceptionalClosings, err = periods("openingTimes.exceptionalClosings", o.ExceptionalClosings); err != nil {
			return err
		}
		x.OpeningTimes = ot
	}
	return nil
}

func periods(field string, ps []periodDoc) ([]charging.ExceptionalPeriod, error) {
	var out []charging.ExceptionalPeriod
	for i, p := range ps {
		b, err := bodyTime(fmt.Sprintf("%s[%d].periodBegin", field, i), &p.PeriodBegin)
		if err != nil {
			return nil, err
		}
		e, err := bodyTime(fmt.Sprintf("%s[%d].periodEnd", field, i), &p.PeriodEnd)
		if err != nil {
			return nil, err
		}
		out = append(out, charging.ExceptionalPeriod{PeriodBegin: b.UTC(), PeriodEnd: e.UTC()})
	}
	return out, nil
}

// decodeSiteDoc decodes a whole site document strictly: unknown members
// and members of the wrong type are 400s naming them.
func decodeSiteDoc(v any) (siteDoc, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return siteDoc{}, err
	}
	var d siteDoc
	if err := decodeObject(b, &d); err != nil {
		return siteDoc{}, err
	}
	return d, nil
}

// siteBody reads a POST or PATCH body: one JSON object without the
// members Joule sets.
func siteBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	b, err := readBody(w, r)
	if err == nil {
		err = requireObject(b)
	}
	if err != nil {
		return nil, err
	}
	v, err := decodeAny(b)
	if err != nil {
		return nil, jsonError(err)
	}
	m := v.(map[string]any)
	for _, k := range siteReadOnly {
		if _, ok := m[k]; ok {
			return nil, invalidf("%s is set by Joule and cannot be given", k)
		}
	}
	return m, nil
}

// POST /api/v1/sites
func (s *Server) createSite(w http.ResponseWriter, r *http.Request) {
	m, err := siteBody(w, r)
	var d siteDoc
	if err == nil {
		d, err = decodeSiteDoc(m)
	}
	var x charging.Site
	if err == nil {
		err = d.apply(&x)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	x, err = s.svc.CreateSite(r.Context(), x)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/sites/"+x.ID)
	writeJSON(w, http.StatusCreated, x)
}

// GET /api/v1/sites?limit=&cursor=
func (s *Server) listSites(w http.ResponseWriter, r *http.Request) {
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
	p, err := s.svc.ListSites(r.Context(), charging.SiteQuery{Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if isDriver(r) {
		writeJSON(w, http.StatusOK, page[publicSite]{Items: mapSlice(p.Items, toPublicSite), NextCursor: p.NextCursor})
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// GET /api/v1/sites/{id}
func (s *Server) getSite(w http.ResponseWriter, r *http.Request) {
	x, err := s.svc.GetSite(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if isDriver(r) {
		writeJSON(w, http.StatusOK, toPublicSite(x))
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// PATCH /api/v1/sites/{id}: a JSON merge patch of the site.
func (s *Server) patchSite(w http.ResponseWriter, r *http.Request) {
	patch, err := siteBody(w, r)
	if err == nil {
		// The patch's own members, checked before anything is read: an
		// unknown member or a wrong type is a 400 whatever the site holds.
		// (What needs the stored site, a time or coordinates, is checked
		// in the unit of work.)
		_, err = decodeSiteDoc(mergePatch(map[string]any{}, patch))
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	x, err := s.svc.UpdateSite(r.Context(), r.PathValue("id"), func(x *charging.Site) error {
		var base any
		b, err := json.Marshal(docOf(*x))
		if err == nil {
			base, err = decodeAny(b)
		}
		if err != nil {
			return err
		}
		d, err := decodeSiteDoc(mergePatch(base, patch))
		if err != nil {
			return err
		}
		return d.apply(x)
	})
	if err != nil {
		s.reject(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// DELETE /api/v1/sites/{id}
func (s *Server) deleteSite(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteSite(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// publicSite is what a driver sees of a site: all but the operator's notes.
type publicSite struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Address      charging.Address       `json:"address"`
	Coordinates  *charging.Coordinates  `json:"coordinates"`
	TimeZone     string                 `json:"timeZone"`
	OpeningTimes *charging.OpeningTimes `json:"openingTimes"`
	UpdatedAt    time.Time              `json:"updatedAt"`
}

func toPublicSite(x charging.Site) publicSite {
	return publicSite{ID: x.ID, Name: x.Name, Address: x.Address, Coordinates: x.Coordinates,
		TimeZone: x.TimeZone, OpeningTimes: x.OpeningTimes, UpdatedAt: x.UpdatedAt}
}
