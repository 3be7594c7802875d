package ocppj_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

func TestDialectName(t *testing.T) {
	tests := []struct {
		code          ocppj.ErrorCode
		want16, want2 string
	}{
		{ocppj.NotImplemented, "NotImplemented", "NotImplemented"},
		{ocppj.NotSupported, "NotSupported", "NotSupported"},
		{ocppj.InternalError, "InternalError", "InternalError"},
		{ocppj.ProtocolError, "ProtocolError", "ProtocolError"},
		{ocppj.SecurityError, "SecurityError", "SecurityError"},
		{ocppj.FormatViolation, "FormationViolation", "FormatViolation"},
		{ocppj.PropertyConstraintViolation, "PropertyConstraintViolation", "PropertyConstraintViolation"},
		{ocppj.OccurrenceConstraintViolation, "OccurenceConstraintViolation", "OccurrenceConstraintViolation"},
		{ocppj.TypeConstraintViolation, "TypeConstraintViolation", "TypeConstraintViolation"},
		{ocppj.GenericError, "GenericError", "GenericError"},
		{ocppj.MessageTypeNotSupported, "FormationViolation", "MessageTypeNotSupported"},
		{ocppj.RpcFrameworkError, "FormationViolation", "RpcFrameworkError"},
		{"SomethingElse", "GenericError", "GenericError"},
	}
	for _, tt := range tests {
		if got := ocppj.Dialect16.Name(tt.code); got != tt.want16 {
			t.Errorf("Dialect16.Name(%s) = %s, want %s", tt.code, got, tt.want16)
		}
		if got := ocppj.Dialect201.Name(tt.code); got != tt.want2 {
			t.Errorf("Dialect201.Name(%s) = %s, want %s", tt.code, got, tt.want2)
		}
	}
}

