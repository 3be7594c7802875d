package charging

import (
	"context"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Site is a place with chargers: a car park, a depot, a street. It is
// modelled on OCPI 2.2.1's Location (name, address, coordinates,
// time_zone, opening_times), so that a site maps one-to-one onto an OCPI
// Location, its chargers' connectors onto EVSEs. Notes are the operator's
// and never shown to drivers.
type Site struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Address      Address       `json:"address"`
	Coordinates  *Coordinates  `json:"coordinates"`  // nil when unknown
	TimeZone     string        `json:"timeZone"`     // IANA, e.g. Europe/Berlin; "" when unknown
	OpeningTimes *OpeningTimes `json:"openingTimes"` // nil when unknown
	Notes        string        `json:"notes"`
	// TariffID is the tariff of the site's chargers ("" for none: free
	// charging, unless a charger or connector has one); GroupTariffs are
	// driver groups' overrides of it (a driver group's name → a tariff
	// id). See ResolveTariff.
	TariffID     string            `json:"tariffId"`
	GroupTariffs map[string]string `json:"groupTariffs,omitempty"`
	// GridLimit is the site's grid connection limit (nil: none, no load
	// balancing); Reserve is kept for the building's own load when no
	// Meter measures it. GridSignal is a live limit set from outside (PUT
	// /sites/{id}/grid-limit), never by a site PATCH. See smart.go.
	GridLimit  *GridLimit  `json:"gridLimit"`
	Reserve    *GridLimit  `json:"reserve,omitempty"`
	Meter      *SiteMeter  `json:"meter,omitempty"`
	GridSignal *GridSignal `json:"gridSignal,omitempty"`
	CreatedAt  time.Time   `json:"createdAt"`
	UpdatedAt  time.Time   `json:"updatedAt"`
}

// Address is a site's postal address (OCPI: address, city, postal_code,
// state, country). Empty fields are unknown.
type Address struct {
	Street     string `json:"street"` // street and number (OCPI address)
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	State      string `json:"state"`
	Country    string `json:"country"` // ISO 3166-1 alpha-3, e.g. DEU
}

// Coordinates are WGS 84 degrees.
type Coordinates struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// OpeningTimes say when a site's chargers can be reached (OCPI 2.2.1
// Hours): around the clock, or in regular weekly periods; exceptional
// openings and closings override them. Periods are in the site's local
// time.
type OpeningTimes struct {
	TwentyFourSeven     bool                `json:"twentyfourseven"`
	RegularHours        []RegularHours      `json:"regularHours,omitempty"`
	ExceptionalOpenings []ExceptionalPeriod `json:"exceptionalOpenings,omitempty"`
	ExceptionalClosings []ExceptionalPeriod `json:"exceptionalClosings,omitempty"`
}

// RegularHours is one weekly opening period.
type RegularHours struct {
	Weekday     int    `json:"weekday"`     // 1 Monday ... 7 Sunday
	PeriodBegin string `json:"periodBegin"` // HH:MM, local time
	PeriodEnd   string `json:"periodEnd"`   // HH:MM, after PeriodBegin
}

// ExceptionalPeriod is one opening or closing outside the regular hours.
type ExceptionalPeriod struct {
	PeriodBegin time.Time `json:"periodBegin"`
	PeriodEnd   time.Time `json:"periodEnd"`
}

// Limits of a site's text fields, in characters: OCPI 2.2.1's for what it
// has (name 255, address 45, city 45, postal code 10, state 20).
const (
	MaxSiteName       = 255
	MaxSiteStreet     = 45
	MaxSiteCity       = 45
	MaxSitePostalCode = 10
	MaxSiteState      = 20
	MaxSiteNotes      = 4000
)

// Normalize trims the site's text fields and upper-cases its country.
func (s *Site) Normalize() {
	s.Name = strings.TrimSpace(s.Name)
	a := &s.Address
	a.Street, a.City, a.PostalCode, a.State = strings.TrimSpace(a.Street), strings.TrimSpace(a.City), strings.TrimSpace(a.PostalCode), strings.TrimSpace(a.State)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	s.Notes = strings.TrimSpace(s.Notes)
	s.TariffID = strings.TrimSpace(s.TariffID)
	s.GroupTariffs = NormalizeGroupTariffs(s.GroupTariffs)
}

// hhmm is OCPI's time of day: 24-hour, with leading zeros.
var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// Validate returns an EINVALID *Error naming the first field (in JSON,
// e.g. address.country) that breaks a rule. Call Normalize first.
func (s Site) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	text := func(field, v string, max int) error {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
			return bad("%s must be at most %d characters, got %d", field, max, utf8.RuneCountInString(v))
		}
		return nil
	}
	if s.Name == "" {
		return bad("name is required")
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{
		{"name", s.Name, MaxSiteName},
		{"address.street", s.Address.Street, MaxSiteStreet},
		{"address.city", s.Address.City, MaxSiteCity},
		{"address.postalCode", s.Address.PostalCode, MaxSitePostalCode},
		{"address.state", s.Address.State, MaxSiteState},
		{"notes", s.Notes, MaxSiteNotes},
	} {
		if err := text(f.field, f.v, f.max); err != nil {
			return err
		}
	}
	if c := s.Address.Country; c != "" && !ValidCountry(c) {
		return bad("address.country must be an ISO 3166-1 alpha-3 country code such as DEU, NLD or FRA (as OCPI), got %q", c)
	}
	if c := s.Coordinates; c != nil {
		if math.IsNaN(c.Latitude) || c.Latitude < -90 || c.Latitude > 90 {
			return bad("coordinates.latitude must be from -90 to 90 degrees, got %v", c.Latitude)
		}
		if math.IsNaN(c.Longitude) || c.Longitude < -180 || c.Longitude > 180 {
			return bad("coordinates.longitude must be from -180 to 180 degrees, got %v", c.Longitude)
		}
	}
	if tz := s.TimeZone; tz != "" {
		// LoadLocation takes "Local" (the server's zone), which is no
		// site's: only IANA names.
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" || len(tz) > 64 {
			return bad("timeZone must be an IANA time zone such as Europe/Berlin, got %q", tz)
		}
	}
	if o := s.OpeningTimes; o != nil {
		if err := o.validate(); err != nil {
			return err
		}
	}
	if err := s.validateSmart(); err != nil {
		return err
	}
	return ValidateTariffAssignment("", s.TariffID, s.GroupTariffs)
}

