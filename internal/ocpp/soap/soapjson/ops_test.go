package soapjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

// The generated tests below take every operation of both services of both
// versions, request and response, in two examples: full (soaptest.Example,
// every optional element present) and minimal (every optional element
// absent that the schema lets go).

var (
	versions = []soap.Version{soap.V15, soap.V16}
	services = []soap.Service{soap.CentralSystem, soap.ChargePoint}
)

func enumsOf(v soap.Version) map[string][]string {
	if v == soap.V15 {
		return enums15
	}
	return enums16
}

// message is one body of one operation.
type message struct {
	v       soap.Version
	s       soap.Service
	op      string
	request bool
}

func (m message) String() string {
	kind := "conf"
	if m.request {
		kind = "req"
	}
	return fmt.Sprintf("%s/%s/%s.%s", m.v, m.s, m.op, kind)
}

func (m message) new() Body {
	o, _ := Lookup(m.v, m.s, m.op)
	if m.request {
		return o.NewRequest()
	}
	return o.NewResponse()
}

// example returns a full example of m's body; the locations the OCA schema
// wants as absolute URIs get one (soaptest's "A1" is a relative reference,
// which anyURI allows and the JSON schema does not).
func (m message) example() Body {
	b := m.new()
	soaptest.Example(b, enumsOf(m.v))
	const uri = "ftp://diagnostics.example.com/upload"
	switch b := b.(type) {
	case *ocpp15.GetDiagnosticsRequest:
		b.Location = uri
	case *ocpp15.UpdateFirmwareRequest:
		b.Location = uri
	case *ocpp16s.GetDiagnosticsRequest:
		b.Location = uri
	case *ocpp16s.UpdateFirmwareRequest:
		b.Location = uri
	}
	return b
}

// minimalExample returns m's example stripped of every optional element
// its Validate lets go: pointers nil, lists empty unless the schema wants
// an element at least.
func (m message) minimalExample() Body {
	b := m.example()
	var strip func(v reflect.Value)
	strip = func(v reflect.Value) {
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "XMLName" {
				continue
			}
			f := v.Field(i)
			switch f.Kind() {
			case reflect.Pointer:
				f.SetZero()
			case reflect.Slice:
				old := reflect.ValueOf(f.Interface())
				f.SetZero()
				if b.Validate() != nil {
					f.Set(old)
					for j := range old.Len() {
						if e := old.Index(j); e.Kind() == reflect.Struct {
							strip(e)
						}
					}
				}
			case reflect.Struct:
				if f.Type() != timeType {
					strip(f)
				}
			}
		}
	}
	strip(reflect.ValueOf(b).Elem())
	return b
}

func allMessages(vs ...soap.Version) []message {
	var out []message
	for _, v := range vs {
		for _, s := range services {
			for _, o := range Operations(v, s) {
				out = append(out, message{v, s, o.Name, true}, message{v, s, o.Name, false})
			}
		}
	}
	return out
}

// ocaDecode decodes a payload as the ocpp16 adapter does, against the OCA
// schema of m's operation.
func ocaDecode(m message, payload []byte) (any, *ocppj.Error) {
	if m.request {
		return ocpp16.DecodeRequest(m.op, payload)
	}
	return ocpp16.DecodeResponse(m.op, payload)
}

// lossy15 clears, in a 1.5 body, what a trip through 1.6 JSON loses of the
// full example, each with why; nothing else may change.
var lossy15 = map[string]func(Body){
	// 1.6 sends no hash with the list: the charger cannot check one.
	"1.5/ChargePoint/SendLocalList.req": func(b Body) { b.(*ocpp15.SendLocalListRequest).Hash = nil },
	// 1.6's answer carries no hash of the charger's list.
	"1.5/ChargePoint/SendLocalList.conf": func(b Body) { b.(*ocpp15.SendLocalListResponse).Hash = nil },
}

