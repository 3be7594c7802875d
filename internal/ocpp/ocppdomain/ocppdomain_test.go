package ocppdomain_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestCommandError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
	}{
		{ocppj.Errorf(ocppj.NotSupported, "no"), charging.EREJECTED},
		{ocppj.ErrTimeout, charging.ETIMEOUT},
		{context.DeadlineExceeded, charging.ETIMEOUT},
		{ocppj.ErrClosed, charging.EUNAVAILABLE},
		{errors.New("boom"), charging.EINTERNAL},
	} {
		err := ocppdomain.CommandError("CP-1", "Reset", tc.err)
		if got := charging.ErrorCode(err); got != tc.code {
			t.Errorf("CommandError(%v) code = %s, want %s (%v)", tc.err, got, tc.code, err)
		}
	}
	if err := ocppdomain.CommandError("CP-1", "Reset", ocppj.ErrClosed); charging.ErrorMessage(err) != "charger CP-1 went offline" {
		t.Errorf("CommandError(ErrClosed) = %q, want %q", charging.ErrorMessage(err), "charger CP-1 went offline")
	}
}

func TestBaseUnit(t *testing.T) {
	for _, tc := range []struct {
		v        float64
		unit     string
		want     float64
		wantUnit string
	}{
		{12.5, "kWh", 12500, "Wh"},
		{7.2, "kW", 7200, "W"},
		{1, "kvarh", 1000, "varh"},
		{2, "kvar", 2000, "var"},
		{3, "kVA", 3000, "VA"},
		{21.5, "Celcius", 21.5, "Celsius"},
		{230, "V", 230, "V"},
		{10, "", 10, ""},
	} {
		if v, u := ocppdomain.BaseUnit(tc.v, tc.unit); v != tc.want || u != tc.wantUnit {
			t.Errorf("BaseUnit(%v, %q) = %v, %q; want %v, %q", tc.v, tc.unit, v, u, tc.want, tc.wantUnit)
		}
	}
}

func TestNaturalUnit(t *testing.T) {
	for m, want := range map[string]string{
		"Energy.Active.Import.Register": "Wh", "Energy.Reactive.Export.Interval": "varh", "Power.Active.Import": "W",
		"Power.Offered": "W", "Power.Reactive.Import": "var", "Current.Offered": "A", "Voltage": "V", "SoC": "Percent",
		"Temperature": "Celsius", "Frequency": "", "Power.Factor": "", "RPM": "",
	} {
		if got := ocppdomain.NaturalUnit(m); got != want {
			t.Errorf("NaturalUnit(%q) = %q, want %q", m, got, want)
		}
	}
}

func TestSampleDefaults(t *testing.T) {
	var x charging.MeterSample
	ocppdomain.SampleDefaults(&x)
	if x.Measurand != charging.MeasurandEnergyActiveImportRegister || x.Context != "Sample.Periodic" || x.Location != "Outlet" {
		t.Errorf("defaults = %+v, want Energy.Active.Import.Register, Sample.Periodic, Outlet", x)
	}
	y := charging.MeterSample{Measurand: "Voltage", Context: "Trigger", Location: "EV"}
	ocppdomain.SampleDefaults(&y)
	if y.Measurand != "Voltage" || y.Context != "Trigger" || y.Location != "EV" {
		t.Errorf("given values changed: %+v", y)
	}
}

// caller answers every CALL with raw or err.
type caller struct {
	raw json.RawMessage
	err error
	n   int
}

func (c *caller) Call(ctx context.Context, action string, payload any) (json.RawMessage, error) {
	c.n++
	return c.raw, c.err
}

type resetResponse struct{ Status string }

