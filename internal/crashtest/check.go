package crashtest

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// sampleKey identifies a sampled value as the API returns it.
type sampleKey struct {
	ms        int64 // timestamp, Unix milliseconds
	measurand string
	value     float64
}

func keyOf(at time.Time, measurand string, value float64) sampleKey {
	return sampleKey{at.UnixMilli(), measurand, value}
}

// check compares c's journal with what the API returns, adding to rep:
// every acknowledged start has its session (transaction id, meter start,
// start time), every acknowledged sampled value is among its session's
// meter values, every acknowledged stop finished its session with its
// meter stop and time.
func check(ctx context.Context, a *api, c *charger, rep *Report) error {
	sessions, err := a.sessions(ctx, c.id)
	if err != nil {
		return err
	}
	byTx := make(map[string]*apiSession, len(sessions))
	for i := range sessions {
		s := &sessions[i]
		if s.TransactionID == "" {
			continue
		}
		if o := byTx[s.TransactionID]; o != nil {
			rep.problem(fmt.Sprintf("%s: transaction %s has two sessions, %s and %s", c.id, s.TransactionID, o.ID, s.ID))
		}
		byTx[s.TransactionID] = s
	}
	stored := map[string]map[sampleKey]int{} // by session id, read once
	samplesOf := func(s *apiSession) (map[sampleKey]int, error) {
		if m, ok := stored[s.ID]; ok {
			return m, nil
		}
		list, err := a.meterValues(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		m := make(map[sampleKey]int, len(list))
		for _, x := range list {
			if x.Phase != "" {
				continue
			}
			k := keyOf(x.Timestamp, x.Measurand, x.Value)
			if m[k]++; m[k] == 2 {
				rep.Duplicates++
			}
		}
		stored[s.ID] = m
		return m, nil
	}

	started := map[string]bool{}
	for _, e := range c.journal {
		rep.Acked++
		rep.Samples += len(e.Samples)
		switch e.Kind {
		case kindStart:
			rep.Starts++
			started[e.TxID] = true
		case kindMeter:
			rep.Meters++
		case kindStop:
			rep.Stops++
		}

		rep.Checked++
		var missing []string
		s := byTx[e.TxID]
		if s == nil {
			missing = append(missing, "no session has this transaction id")
		} else {
			switch e.Kind {
			case kindStart:
				if s.StartedAt == nil || !s.StartedAt.Equal(e.At) {
					missing = append(missing, fmt.Sprintf("session %s startedAt %s, want %s", s.ID, fmtTime(s.StartedAt), e.At.Format(time.RFC3339Nano)))
				}
				if s.MeterStartWh == nil || *s.MeterStartWh != e.MeterWh {
					missing = append(missing, fmt.Sprintf("session %s meterStartWh %s, want %v", s.ID, fmtFloat(s.MeterStartWh), e.MeterWh))
				}
			case kindStop:
				if s.Status != "finished" {
					missing = append(missing, fmt.Sprintf("session %s is %s, want finished", s.ID, s.Status))
				}
				if s.StoppedAt == nil || !s.StoppedAt.Equal(e.At) {
					missing = append(missing, fmt.Sprintf("session %s stoppedAt %s, want %s", s.ID, fmtTime(s.StoppedAt), e.At.Format(time.RFC3339Nano)))
				}
				if s.MeterStopWh == nil || *s.MeterStopWh != e.MeterWh {
					missing = append(missing, fmt.Sprintf("session %s meterStopWh %s, want %v", s.ID, fmtFloat(s.MeterStopWh), e.MeterWh))
				}
			}
			m, err := samplesOf(s)
			if err != nil {
				return err
			}
			for _, x := range e.Samples {
				if m[keyOf(x.At, x.Measurand, x.Value)] == 0 {
					missing = append(missing, fmt.Sprintf("session %s has no sample %s", s.ID, x))
				}
			}
		}
		if len(missing) > 0 {
			rep.Missing++
			rep.problem(fmt.Sprintf("%s: LOST %s: %s", c.id, e, strings.Join(missing, "; ")))
		}
	}
	for _, s := range sessions {
		if !started[s.TransactionID] {
			rep.UnackedSessions++
		}
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "null"
	}
	return t.Format(time.RFC3339Nano)
}

func fmtFloat(f *float64) string {
	if f == nil {
		return "null"
	}
	return fmt.Sprint(*f)
}

// checkLive checks, right after a restart, the sessions the chargers had
// running at the kill (open): each is there, and its energy is at least
// what the last acknowledged register says. The chargers may be sending
// again meanwhile; energy only grows, so the bound holds.
func checkLive(ctx context.Context, a *api, chargers []*charger, open []openTx, gen int, rep *Report) error {
	for i, c := range chargers {
		o := open[i]
		if o.TxID == "" {
			continue
		}
		rep.LiveChecked++
		sessions, err := a.sessions(ctx, c.id)
		if err != nil {
			return err
		}
		var s *apiSession
		for j := range sessions {
			if sessions[j].TransactionID == o.TxID {
				s = &sessions[j]
			}
		}
		want := o.RegisterWh - o.MeterStartWh
		switch {
		case s == nil:
			rep.LiveLost++
			rep.problem(fmt.Sprintf("%s: generation %d has no session for running transaction %s", c.id, gen, o.TxID))
		case s.EnergyWh < want:
			rep.LiveLost++
			rep.problem(fmt.Sprintf("%s: generation %d shows session %s (tx %s, %s) with energyWh %v, want at least %v (acknowledged register %v - meter start %v)",
				c.id, gen, s.ID, o.TxID, s.Status, s.EnergyWh, want, o.RegisterWh, o.MeterStartWh))
		}
	}
	return nil
}
