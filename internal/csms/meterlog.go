package csms

import (
	"context"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// rebuildElements is how many of a session's latest meterValue elements
// RebuildLive reads: enough to find each live value's last reading when a
// charger does not send every measurand in every message.
const rebuildElements = 16

// RebuildLive recomputes the live values of active sessions from their
// meter log. Live values are written lazily (charging.Tx.SetSessionLive),
// so after a crash the stored ones may be older than the log, which holds
// every acknowledged sample: run it at start-up, before chargers connect.
// It returns how many sessions it corrected.
func (s *Service) RebuildLive(ctx context.Context) (int, error) {
	fixed := 0
	q := charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionActive}, Limit: 500}
	for {
		page, err := s.store.ListSessions(ctx, q)
		if err != nil {
			return fixed, err
		}
		for _, ses := range page.Items {
			if _, stale, err := s.rebuiltLive(ctx, s.store, ses); err != nil || !stale {
				if err != nil {
					return fixed, err
				}
				continue
			}
			// Read again and written in one unit: values another node
			// wrote meanwhile are the ones compared.
			done := false
			err := s.update(ctx, func(u *unit) error {
				done = false
				cur, err := u.tx.GetSession(ctx, ses.ID)
				if err != nil || cur.Status != charging.SessionActive {
					return err
				}
				live, stale, err := s.rebuiltLive(ctx, u.tx, cur)
				if err != nil || !stale {
					return err
				}
				live.UpdatedAt = s.liveTime(&cur)
				done = true
				return u.tx.SetSessionLive(ctx, live.Live())
			})
			if err != nil {
				return fixed, err
			}
			if done {
				fixed++
			}
		}
		if page.NextCursor == "" {
			return fixed, nil
		}
		q.Cursor = page.NextCursor
	}
}

func sameLive(a, b charging.SessionLive) bool {
	eq := func(x, y *float64) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return a.EnergyWh == b.EnergyWh && a.PowerW == b.PowerW &&
		eq(a.CurrentA, b.CurrentA) && eq(a.VoltageV, b.VoltageV) && eq(a.SoCPercent, b.SoCPercent)
}

// purgeInterval is how often meter retention runs.
const purgeInterval = 10 * time.Minute

// PurgeMeterLog deletes the meter samples of sessions that ended longer
// than the retention window ago (Config.MeterRetention; 0 keeps
// everything). Sessions keep their totals. It returns how many meterValue
// elements it deleted.
func (s *Service) PurgeMeterLog(ctx context.Context) (int, error) {
	if s.cfg.MeterRetention <= 0 {
		return 0, nil
	}
	before := s.utcNow().Add(-s.cfg.MeterRetention)
	total := 0
	for {
		// Small steps: each is one write, and others' writes go between.
		n, more, err := s.store.PurgeMeterSamples(ctx, before, 50)
		total += n
		if err != nil || !more {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// rebuiltLive returns ses with the live values of its last meterValue
// elements, read through tx, and whether they differ from its own.
func (s *Service) rebuiltLive(ctx context.Context, tx charging.Tx, ses charging.Session) (charging.Session, bool, error) {
	samples, err := tx.LastMeterSamples(ctx, ses.ID, rebuildElements)
	if err != nil || len(samples) == 0 {
		return ses, false, err
	}
	live := ses
	for i := 0; i < len(samples); {
		j := i + 1
		for j < len(samples) && samples[j].Timestamp.Equal(samples[i].Timestamp) {
			j++
		}
		applyLive(&live, samples[i:j])
		i = j
	}
	return live, !sameLive(live.Live(), ses.Live()), nil
}