// codec accepts {"ok":...} requests and {"Status":"Accepted"|"Rejected"} answers.
var codec = ocppdomain.Codec{
	DecodeRequest: func(action string, payload []byte) (any, *ocppj.Error) {
		var m map[string]any
		if json.Unmarshal(payload, &m) != nil || m["ok"] == nil {
			return nil, ocppj.Errorf(ocppj.OccurrenceConstraintViolation, "ok: required property is missing")
		}
		return m, nil
	},
	DecodeResponse: func(action string, payload []byte) (any, *ocppj.Error) {
		var r resetResponse
		if json.Unmarshal(payload, &r) != nil || (r.Status != "Accepted" && r.Status != "Rejected") {
			return nil, ocppj.Errorf(ocppj.PropertyConstraintViolation, "status: not allowed")
		}
		return &r, nil
	},
}

// request is a generated-message stand-in that validates itself.
type request struct{ Bad bool }

func (r *request) Validate() *ocppj.Error {
	if r.Bad {
		return ocppj.Errorf(ocppj.PropertyConstraintViolation, "type: not allowed")
	}
	return nil
}

func TestCall(t *testing.T) {
	ctx := context.Background()
	ok := &request{}
	c := &caller{raw: json.RawMessage(`{"Status":"Accepted"}`)}
	if _, err := ocppdomain.Call[resetResponse](ctx, c, codec, "CP-1", "Reset", &request{Bad: true}); charging.ErrorCode(err) != charging.EINVALID || c.n != 0 {
		t.Errorf("Call with an invalid request: %v after %d sends, want EINVALID and nothing sent", err, c.n)
	}
	r, err := ocppdomain.Call[resetResponse](ctx, &caller{raw: json.RawMessage(`{"Status":"Accepted"}`)}, codec, "CP-1", "Reset", ok)
	if err != nil || r.Status != "Accepted" {
		t.Errorf("Call = %+v, %v; want Accepted", r, err)
	}
	_, err = ocppdomain.Call[resetResponse](ctx, &caller{raw: json.RawMessage(`{"Status":"Maybe"}`)}, codec, "CP-1", "Reset", ok)
	if got := charging.ErrorCode(err); got != charging.EINTERNAL {
		t.Errorf("Call with an invalid answer: code %s, want %s (%v)", got, charging.EINTERNAL, err)
	}
	_, err = ocppdomain.Call[resetResponse](ctx, &caller{err: ocppj.ErrTimeout}, codec, "CP-1", "Reset", ok)
	if got := charging.ErrorCode(err); got != charging.ETIMEOUT {
		t.Errorf("Call without an answer: code %s, want %s (%v)", got, charging.ETIMEOUT, err)
	}
}

func TestCommand(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	valid := json.RawMessage(`{"ok":true}`)
	for _, tc := range []struct {
		name     string
		payload  json.RawMessage
		c        caller
		status   string
		code     string // error code; "" = no error
		calls    int
		booked   bool
		bookFail bool
	}{
		{"answered", valid, caller{raw: json.RawMessage(`{"Status":"Accepted"}`)}, charging.ResultAnswered, "", 1, true, false},
		{"bookkeeping fails", valid, caller{raw: json.RawMessage(`{"Status":"Accepted"}`)}, charging.ResultAnswered, "", 1, true, true},
		{"invalid answer", valid, caller{raw: json.RawMessage(`{"Status":"Maybe"}`)}, charging.ResultAnswered, "", 1, false, false},
		{"invalid request", json.RawMessage(`{}`), caller{}, "", charging.EINVALID, 0, false, false},
		{"callerror", valid, caller{err: ocppj.Errorf(ocppj.NotSupported, "no")}, charging.ResultCallError, "", 1, false, false},
		{"timeout", valid, caller{err: ocppj.ErrTimeout}, charging.ResultTimeout, "", 1, false, false},
		{"offline", valid, caller{err: ocppj.ErrClosed}, "", charging.EUNAVAILABLE, 1, false, false},
	} {
		booked := false
		res, err := codec.Command(ctx, &tc.c, log, "CP-1", "Reset", tc.payload, func(ctx context.Context, req, resp any) error {
			booked = true
			if tc.bookFail {
				return errors.New("store down")
			}
			return nil
		})
		if got := charging.ErrorCode(err); (err != nil || tc.code != "") && got != tc.code {
			t.Errorf("%s: error %v, want code %q", tc.name, err, tc.code)
		}
		if res.Status != tc.status || tc.c.n != tc.calls || booked != tc.booked {
			t.Errorf("%s: status %q, %d calls, bookkeeping %v; want %q, %d, %v", tc.name, res.Status, tc.c.n, booked, tc.status, tc.calls, tc.booked)
		}
		if tc.status == charging.ResultCallError && (res.Error == nil || res.Error.Code != string(ocppj.NotSupported)) {
			t.Errorf("%s: Error = %+v, want code NotSupported", tc.name, res.Error)
		}
		if tc.status == charging.ResultAnswered && string(res.Response) != string(tc.c.raw) {
			t.Errorf("%s: Response = %s, want %s", tc.name, res.Response, tc.c.raw)
		}
	}
}