// TestEveryMessage renders the full and the minimal example of every body
// of both versions as JSON, which the OCA schema must accept, and fills a
// body of the same type from what the ocpp16 adapter makes of it: the body
// must be valid and equal to the example, but for the fields lossy15
// lists.
func TestEveryMessage(t *testing.T) {
	n := 0
	for _, m := range allMessages(versions...) {
		for _, kind := range []string{"full", "minimal"} {
			t.Run(m.String()+"/"+kind, func(t *testing.T) {
				body := m.example()
				if kind == "minimal" {
					body = m.minimalExample()
				}
				if err := body.Validate(); err != nil {
					t.Fatalf("example: %v", err)
				}
				payload, err := ToJSON(context.Background(), body, nil)
				if err != nil {
					t.Fatal(err)
				}
				decoded, cerr := ocaDecode(m, payload)
				if cerr != nil {
					t.Fatalf("OCA schema refuses %s: %v", payload, cerr)
				}
				again, err := json.Marshal(decoded)
				if err != nil {
					t.Fatal(err)
				}
				back := m.new()
				if err := FromJSON(again, back); err != nil {
					t.Fatalf("FromJSON(%s): %v", again, err)
				}
				if err := back.Validate(); err != nil {
					t.Errorf("FromJSON(%s) = %+v, invalid: %v", again, back, err)
				}
				if clear := lossy15[m.String()]; clear != nil {
					clear(body)
				}
				if !reflect.DeepEqual(back, body) {
					t.Errorf("round trip through %s:\n got %+v\nwant %+v", again, back, body)
				}
				n++
			})
		}
	}
	t.Logf("%d examples round-tripped", n)
}

// TestFull16Into15 fills every 1.5 body from the full example of its 1.6
// counterpart: the 1.5 body must be valid, or FromJSON must name what 1.5
// cannot say. The full examples hold each enumeration's first value.
func TestFull16Into15(t *testing.T) {
	unsupported := map[string]string{
		"1.5/ChargePoint/RemoteStartTransaction.req":          "chargingProfile",
		"1.5/CentralSystem/DiagnosticsStatusNotification.req": "status", // Idle
	}
	for _, m := range allMessages(soap.V15) {
		t.Run(m.String(), func(t *testing.T) {
			m16 := message{soap.V16, m.s, m.op, m.request}
			payload, err := ToJSON(context.Background(), m16.example(), nil)
			if err != nil {
				t.Fatal(err)
			}
			b15 := m.new()
			err = FromJSON(payload, b15)
			if field, ok := unsupported[m.String()]; ok {
				checkUnsupported(t, err, soap.V15, m.op, field)
				return
			}
			if err != nil {
				t.Fatalf("FromJSON(%s): %v", payload, err)
			}
			if err := b15.Validate(); err != nil {
				t.Errorf("FromJSON(%s) = %+v, invalid: %v", payload, b15, err)
			}
		})
	}
}

func checkUnsupported(t *testing.T, err error, v soap.Version, op, field string) {
	t.Helper()
	var u *UnsupportedError
	if !errors.As(err, &u) {
		t.Fatalf("err = %v, want an *UnsupportedError about %s", err, field)
	}
	if u.Version != v || u.Operation != op || u.Field != field || u.Reason == "" {
		t.Errorf("err = %#v, want version %s, operation %s, field %s and a reason", u, v, op, field)
	}
	if msg := err.Error(); !strings.Contains(msg, "OCPP "+string(v)) || !strings.Contains(msg, field) {
		t.Errorf("message %q names neither OCPP %s nor %s", msg, v, field)
	}
}

// leaf is an enumeration value inside a body.
type leaf struct {
	path   string        // the element's path, 1.5's attributes as @name
	typ    string        // its Go type's name
	v      reflect.Value // the value, settable
	holder reflect.Value // the pointer holding it when it is optional
}

func enumLeaves(body any, enums map[string][]string) []leaf {
	var out []leaf
	var walk func(v reflect.Value, path string, holder reflect.Value)
	walk = func(v reflect.Value, path string, holder reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path, v)
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), reflect.Value{})
			}
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
				if f.Name == "XMLName" || name == "" {
					continue
				}
				if opts == "attr" || strings.HasPrefix(opts, "attr,") {
					name = "@" + name
				}
				walk(v.Field(i), joinPath(path, name), reflect.Value{})
			}
		case reflect.String:
			if _, ok := enums[v.Type().Name()]; ok {
				out = append(out, leaf{path, v.Type().Name(), v, holder})
			}
		}
	}
	walk(reflect.ValueOf(body), "", reflect.Value{})
	return out
}

