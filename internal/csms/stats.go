package csms

import (
	"context"
	"math"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Power history: the fleet's total charging power over time, for the
// operator's dashboard, read from the meter log. Each session's power is
// what its meter reports said (Power.Active.Import, computed as the live
// value is: see applyLive); it holds from one report to the next, and
// until the session stopped, or until now while it is active (until its
// charger went offline, if it did).

// Defaults and limits of PowerHistory.
const (
	DefaultPowerWindow = 30 * time.Minute
	DefaultPowerStep   = time.Minute
	MaxPowerWindow     = 24 * time.Hour
	MaxPowerBuckets    = 2880

	// powerLookback bounds the search for finished sessions, which is by
	// creation time: a session created more than this before the window
	// that ended within it is not counted.
	powerLookback = 24 * time.Hour
	// A session's meter log is read from its end: first this many
	// meterValue elements, doubled until they reach back to the window's
	// start (or the session's first), at most maxPowerElements.
	powerElements    = 256
	maxPowerElements = 1 << 16
)

// PowerHistory returns the total charging power of all sessions from
// q.Since until now, in buckets of q.Step: each bucket holds the mean over
// its time of the sum of the sessions' power.
func (s *Service) PowerHistory(ctx context.Context, q charging.PowerQuery) (charging.PowerHistory, error) {
	now := s.utcNow()
	if q.Step == 0 {
		q.Step = DefaultPowerStep
	}
	if q.Since.IsZero() {
		q.Since = now.Add(-DefaultPowerWindow)
	}
	q.Since = q.Since.UTC()
	switch window := now.Sub(q.Since); {
	case q.Step < time.Second || q.Step > MaxPowerWindow:
		return charging.PowerHistory{}, charging.Errorf(charging.EINVALID, "step must be from 1 s to %v, got %v", MaxPowerWindow, q.Step)
	case window <= 0:
		return charging.PowerHistory{}, charging.Errorf(charging.EINVALID, "since must be in the past, got %s", q.Since.Format(time.RFC3339))
	case window > MaxPowerWindow:
		return charging.PowerHistory{}, charging.Errorf(charging.EINVALID, "since must be within the last %v, got %s", MaxPowerWindow, q.Since.Format(time.RFC3339))
	case window > MaxPowerBuckets*q.Step:
		return charging.PowerHistory{}, charging.Errorf(charging.EINVALID, "at most %d buckets: a step of %v needs since within the last %v", MaxPowerBuckets, q.Step, MaxPowerBuckets*q.Step)
	}
	n := int((now.Sub(q.Since) + q.Step - 1) / q.Step)
	h := powerBuckets{since: q.Since, until: now, step: q.Step, ws: make([]float64, n)}
	sessions, err := s.powerSessions(ctx, q.Since)
	if err != nil {
		return charging.PowerHistory{}, err
	}
	chargers := map[string]charging.Charger{}
	for _, ses := range sessions {
		readings, err := s.powerReadings(ctx, ses.ID, q.Since)
		if err != nil {
			return charging.PowerHistory{}, err
		}
		end := now
		if ses.Status == charging.SessionActive {
			// An offline charger's last reading holds only until it went
			// away: nothing is known to flow since (as the live values say).
			c, ok := chargers[ses.ChargerID]
			if !ok {
				if c, err = s.store.GetCharger(ctx, ses.ChargerID); err != nil && charging.ErrorCode(err) != charging.ENOTFOUND {
					return charging.PowerHistory{}, err
				}
				chargers[ses.ChargerID] = c
			}
			if c.ID != "" && !c.Online && c.LastSeenAt != nil && c.LastSeenAt.Before(end) {
				end = *c.LastSeenAt
			}
		} else {
			end = ses.UpdatedAt
			if ses.StoppedAt != nil {
				end = *ses.StoppedAt
			}
		}
		for i, r := range readings {
			to := end
			if i+1 < len(readings) && readings[i+1].at.Before(end) {
				to = readings[i+1].at
			}
			h.add(r.at, to, r.w)
		}
	}
	out := charging.PowerHistory{Since: q.Since, Until: now, Step: q.Step, Buckets: make([]charging.PowerBucket, n)}
	for i := range out.Buckets {
		start := q.Since.Add(time.Duration(i) * q.Step)
		end := start.Add(q.Step)
		if end.After(now) {
			end = now
		}
		secs := end.Sub(start).Seconds()
		out.Buckets[i] = charging.PowerBucket{Start: start, PowerW: math.Round(h.ws[i]/secs*10) / 10}
	}
	return out, nil
}

// powerSessions returns the sessions that may have charged since then:
// every active one, and the finished ones that stopped since then.
func (s *Service) powerSessions(ctx context.Context, since time.Time) ([]charging.Session, error) {
	var out []charging.Session
	seen := map[string]bool{}
	list := func(q charging.SessionQuery, keep func(charging.Session) bool) error {
		q.Limit = 500
		for {
			page, err := s.store.ListSessions(ctx, q)
			if err != nil {
				return err
			}
			for _, ses := range page.Items {
				if !seen[ses.ID] && keep(ses) {
					seen[ses.ID] = true
					out = append(out, ses)
				}
			}
			if page.NextCursor == "" {
				return nil
			}
			q.Cursor = page.NextCursor
		}
	}
	active := charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionActive}}
	if err := list(active, func(charging.Session) bool { return true }); err != nil {
		return nil, err
	}
	finished := charging.SessionQuery{Status: []charging.SessionStatus{charging.SessionFinished}, CreatedFrom: since.Add(-powerLookback)}
	err := list(finished, func(ses charging.Session) bool {
		end := ses.UpdatedAt
		if ses.StoppedAt != nil {
			end = *ses.StoppedAt
		}
		return !end.Before(since)
	})
	return out, err
}

