package meterpack

import (
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func TestRoundTrip(t *testing.T) {
	tmpl := charging.MeterSample{SessionID: "S", ChargerID: "CP", ConnectorID: 2, TransactionID: "7",
		Timestamp: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	in := []charging.MeterSample{
		{Measurand: "Energy.Active.Import.Register", Unit: "Wh", Context: "Sample.Periodic", Format: "Raw", Location: "Outlet", Value: 12345.6},
		{Measurand: "Current.Import", Phase: "L2", Unit: "A", Value: -0.5},
		{Measurand: "Vendor.Thing", Phase: "L9", Location: "Roof", Context: "Custom", Format: "Other", Unit: "furlongs", Value: math.Inf(1)},
		{Measurand: "Voltage", Format: "SignedData", Raw: "AbC+/=", Value: 0},
		{Value: math.Inf(-1)},
	}
	b := Append(nil, in)
	// Dictionary entries take one byte: the first sample is 6 codes, 8
	// bytes of value and a raw length.
	if first := 1 + 1 + 6 + 8 + 1; len(b) < first {
		t.Fatalf("packed %d bytes", len(b))
	}
	out, err := Unpack(nil, b, tmpl, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]charging.MeterSample, len(in))
	for i, m := range in {
		w := tmpl
		w.ID = 100 + int64(i)
		w.Measurand, w.Phase, w.Location, w.Context, w.Format, w.Unit, w.Value, w.Raw = m.Measurand, m.Phase, m.Location, m.Context, m.Format, m.Unit, m.Value, m.Raw
		want[i] = w
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", out, want)
	}
	// NaN keeps its bits (DeepEqual would not compare it).
	nan := Append(nil, []charging.MeterSample{{Measurand: "Voltage", Value: math.NaN()}})
	got, err := Unpack(nil, nan, tmpl, 0)
	if err != nil || len(got) != 1 || !math.IsNaN(got[0].Value) {
		t.Errorf("NaN: %+v, %v", got, err)
	}
	// Appending keeps what dst held.
	two := Append(Append(nil, in[:1]), in[1:2])
	if first := Append(nil, in[:1]); string(two[:len(first)]) != string(first) {
		t.Errorf("Append overwrote dst")
	}
}

func TestCorrupt(t *testing.T) {
	good := Append(nil, []charging.MeterSample{{Measurand: "Vendor.Thing", Value: 1, Raw: "xyz"}})
	cases := map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, good[1:]...),
		"truncated":     good[:len(good)-1],
		"trailing":      append(append([]byte{}, good...), 0),
		"count too big": {1, 200, 1},
		"unknown code":  {1, 1, 254, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, b := range cases {
		if _, err := Unpack(nil, b, charging.MeterSample{}, 0); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}
