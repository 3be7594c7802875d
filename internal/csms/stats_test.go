package csms_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
)

// The power history adds up the sessions' reported power, time-weighted
// in each bucket: a reading holds until the next one, and until the
// session stopped (or now, while it is active).
func TestPowerHistory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	t0 := f.clock.now() // 10:00
	power := func(conn int, tx string, at time.Time, w float64) {
		t.Helper()
		must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: conn, TransactionID: tx, Samples: []charging.MeterSample{
			{Timestamp: at, Measurand: charging.MeasurandPowerActiveImport, Phase: "L1", Location: "Outlet", Unit: "W", Value: w / 2},
			{Timestamp: at, Measurand: charging.MeasurandPowerActiveImport, Phase: "L2", Location: "Outlet", Unit: "W", Value: w / 2},
			{Timestamp: at, Measurand: charging.MeasurandVoltage, Unit: "V", Value: 230},
		}}))
	}
	// A: 7 kW from 10:00, 11 kW from 10:01, stopped at 10:02.
	a := f.started(t, 1, "TAG-A", 1000)
	power(1, a.TransactionID, t0, 7000)
	// A report without power changes nothing.
	must(t, f.svc.MeterValues(ctx, "CP-1", charging.MeterReport{ConnectorID: 1, TransactionID: a.TransactionID, Samples: []charging.MeterSample{
		{Timestamp: t0.Add(30 * time.Second), Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: 1050},
	}}))
	power(1, a.TransactionID, t0.Add(time.Minute), 11000)
	f.clock.add(time.Minute)
	// B: 3 kW from 10:01:30, still charging.
	b := f.started(t, 2, "TAG-B", 500)
	power(2, b.TransactionID, t0.Add(90*time.Second), 3000)
	f.clock.add(time.Minute)
	_, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: a.TransactionID, MeterStopWh: 1400, Timestamp: f.clock.now()})
	must(t, err)
	f.clock.add(time.Minute) // now 10:03

	for _, tc := range []struct {
		since time.Time
		step  time.Duration
		want  []float64
	}{
		{t0, time.Minute, []float64{7000, 12500, 3000}},
		{t0.Add(-30 * time.Second), 30 * time.Second, []float64{0, 7000, 7000, 11000, 14000, 3000, 3000}},
		// A reading from before the window holds into it.
		{t0.Add(100 * time.Second), 20 * time.Second, []float64{14000, 3000, 3000, 3000}},
		// A last bucket shorter than the step: its own time's mean.
		{t0.Add(90 * time.Second), time.Minute, []float64{8500, 3000}},
	} {
		h, err := f.svc.PowerHistory(ctx, charging.PowerQuery{Since: tc.since, Step: tc.step})
		must(t, err)
		var got []float64
		for i, b := range h.Buckets {
			if want := tc.since.Add(time.Duration(i) * tc.step); !b.Start.Equal(want) {
				t.Errorf("since %s step %v: bucket %d starts %s, want %s", tc.since.Format(time.TimeOnly), tc.step, i, b.Start, want)
			}
			got = append(got, b.PowerW)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("since %s step %v: buckets %v, want %v", tc.since.Format(time.TimeOnly), tc.step, got, tc.want)
		}
		if !h.Until.Equal(f.clock.now()) || h.Step != tc.step || !h.Since.Equal(tc.since) {
			t.Errorf("history since %s until %s step %v, want since %s until %s step %v", h.Since, h.Until, h.Step, tc.since, f.clock.now(), tc.step)
		}
	}

	// The defaults: the last 30 minutes by the minute.
	h, err := f.svc.PowerHistory(ctx, charging.PowerQuery{})
	must(t, err)
	if len(h.Buckets) != 30 || h.Step != csms.DefaultPowerStep || !h.Since.Equal(f.clock.now().Add(-csms.DefaultPowerWindow)) {
		t.Errorf("default history: %d buckets of %v since %s; want 30 of 1m0s since 30 minutes ago", len(h.Buckets), h.Step, h.Since)
	}

	for _, q := range []charging.PowerQuery{
		{Since: t0, Step: time.Millisecond},
		{Since: t0, Step: 1 << 62},
		{Since: f.clock.now().Add(time.Minute)},
		{Since: f.clock.now().Add(-25 * time.Hour), Step: time.Hour},
		{Since: f.clock.now().Add(-24 * time.Hour), Step: time.Second},
	} {
		_, err := f.svc.PowerHistory(ctx, q)
		wantCode(t, err, charging.EINVALID)
	}
}
