package main

import (
	"encoding/json"
	"testing"
	"time"
)

// TestMeterValuesFramesAreNewReadings checks that each MeterValues frame
// carries a later timestamp than the one before (a repeated meterValue is
// a retry the CSMS skips, so the benchmark would measure skipping), and
// that the frames stay valid OCPP-J.
func TestMeterValuesFramesAreNewReadings(t *testing.T) {
	ch := &charger{tx: 7}
	prefix, suffix := ch.frameParts("MeterValues")
	var last time.Time
	for i := range 50 {
		id := ch.frame(prefix, suffix)
		var f []json.RawMessage
		if err := json.Unmarshal(ch.out, &f); err != nil || len(f) != 4 {
			t.Fatalf("frame %d is not a CALL: %v (%s)", i, err, ch.out)
		}
		var p struct {
			TransactionID int64 `json:"transactionId"`
			MeterValue    []struct {
				Timestamp time.Time `json:"timestamp"`
			} `json:"meterValue"`
		}
		if err := json.Unmarshal(f[3], &p); err != nil || len(p.MeterValue) != 1 || p.TransactionID != 7 {
			t.Fatalf("frame %d payload %s: %v", i, f[3], err)
		}
		if ts := p.MeterValue[0].Timestamp; !ts.After(last) {
			t.Fatalf("frame %d (id %d): timestamp %v, not after the previous %v", i, id, ts, last)
		} else {
			last = ts
		}
	}
	// A Heartbeat frame has no timestamp to set.
	hb := &charger{}
	p, s := hb.frameParts("Heartbeat")
	hb.frame(p, s)
	if want := `[2,"1","Heartbeat",{}]`; string(hb.out) != want {
		t.Errorf("heartbeat frame %s, want %s", hb.out, want)
	}
}