func TestDialectParse(t *testing.T) {
	tests := []struct {
		name string
		want ocppj.ErrorCode
	}{
		{"FormationViolation", ocppj.FormatViolation},
		{"FormatViolation", ocppj.FormatViolation},
		{"OccurenceConstraintViolation", ocppj.OccurrenceConstraintViolation},
		{"OccurrenceConstraintViolation", ocppj.OccurrenceConstraintViolation},
		{"NotImplemented", ocppj.NotImplemented},
		{"RpcFrameworkError", ocppj.RpcFrameworkError},
		{"MessageTypeNotSupported", ocppj.MessageTypeNotSupported},
		{"TypeConstraintViolation", ocppj.TypeConstraintViolation},
		{"Bogus", ocppj.GenericError},
		{"", ocppj.GenericError},
	}
	for _, d := range []ocppj.Dialect{ocppj.Dialect16, ocppj.Dialect201} {
		for _, tt := range tests {
			if got := d.Parse(tt.name); got != tt.want {
				t.Errorf("%v.Parse(%q) = %s, want %s", d, tt.name, got, tt.want)
			}
		}
	}
}

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     ocppj.Frame
		answerTo string
		code     ocppj.ErrorCode // "" = valid
	}{
		{"call", `[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]`,
			ocppj.Frame{Type: 2, ID: "19223201", Action: "BootNotification", Payload: json.RawMessage(`{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}`)}, "19223201", ""},
		{"call with whitespace", " [ 2 ,\n\"a b\" , \"Heartbeat\" ,\t{ } ] \n",
			ocppj.Frame{Type: 2, ID: "a b", Action: "Heartbeat", Payload: json.RawMessage(`{ }`)}, "a b", ""},
		{"escaped strings", `[2,"id\"1\u00e9","Heart\/beat",{"a":"\n"}]`,
			ocppj.Frame{Type: 2, ID: "id\"1é", Action: "Heart/beat", Payload: json.RawMessage(`{"a":"\n"}`)}, "id\"1é", ""},
		{"callresult", `[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]`,
			ocppj.Frame{Type: 3, ID: "19223201", Payload: json.RawMessage(`{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}`)}, "19223201", ""},
		{"callerror", `[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]`,
			ocppj.Frame{Type: 4, ID: "162376037", ErrorCode: "NotSupported", ErrorDescription: "SetDisplayMessageRequest not implemented", ErrorDetails: json.RawMessage(`{}`)}, "162376037", ""},
		{"callerror without details", `[4,"x","GenericError",""]`,
			ocppj.Frame{Type: 4, ID: "x", ErrorCode: "GenericError"}, "x", ""},
		{"nested payload", `[2,"n","DataTransfer",{"a":[1,-2.5e3,true,false,null,{"b":[]}],"c":"\u2028"}]`,
			ocppj.Frame{Type: 2, ID: "n", Action: "DataTransfer", Payload: json.RawMessage(`{"a":[1,-2.5e3,true,false,null,{"b":[]}],"c":"\u2028"}`)}, "n", ""},

		{"not json", `hello`, ocppj.Frame{}, "", ocppj.RpcFrameworkError},
		{"empty", ``, ocppj.Frame{}, "", ocppj.RpcFrameworkError},
		{"object", `{"a":1}`, ocppj.Frame{}, "", ocppj.RpcFrameworkError},
		{"empty array", `[]`, ocppj.Frame{}, "", ocppj.RpcFrameworkError},
		{"type only", `[2]`, ocppj.Frame{Type: 2}, "", ocppj.RpcFrameworkError},
		{"number id", `[2,123,"Heartbeat",{}]`, ocppj.Frame{Type: 2}, "", ocppj.RpcFrameworkError},
		{"empty id", `[2,"","Heartbeat",{}]`, ocppj.Frame{Type: 2}, "", ocppj.RpcFrameworkError},
		{"bad json after id", `[2,"m1","Heartbeat",{"a":}]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"truncated", `[2,"m1","Heartbeat",{}`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"trailing garbage", `[2,"m1","Heartbeat",{}]x`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"bad escape", `[2,"m1","Heart\xbeat",{}]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"bad number", `[2,"m1","Heartbeat",{"a":01}]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"control char in string", "[2,\"m1\",\"Heart\nbeat\",{}]", ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"type is string", `["2","m1","Heartbeat",{}]`, ocppj.Frame{ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"unknown type", `[7,"m1","Heartbeat",{}]`, ocppj.Frame{ID: "m1"}, "m1", ocppj.MessageTypeNotSupported},
		{"fractional type", `[2.0,"m1","Heartbeat",{}]`, ocppj.Frame{ID: "m1"}, "m1", ocppj.MessageTypeNotSupported},
		{"call 3 elements", `[2,"m1","Heartbeat"]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"call 5 elements", `[2,"m1","Heartbeat",{},{}]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"action not string", `[2,"m1",5,{}]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		{"payload array", `[2,"m1","Heartbeat",[]]`, ocppj.Frame{Type: 2, ID: "m1", Action: "Heartbeat"}, "m1", ocppj.FormatViolation},
		{"payload null", `[2,"m1","Heartbeat",null]`, ocppj.Frame{Type: 2, ID: "m1", Action: "Heartbeat"}, "m1", ocppj.FormatViolation},
		{"deep nesting", `[2,"m1","A",` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `]`, ocppj.Frame{Type: 2, ID: "m1"}, "m1", ocppj.RpcFrameworkError},
		// Answers are never answered: no id to answer to.
		{"callresult payload array", `[3,"r1",[]]`, ocppj.Frame{Type: 3, ID: "r1"}, "", ocppj.FormatViolation},
		{"callresult 4 elements", `[3,"r1",{},{}]`, ocppj.Frame{Type: 3, ID: "r1"}, "", ocppj.RpcFrameworkError},
		{"callresult bad json", `[3,"r1",{]`, ocppj.Frame{Type: 3, ID: "r1"}, "", ocppj.RpcFrameworkError},
		{"callerror code number", `[4,"e1",1,"",{}]`, ocppj.Frame{Type: 4, ID: "e1"}, "", ocppj.RpcFrameworkError},
		{"callerror 3 elements", `[4,"e1","GenericError"]`, ocppj.Frame{Type: 4, ID: "e1"}, "", ocppj.RpcFrameworkError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, answerTo, perr := ocppj.ParseFrame([]byte(tt.in))
			var code ocppj.ErrorCode
			if perr != nil {
				code = perr.Code
			}
			if code != tt.code {
				t.Fatalf("ParseFrame(%s) error = %v, want code %q", tt.in, perr, tt.code)
			}
			if answerTo != tt.answerTo {
				t.Errorf("ParseFrame(%s) id = %q, want %q", tt.in, answerTo, tt.answerTo)
			}
			if f.Type != tt.want.Type || f.ID != tt.want.ID || f.Action != tt.want.Action ||
				string(f.Payload) != string(tt.want.Payload) || f.ErrorCode != tt.want.ErrorCode ||
				f.ErrorDescription != tt.want.ErrorDescription || string(f.ErrorDetails) != string(tt.want.ErrorDetails) {
				t.Errorf("ParseFrame(%s) = %+v, want %+v", tt.in, f, tt.want)
			}
		})
	}
}

