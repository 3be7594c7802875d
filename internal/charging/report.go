package charging

import (
	"context"
	"sort"
	"time"
)

// ReportStore computes usage reports (docs/adr/0010-usage-reports.md).
type ReportStore interface {
	// UsageReport returns one row per period of q.Interval in [q.From,
	// q.To) and, with q.GroupBy, per site or charger (every charger the
	// filters match, with or without activity), ordered by period, then
	// site, then charger. A query that fails ReportQuery.Validate is
	// EINVALID.
	UsageReport(ctx context.Context, q ReportQuery) ([]ReportRow, error)
}

// ReportInterval is the length of a report's periods.
type ReportInterval string

// Report intervals. Weeks start on Monday; every period starts at
// midnight in the report's Location.
const (
	ReportDay   ReportInterval = "day"
	ReportWeek  ReportInterval = "week"
	ReportMonth ReportInterval = "month"
)

// ReportGroup says how a report splits its periods.
type ReportGroup string

// Report groupings: everything together, per site, per charger.
const (
	ReportGroupAll     ReportGroup = ""
	ReportGroupSite    ReportGroup = "site"
	ReportGroupCharger ReportGroup = "charger"
)

// MaxReportDays bounds a report's range.
const MaxReportDays = 400

// ReportQuery selects a usage report.
type ReportQuery struct {
	// From and To are the half-open range [From, To); both must be
	// midnights in Location.
	From, To time.Time
	Interval ReportInterval
	GroupBy  ReportGroup
	// SiteID and ChargerID keep only the chargers of that site, or that
	// charger ("" matches every one). A charger counts with the site it
	// belongs to now.
	SiteID, ChargerID string
	// Location is where days start (DST-correct); nil is UTC.
	Location *time.Location
	// Now is the report's present: active sessions occupy their
	// connectors, and open presence spans count as online, until Now;
	// ConnectorS and ChargerS end at it. Zero is the store's clock.
	Now time.Time
}

// Loc returns the report's location (UTC when nil).
func (q ReportQuery) Loc() *time.Location {
	if q.Location == nil {
		return time.UTC
	}
	return q.Location
}

// Validate checks a report query; its errors are EINVALID and name the
// query parameter at fault (from, to, interval, groupBy).
func (q ReportQuery) Validate() error {
	loc := q.Loc()
	switch {
	case q.From.IsZero():
		return Errorf(EINVALID, "from is required")
	case q.To.IsZero():
		return Errorf(EINVALID, "to is required")
	case !isMidnight(q.From, loc):
		return Errorf(EINVALID, "from must be a midnight in %s", loc)
	case !isMidnight(q.To, loc):
		return Errorf(EINVALID, "to must be a midnight in %s", loc)
	case !q.To.After(q.From):
		return Errorf(EINVALID, "to must be after from")
	case civilDay(q.To, loc)-civilDay(q.From, loc) > MaxReportDays:
		return Errorf(EINVALID, "to must be at most %d days after from", MaxReportDays)
	}
	switch q.Interval {
	case ReportDay, ReportWeek, ReportMonth:
	default:
		return Errorf(EINVALID, "interval %q is not one of day, week, month", q.Interval)
	}
	switch q.GroupBy {
	case ReportGroupAll, ReportGroupSite, ReportGroupCharger:
	default:
		return Errorf(EINVALID, "groupBy %q is not one of site, charger", q.GroupBy)
	}
	return nil
}

func isMidnight(t time.Time, loc *time.Location) bool {
	return t.Equal(DayStart(civilDay(t, loc), loc))
}

// ReportRow is one period of a usage report, for one site or charger (or
// everything when both are "").
//
// Sessions counts the finished and active sessions (not pending, not
// failed) that started in the period (StartedAt, or CreatedAt without
// it); EnergyWh is the energy of those same sessions (so far, for active
// ones). Revenue is the final cost of the sessions that finished in the
// period (StoppedAt), per currency. Utilisation is OccupiedS/ConnectorS:
// the connector-seconds sessions occupied (from StartedAt or CreatedAt to
// StoppedAt, or now while active; clipped to the period) over the
// connectors times the period's seconds up to now. Availability is
// OnlineS/ChargerS: the seconds chargers were online over the seconds of
// the period, up to now, after each charger's first connection.
type ReportRow struct {
	PeriodStart  time.Time `json:"periodStart"`
	PeriodEnd    time.Time `json:"periodEnd"`
	SiteID       string    `json:"siteId"`
	ChargerID    string    `json:"chargerId"`
	Sessions     int       `json:"sessions"`
	EnergyWh     float64   `json:"energyWh"`
	Revenue      []Money   `json:"revenue"`
	OccupiedS    int64     `json:"occupiedS"`
	ConnectorS   int64     `json:"connectorS"`
	Utilisation  float64   `json:"utilisation"`
	OnlineS      int64     `json:"onlineS"`
	ChargerS     int64     `json:"chargerS"`
	Availability float64   `json:"availability"`
}

// MinorMoney turns an amount in a currency's minor units into Money.
func MinorMoney(currency string, minor int64) Money {
	return Money{Currency: currency, Amount: Decimal(FormatMinor(minor, currency))}
}

// MoneyList turns minor amounts per currency into Money ordered by
// currency; never nil.
func MoneyList(minor map[string]int64) []Money {
	out := []Money{}
	for c, v := range minor {
		out = append(out, MinorMoney(c, v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// civilDay returns the day number (days since 1970-01-01) of t's date in loc.
func civilDay(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// CivilDay returns the day number (days since 1970-01-01) of t's date in loc.
func CivilDay(t time.Time, loc *time.Location) int { return civilDay(t, loc) }

// DayStart returns the midnight that starts day number day in loc.
func DayStart(day int, loc *time.Location) time.Time {
	y, m, d := time.Unix(int64(day)*86400, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// ReportSummary is the dashboard's numbers: today and the last 30 days
// (today included) in a location, and the chargers online now.
type ReportSummary struct {
	At             time.Time `json:"at"`
	TimeZone       string    `json:"timeZone"`
	Today          ReportRow `json:"today"`
	Last30Days     ReportRow `json:"last30Days"`
	ChargersOnline int       `json:"chargersOnline"`
	Chargers       int       `json:"chargers"`
}
