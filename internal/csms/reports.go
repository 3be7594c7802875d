package csms

import (
	"context"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Usage reports for the operator: computed by the store
// (charging.ReportStore), at the service's clock.

// UsageReport returns a usage report; q.Now, when zero, is now.
func (s *Service) UsageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error) {
	if q.Now.IsZero() {
		q.Now = s.utcNow()
	}
	return s.store.UsageReport(ctx, q)
}

// ReportSummary returns the dashboard's numbers in loc (nil: UTC): today's
// and the last 30 days' totals, and how many chargers are online now.
func (s *Service) ReportSummary(ctx context.Context, loc *time.Location) (charging.ReportSummary, error) {
	if loc == nil {
		loc = time.UTC
	}
	now := s.utcNow()
	y, m, d := now.In(loc).Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	rows, err := s.store.UsageReport(ctx, charging.ReportQuery{
		From: time.Date(y, m, d-29, 0, 0, 0, 0, loc), To: tomorrow,
		Interval: charging.ReportDay, Location: loc, Now: now,
	})
	if err != nil {
		return charging.ReportSummary{}, err
	}
	sum := charging.ReportSummary{At: now, TimeZone: loc.String(), Last30Days: charging.ReportTotal(rows)}
	if len(rows) > 0 {
		sum.Today = rows[len(rows)-1]
	}
	for q := (charging.ChargerQuery{Limit: 1000}); ; {
		page, err := s.store.ListChargers(ctx, q)
		if err != nil {
			return charging.ReportSummary{}, err
		}
		for _, c := range page.Items {
			sum.Chargers++
			if c.Online {
				sum.ChargersOnline++
			}
		}
		if q.Cursor = page.NextCursor; q.Cursor == "" {
			return sum, nil
		}
	}
}

// warmReports builds the report roll-ups of the zones reports are likely
// asked in (UTC and every site's time zone) in the background, so that
// the first report or dashboard after a start does not pay for the build
// (seconds for a year of a large fleet, ADR 10). A zone already built
// costs a small report.
func (s *Service) warmReports(ctx context.Context) {
	zones := map[string]bool{"UTC": true}
	for q := (charging.SiteQuery{Limit: 1000}); ; {
		page, err := s.store.ListSites(ctx, q)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("warm the report roll-ups: list sites", "err", err)
			}
			return
		}
		for _, site := range page.Items {
			if site.TimeZone != "" {
				zones[site.TimeZone] = true
			}
		}
		if q.Cursor = page.NextCursor; q.Cursor == "" {
			break
		}
	}
	for name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue
		}
		start := time.Now()
		if _, err := s.ReportSummary(ctx, loc); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("warm the report roll-ups", "zone", name, "err", err)
			}
			return
		}
		if d := time.Since(start); d > time.Second {
			s.log.Info("built the report roll-up of a time zone", "zone", name, "took", d.Round(time.Millisecond).String())
		}
	}
}