// TestParseFrameAgreesWithEncodingJSON checks the hand-written scanner
// against encoding/json on valid and invalid payloads.
func TestParseFrameAgreesWithEncodingJSON(t *testing.T) {
	payloads := []string{
		`{}`, `{"a":1}`, `{"a":-0.5E+10}`, `{"a":"\ud83d\ude00"}`, `{"a":[1,2,[3,{}]]}`, `{"a" : true , "b" : null}`,
		`{"a":1,}`, `{"a":[1,]}`, `{"a":-}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		`{"a":tru}`, `{"a":nul}`, `{a:1}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1 2]}`, `{"a":"unterminated}`, `{"a":+1}`,
	}
	for _, p := range payloads {
		frame := `[2,"id","A",` + p + `]`
		_, _, perr := ocppj.ParseFrame([]byte(frame))
		if got, want := perr == nil, json.Valid([]byte(frame)); got != want {
			t.Errorf("ParseFrame(%s) valid = %v, want %v (encoding/json)", frame, got, want)
		}
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"call", ocppj.AppendCall(nil, "1", "Heartbeat", nil), `[2,"1","Heartbeat",{}]`},
		{"call payload", ocppj.AppendCall([]byte("x"), "1", "Reset", []byte(`{"type":"Hard"}`)), `x[2,"1","Reset",{"type":"Hard"}]`},
		{"callresult", ocppj.AppendCallResult(nil, "a\"b", []byte(`{"status":"Accepted"}`)), `[3,"a\"b",{"status":"Accepted"}]`},
		{"callresult empty", ocppj.AppendCallResult(nil, "a", nil), `[3,"a",{}]`},
		{"callerror", ocppj.AppendCallError(nil, "7", "FormationViolation", "bad \"x\"\n\t\\ \x01 é \xff", nil),
			`[4,"7","FormationViolation","bad \"x\"\n\t\\ \u0001 é \ufffd",{}]`},
		{"callerror details", ocppj.AppendCallError(nil, "7", "GenericError", "", []byte(`{"k":1}`)), `[4,"7","GenericError","",{"k":1}]`},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

// TestAppendRoundTrip checks that strings survive Append* and ParseFrame.
func TestAppendRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", `q"uote`, `back\slash`, "ctl\x00\x1f", "ünï©ødé 🚗", "</script>"} {
		f, _, perr := ocppj.ParseFrame(ocppj.AppendCall(nil, s, s, []byte(`{"a":1}`)))
		if perr != nil || f.ID != s || f.Action != s || string(f.Payload) != `{"a":1}` {
			t.Errorf("round trip of %q: got %+v, err %v", s, f, perr)
		}
		f, _, perr = ocppj.ParseFrame(ocppj.AppendCallError(nil, s, "GenericError", s, nil))
		if perr != nil || f.ID != s || f.ErrorDescription != s || string(f.ErrorDetails) != `{}` {
			t.Errorf("round trip of %q: got %+v, err %v", s, f, perr)
		}
	}
}