// powerReading is a session's power from a meter report on.
type powerReading struct {
	at time.Time
	w  float64
}

// powerReadings returns the power a session's meter log reports, oldest
// first, from the last report before since (its power holds into the
// window) on.
func (s *Service) powerReadings(ctx context.Context, sessionID string, since time.Time) ([]powerReading, error) {
	var samples []charging.MeterSample
	for n := powerElements; ; n *= 2 {
		var err error
		if samples, err = s.store.LastMeterSamples(ctx, sessionID, n); err != nil {
			return nil, err
		}
		if len(samples) == 0 || !samples[0].Timestamp.After(since) || elements(samples) < n || n >= maxPowerElements {
			break
		}
	}
	var out []powerReading
	for i := 0; i < len(samples); {
		j := i + 1
		for j < len(samples) && samples[j].Timestamp.Equal(samples[i].Timestamp) {
			j++
		}
		el := charging.Session{PowerW: math.NaN()}
		applyLive(&el, samples[i:j])
		if !math.IsNaN(el.PowerW) {
			if r := (powerReading{at: samples[i].Timestamp, w: el.PowerW}); r.at.After(since) || len(out) == 0 {
				out = append(out, r)
			} else {
				out[len(out)-1] = r // a later report from before the window
			}
		}
		i = j
	}
	return out, nil
}

// elements counts the meterValue elements (distinct timestamps) of
// samples ordered by timestamp.
func elements(samples []charging.MeterSample) int {
	n := 0
	for i := range samples {
		if i == 0 || !samples[i].Timestamp.Equal(samples[i-1].Timestamp) {
			n++
		}
	}
	return n
}

// powerBuckets adds up watt-seconds by bucket.
type powerBuckets struct {
	since, until time.Time
	step         time.Duration
	ws           []float64 // W·s per bucket
}

// add counts power w drawn from from to to, clipped to the history.
func (h *powerBuckets) add(from, to time.Time, w float64) {
	if from.Before(h.since) {
		from = h.since
	}
	if to.After(h.until) {
		to = h.until
	}
	for from.Before(to) {
		i := int(from.Sub(h.since) / h.step)
		if i >= len(h.ws) {
			return
		}
		end := h.since.Add(time.Duration(i+1) * h.step)
		if end.After(to) {
			end = to
		}
		h.ws[i] += w * end.Sub(from).Seconds()
		from = end
	}
}
