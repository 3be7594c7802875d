package csms

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/tariff"
)

// Pricing: a session is priced by the tariff assigned where it runs (its
// connector, else its charger, else its site; a driver group's override
// first at each level), copied onto the session when it is created, so
// that a later change of the tariff never reprices it. Its running cost
// follows each meter report (an estimate from the start and the latest
// reading); its final cost, computed once when it ends from the whole
// meter log, is a CDR-like record stored with it.

// tariffFor returns a copy of the tariff of a new session on the charger's
// connector (0: the charger's own) for the id tag's owner, nil when
// charging there is free. A tariff assignment that names a tariff deleted
// since is treated as free, and logged.
func (s *Service) tariffFor(ctx context.Context, tx charging.Tx, chargerID string, connectorID int, ownerID string) (*charging.Tariff, error) {
	group := ""
	if ownerID != "" {
		u, err := tx.GetUser(ctx, ownerID)
		switch {
		case err == nil:
			group = u.DriverGroup
		case charging.ErrorCode(err) != charging.ENOTFOUND:
			return nil, err
		}
	}
	t, level, err := resolveTariff(ctx, tx, chargerID, connectorID, group)
	if charging.ErrorCode(err) == charging.ENOTFOUND && level != "" {
		s.log.Warn("a tariff assignment names a tariff that does not exist; charging is free", "charger", chargerID, "level", level)
		return nil, nil
	}
	return t, err
}

// ownerOf returns who a session belongs to: its owner when set, else the
// owner of its id tag ("" when it has none or is unknown).
func ownerOf(ctx context.Context, tx charging.Tx, ses *charging.Session) (string, error) {
	idTag := ses.IDTag
	if ses.OwnerID != "" || idTag == "" {
		return ses.OwnerID, nil
	}
	t, err := tx.GetIDTag(ctx, idTag)
	switch {
	case err == nil:
		return t.OwnerID, nil
	case charging.ErrorCode(err) == charging.ENOTFOUND:
		return "", nil
	}
	return "", err
}

// priceNew sets a new session's tariff (and a zero running cost) from
// where it runs and who it belongs to (owner: "" for no account).
func (s *Service) priceNew(ctx context.Context, tx charging.Tx, ses *charging.Session, owner string) error {
	t, err := s.tariffFor(ctx, tx, ses.ChargerID, ses.ConnectorID, owner)
	if err != nil || t == nil {
		return err
	}
	ses.TariffID, ses.Tariff = t.ID, t
	start := ses.CreatedAt
	if ses.StartedAt != nil {
		start = *ses.StartedAt
	}
	cost, err := tariff.Price(*t, tariff.Usage{Start: start, End: start, Location: location(t)})
	if err != nil {
		ses.Flags = append(ses.Flags, "the tariff could not price the session: "+charging.ErrorMessage(err))
		return nil
	}
	ses.Cost = &cost
	return nil
}

// zones caches loaded time zones by name: time.LoadLocation reads the
// zone database from disk on every call, and the running cost needs one
// per meter report.
var zones sync.Map // string → *time.Location

// location is the time zone a session's tariff reads its times in; UTC
// when it has none or the name is unknown.
func location(t *charging.Tariff) *time.Location {
	if t == nil || t.TimeZone == "" {
		return time.UTC
	}
	if loc, ok := zones.Load(t.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	zones.Store(t.TimeZone, loc)
	return loc
}

// runningCost sets an active session's running cost from its start and
// its latest live values (taken at `at`). It is an estimate: the time
// between two readings counts as charging or idle by the latest one only;
// the final cost reads the whole meter log.
func runningCost(ses *charging.Session, at time.Time) {
	if ses.Tariff == nil || ses.StartedAt == nil {
		return
	}
	if at.Before(*ses.StartedAt) {
		at = *ses.StartedAt
	}
	r := tariff.Reading{At: at, EnergyWh: max(ses.EnergyWh, 0)}
	if ses.PowerW > 0 {
		p := ses.PowerW
		r.PowerW = &p
	}
	r.CurrentA = ses.CurrentA
	cost, err := tariff.Price(*ses.Tariff, tariff.Usage{Start: *ses.StartedAt, End: at, Location: location(ses.Tariff), Readings: []tariff.Reading{r}})
	if err != nil {
		return // a tariff that cannot price the session was flagged at its start
	}
	ses.Cost = &cost
}

// finalCost sets an ended session's final cost from its whole meter log
// (and the samples of the message that ends it, not stored yet), read
// through tx. A session without a tariff costs nothing (Cost nil).
func (s *Service) finalCost(ctx context.Context, tx charging.Tx, ses *charging.Session, extra []charging.MeterSample) error {
	if ses.Tariff == nil {
		return nil
	}
	start := ses.CreatedAt
	if ses.StartedAt != nil {
		start = *ses.StartedAt
	}
	end := ses.UpdatedAt
	if ses.StoppedAt != nil {
		end = *ses.StoppedAt
	}
	if end.Before(start) {
		end = start
	}
	var readings []tariff.Reading
	if ses.ID != "" && ses.MeterStartWh != nil {
		q := charging.MeterQuery{SessionID: ses.ID, Limit: 1000}
		var samples []charging.MeterSample
		for {
			page, err := tx.ListMeterSamples(ctx, q)
			if err != nil {
				return err
			}
			samples = append(samples, page.Items...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		samples = append(samples, extra...)
		readings = energyReadings(samples, *ses.MeterStartWh, start, end)
	}
	readings = append(readings, tariff.Reading{At: end, EnergyWh: max(ses.EnergyWh, 0)})
	cost, err := tariff.Price(*ses.Tariff, tariff.Usage{Start: start, End: end, Location: location(ses.Tariff), Readings: readings, Final: true})
	if err != nil {
		ses.Flags = append(ses.Flags, "the final cost could not be computed: "+charging.ErrorMessage(err))
		return nil
	}
	ses.Cost = &cost
	return nil
}

// energyReadings turns a session's samples into the energy delivered at
// each timestamp within (start, end]: the active import register (the
// whole-meter value, at the outlet) minus the meter start, never going
// down; power where sampled.
func energyReadings(samples []charging.MeterSample, meterStart float64, start, end time.Time) []tariff.Reading {
	byTime := map[time.Time]*tariff.Reading{}
	for _, x := range samples {
		if x.Phase != "" || !x.Timestamp.After(start) || x.Timestamp.After(end) || (x.Raw != "" && x.Value == 0) {
			continue
		}
		switch x.Location {
		case "", "Outlet", "EV", "Cable":
		default:
			continue
		}
		r := byTime[x.Timestamp]
		switch x.Measurand {
		case charging.MeasurandEnergyActiveImportRegister:
			if r == nil {
				r = &tariff.Reading{At: x.Timestamp}
				byTime[x.Timestamp] = r
			}
			r.EnergyWh = x.Value - meterStart
		case charging.MeasurandPowerActiveImport:
			if r == nil { // energy -1: no register at this timestamp (yet)
				r = &tariff.Reading{At: x.Timestamp, EnergyWh: -1}
				byTime[x.Timestamp] = r
			}
			p := x.Value
			r.PowerW = &p
		}
	}
	out := make([]tariff.Reading, 0, len(byTime))
	for _, r := range byTime {
		if r.EnergyWh >= 0 {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b tariff.Reading) int { return a.At.Compare(b.At) })
	last := 0.0
	for i := range out {
		out[i].EnergyWh = max(out[i].EnergyWh, last) // a register never runs back
		last = out[i].EnergyWh
	}
	return out
}