func (o OpeningTimes) validate() error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	switch {
	case o.TwentyFourSeven && len(o.RegularHours) > 0:
		return bad("openingTimes.regularHours must be empty when openingTimes.twentyfourseven is true")
	case !o.TwentyFourSeven && len(o.RegularHours) == 0:
		return bad("openingTimes.regularHours needs at least one period when openingTimes.twentyfourseven is false")
	}
	for i, h := range o.RegularHours {
		field := fmt.Sprintf("openingTimes.regularHours[%d]", i)
		switch {
		case h.Weekday < 1 || h.Weekday > 7:
			return bad("%s.weekday must be 1 (Monday) to 7 (Sunday), got %d", field, h.Weekday)
		case !hhmm.MatchString(h.PeriodBegin):
			return bad("%s.periodBegin must be a time of day HH:MM (00:00 to 23:59), got %q", field, h.PeriodBegin)
		case !hhmm.MatchString(h.PeriodEnd):
			return bad("%s.periodEnd must be a time of day HH:MM (00:00 to 23:59), got %q", field, h.PeriodEnd)
		case h.PeriodEnd <= h.PeriodBegin:
			return bad("%s.periodEnd (%s) must be after periodBegin (%s); a period over midnight is two periods", field, h.PeriodEnd, h.PeriodBegin)
		}
		for j, g := range o.RegularHours[:i] {
			if g.Weekday == h.Weekday && g.PeriodBegin < h.PeriodEnd && h.PeriodBegin < g.PeriodEnd {
				return bad("%s overlaps openingTimes.regularHours[%d] (weekday %d, %s-%s)", field, j, g.Weekday, g.PeriodBegin, g.PeriodEnd)
			}
		}
	}
	for _, list := range []struct {
		field string
		ps    []ExceptionalPeriod
	}{{"openingTimes.exceptionalOpenings", o.ExceptionalOpenings}, {"openingTimes.exceptionalClosings", o.ExceptionalClosings}} {
		for i, p := range list.ps {
			if p.PeriodBegin.IsZero() || !p.PeriodEnd.After(p.PeriodBegin) {
				return bad("%s[%d].periodEnd must be after its periodBegin", list.field, i)
			}
		}
	}
	return nil
}

// Clone returns a deep copy of s.
func (s Site) Clone() Site {
	if s.Coordinates != nil {
		c := *s.Coordinates
		s.Coordinates = &c
	}
	if s.OpeningTimes != nil {
		o := *s.OpeningTimes
		o.RegularHours = slices.Clone(o.RegularHours)
		o.ExceptionalOpenings = slices.Clone(o.ExceptionalOpenings)
		o.ExceptionalClosings = slices.Clone(o.ExceptionalClosings)
		s.OpeningTimes = &o
	}
	s.GroupTariffs = maps.Clone(s.GroupTariffs)
	s.GridLimit, s.Reserve, s.Meter = clonePtr(s.GridLimit), clonePtr(s.Reserve), clonePtr(s.Meter)
	if g := s.GridSignal; g != nil {
		c := *g
		c.Until = clonePtr(g.Until)
		s.GridSignal = &c
	}
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// SiteQuery selects sites.
type SiteQuery struct {
	Cursor string
	Limit  int // 0 means 100
}

// ChargerDetails are the operator's fields of a charger (Charger.Name,
// Charger.SiteID, Charger.TariffID, Charger.GroupTariffs), which
// SaveCharger never overwrites.
type ChargerDetails struct {
	Name         string
	SiteID       string // "" when the charger is at no site
	TariffID     string // "" for none
	GroupTariffs map[string]string
}

// SiteStore keeps sites and which site each charger is at. charging.Store
// embeds it.
type SiteStore interface {
	// CreateSite inserts a new site; an existing id is ECONFLICT.
	CreateSite(ctx context.Context, s Site) error
	// GetSite returns a site; ENOTFOUND when there is none.
	GetSite(ctx context.Context, id string) (Site, error)
	// ListSites returns sites ordered by name (byte order), then id.
	ListSites(ctx context.Context, q SiteQuery) (Page[Site], error)
	// SaveSite overwrites an existing site (CreatedAt stays the first
	// one); ENOTFOUND when there is none.
	SaveSite(ctx context.Context, s Site) error
	// DeleteSite deletes a site. ENOTFOUND when there is none; ECONFLICT,
	// with a message that says how many, while chargers are at it.
	DeleteSite(ctx context.Context, id string) error
	// SaveChargerDetails sets a charger's name, site and tariff
	// assignment. ENOTFOUND for an
	// unknown charger, or for an unknown site (a message naming the site).
	SaveChargerDetails(ctx context.Context, chargerID string, d ChargerDetails) error
}