// sweep calls f with a fresh example of m (full or minimal) for each value
// of each enumeration element in it, set to that value.
func sweep(t *testing.T, m message, f func(t *testing.T, b Body, l leaf)) {
	for _, ex := range []func() Body{m.example, m.minimalExample} {
		for i := range enumLeaves(ex(), enumsOf(m.v)) {
			typ := enumLeaves(ex(), enumsOf(m.v))[i].typ
			for _, val := range enumsOf(m.v)[typ] {
				b := ex()
				l := enumLeaves(b, enumsOf(m.v))[i]
				l.v.SetString(val)
				t.Run(l.path+"="+val, func(t *testing.T) { f(t, b, l) })
			}
		}
	}
}

// after15 is what becomes of a 1.5 value on a trip through 1.6 JSON and
// back, where it is not itself: HashError is Failed in 1.6.
var after15 = map[string]map[string]string{
	"UpdateStatus": {"HashError": "Failed"},
}

// TestEnumerations takes every value of every enumeration of every body
// of both versions through 1.6 JSON (which the OCA schema accepts) and
// back: each arrives as itself, but for after15's (1.5).
func TestEnumerations(t *testing.T) {
	for _, v := range []soap.Version{soap.V16, soap.V15} {
		for _, m := range allMessages(v) {
			t.Run(m.String(), func(t *testing.T) {
				sweep(t, m, func(t *testing.T, b Body, l leaf) {
					payload, err := ToJSON(context.Background(), b, nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, cerr := ocaDecode(m, payload); cerr != nil {
						t.Fatalf("OCA schema refuses %s: %v", payload, cerr)
					}
					back := m.new()
					if err := FromJSON(payload, back); err != nil {
						t.Fatal(err)
					}
					if v == soap.V15 {
						if x, ok := after15[l.typ][l.v.String()]; ok {
							l.v.SetString(x)
						}
						if clear := lossy15[m.String()]; clear != nil {
							clear(b)
						}
					}
					if !reflect.DeepEqual(back, b) {
						t.Errorf("round trip through %s:\n got %+v\nwant %+v", payload, back, b)
					}
				})
			})
		}
	}
}

// What becomes of a 1.6 value said to a 1.5 peer, read back as 1.6.
const (
	gone       = ""        // the element goes
	sampleGone = "-sample" // the sampled value holding it goes
	refused    = "!"       // FromJSON answers an *UnsupportedError about it
)

// after16 lists, for each 1.6 enumeration, the values that are not
// themselves after a trip to 1.5 and back, from the two specifications:
// 1.5 says Occupied for the five states 1.6 split it into (read back as
// Preparing without an Occupied callback), OtherError for the error codes
// 1.6 added, and so on; a 1.5 meter does not report what 1.5 has no word
// for; 1.5 has no stop reason and no phase.
var after16 = func() map[string]map[string]string {
	m := map[string]map[string]string{
		"ChargePointStatus":    {"Charging": "Preparing", "SuspendedEV": "Preparing", "SuspendedEVSE": "Preparing", "Finishing": "Preparing"},
		"ChargePointErrorCode": {"InternalError": "OtherError", "LocalListConflict": "OtherError", "OverVoltage": "OtherError"},
		"RegistrationStatus":   {"Pending": "Rejected"},
		"UnlockStatus":         {"NotSupported": "UnlockFailed"},
		"ConfigurationStatus":  {"RebootRequired": "Accepted"},
		"FirmwareStatus":       {"Downloading": refused, "Installing": refused, "Idle": refused},
		"DiagnosticsStatus":    {"Uploading": refused, "Idle": refused},
		"Measurand": {"Current.Offered": sampleGone, "Frequency": sampleGone, "Power.Factor": sampleGone, "Power.Offered": sampleGone,
			"RPM": sampleGone, "SoC": sampleGone},
		"ReadingContext": {"Trigger": sampleGone, "Other": sampleGone},
		"Location":       {"Cable": sampleGone, "EV": sampleGone},
		"UnitOfMeasure":  {"VA": sampleGone, "kVA": sampleGone, "K": sampleGone, "Fahrenheit": sampleGone, "Percent": sampleGone},
		"Reason":         {},
		"Phase":          {},
	}
	for _, r := range ocpp16s.ReasonValues {
		m["Reason"][string(r)] = gone
	}
	for _, p := range ocpp16s.PhaseValues {
		m["Phase"][string(p)] = gone
	}
	return m
}()

// TestEnumerations16Into15 says every value of every enumeration of the
// 1.6 counterpart of every 1.5 body to 1.5 (FromJSON) and reads the 1.5
// body back as 1.6 JSON (ToJSON): what arrives is what after16 says, and
// a charging profile is refused whatever it holds.
func TestEnumerations16Into15(t *testing.T) {
	for _, m15 := range allMessages(soap.V15) {
		m := message{soap.V16, m15.s, m15.op, m15.request}
		t.Run(m.String(), func(t *testing.T) {
			sweep(t, m, func(t *testing.T, b Body, _ leaf) {
				payload, err := ToJSON(context.Background(), b, nil)
				if err != nil {
					t.Fatal(err)
				}
				// What the 1.6 body becomes, over all its values.
				refusedAt, dropSample := "", false
				for _, l := range enumLeaves(b, enums16) {
					if l.path == "chargingProfile" || strings.HasPrefix(l.path, "chargingProfile.") {
						refusedAt = "chargingProfile"
						break
					}
					to, ok := after16[l.typ][l.v.String()]
					switch {
					case !ok:
					case to == refused:
						refusedAt = l.path
					case to == sampleGone:
						dropSample = true
					case to == gone:
						l.holder.SetZero()
					default:
						l.v.SetString(to)
					}
				}
				if dropSample {
					// The examples hold one meter value of one sampled value.
					switch b := b.(type) {
					case *ocpp16s.MeterValuesRequest:
						b.MeterValue = nil
					case *ocpp16s.StopTransactionRequest:
						b.TransactionData = nil
					default:
						t.Fatalf("no sampled values in %T", b)
					}
				}
				b15 := m15.new()
				err = FromJSON(payload, b15)
				if refusedAt != "" {
					checkUnsupported(t, err, soap.V15, m.op, refusedAt)
					return
				}
				if err != nil {
					t.Fatalf("FromJSON(%s): %v", payload, err)
				}
				if err := b15.Validate(); err != nil {
					t.Fatalf("FromJSON(%s) = %+v, invalid: %v", payload, b15, err)
				}
				got, err := ToJSON(context.Background(), b15, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, err := ToJSON(context.Background(), b, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s said in 1.5 reads back as\n %s\nwant\n %s", payload, got, want)
				}
			})
		})
	}
}

// TestCounterparts holds what the 1.5 mapping relies on: every 1.5
// operation exists in 1.6, and 1.6 adds the four below only.
func TestCounterparts(t *testing.T) {
	only16 := map[string]bool{"ClearChargingProfile": true, "GetCompositeSchedule": true, "SetChargingProfile": true, "TriggerMessage": true}
	for _, s := range services {
		for _, o := range Operations(soap.V15, s) {
			if _, ok := Lookup(soap.V16, s, o.Name); !ok || only16[o.Name] {
				t.Errorf("1.5 %s %s: no 1.6 counterpart", s, o.Name)
			}
		}
		for _, o := range Operations(soap.V16, s) {
			if _, ok := Lookup(soap.V15, s, o.Name); ok == only16[o.Name] {
				t.Errorf("1.6 %s %s: in 1.5 = %v", s, o.Name, ok)
			}
		}
	}
	err := &UnsupportedError{Version: soap.V15, Operation: "TriggerMessage", Reason: "the operation came with OCPP 1.6"}
	if got, want := err.Error(), "OCPP 1.5 cannot express TriggerMessage: the operation came with OCPP 1.6"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