func TestSamples(t *testing.T) {
	type entry struct {
		at  time.Time
		svs []string
	}
	cest := time.FixedZone("CEST", 2*3600)
	mvs := []entry{{time.Date(2024, 5, 1, 12, 0, 0, 0, cest), []string{"a", "b"}}, {time.Date(2024, 5, 1, 12, 1, 0, 0, cest), nil}, {time.Date(2024, 5, 1, 12, 2, 0, 0, cest), []string{"c"}}}
	got := ocppdomain.Samples(mvs, func(e entry) (time.Time, []string) { return e.at, e.svs },
		func(sv string) charging.MeterSample { return charging.MeterSample{Measurand: sv} })
	want := []charging.MeterSample{
		{Measurand: "a", Timestamp: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
		{Measurand: "b", Timestamp: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
		{Measurand: "c", Timestamp: time.Date(2024, 5, 1, 10, 2, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Samples = %+v, want %+v", got, want)
	}
	if got := ocppdomain.Samples(nil, func(e entry) (time.Time, []string) { return e.at, e.svs }, nil); got != nil {
		t.Errorf("Samples(nil) = %v, want nil", got)
	}
}

func TestBootAsker(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	var b ocppdomain.BootAsker
	c := &caller{raw: json.RawMessage(`{"status":"Accepted"}`)}
	b.Ask(ctx, c, log, charging.RegistrationRejected, struct{}{}) // Rejected: left alone
	sent := make(chan struct{}, 4)
	counting := callerFunc(func() { sent <- struct{}{} })
	b.Ask(ctx, counting, log, charging.RegistrationPending, struct{}{})
	b.Ask(ctx, counting, log, charging.RegistrationPending, struct{}{}) // once per connection
	<-sent
	select {
	case <-sent:
		t.Error("a second TriggerMessage BootNotification on one connection, want one")
	case <-time.After(100 * time.Millisecond):
	}
	if c.n != 0 {
		t.Errorf("a Rejected charger was asked to boot")
	}
}

type callerFunc func()

func (f callerFunc) Call(ctx context.Context, action string, payload any) (json.RawMessage, error) {
	f()
	return json.RawMessage(`{"status":"Accepted"}`), nil
}

func TestCallError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{ocppj.Errorf(ocppj.SecurityError, "x"), "SecurityError"},
		{charging.Errorf(charging.EINVALID, "bad"), "PropertyConstraintViolation"},
		{charging.Errorf(charging.ENOTFOUND, "gone"), "GenericError"},
		{errors.New("disk full"), ""},
	} {
		var oe *ocppj.Error
		got := ""
		if errors.As(ocppdomain.CallError("MeterValues", tc.err), &oe) {
			got = string(oe.Code)
		}
		if got != tc.want {
			t.Errorf("CallError(%v) = %q, want %q (\"\": InternalError)", tc.err, got, tc.want)
		}
	}
}
