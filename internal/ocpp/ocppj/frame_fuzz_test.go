package ocppj_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// frameSeeds are real and broken frames: the OCPP-J specification's
// examples, frames from this package's tests, and frames shaped like what
// misbehaving chargers send.
var frameSeeds = []string{
	`[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]`,
	`[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]`,
	`[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]`,
	`[4,"x","GenericError",""]`,
	`[2,"1","MeterValues",{"connectorId":1,"transactionId":1337,"meterValue":[{"timestamp":"2024-05-01T12:00:00.123+02:00","sampledValue":[{"value":"12345.6","measurand":"Energy.Active.Import.Register","unit":"kWh"}]}]}]`,
	`[2,"b2","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"SingleSocketCharger","vendorName":"VendorX"}}]`,
	`[2,"d1","DataTransfer",{"vendorId":"com.example","data":{"a":[1,-2.5e3,true,false,null,{"b":[]}],"c":"\u2028"}}]`,
	" [ 2 ,\n\"a b\" , \"Heartbeat\" ,\t{ } ] \n",
	`[2,"id\"1\u00e9","Heart\/beat",{"a":"\n"}]`,
	`[2,"\ud83d\ude00","\udc80",{}]`, // a surrogate pair and a lone surrogate
	"[2,\"\xff\xfe\",\"Heart\xc3beat\",{}]",
	"[2,\"m1\",\"Heartbeat\",{\"a\":\"\xed\xa0\x80\"}]",
	`hello`, ``, `{"a":1}`, `[]`, `[2]`, `null`, `[2,123,"Heartbeat",{}]`, `[2,"","Heartbeat",{}]`,
	`[2,"m1","Heartbeat",{"a":}]`, `[2,"m1","Heartbeat",{}`, `[2,"m1","Heartbeat",{}]x`, `[2,"m1","Heart\xbeat",{}]`,
	`[2,"m1","Heartbeat",{"a":01}]`, `["2","m1","Heartbeat",{}]`, `[7,"m1","Heartbeat",{}]`, `[2.0,"m1","Heartbeat",{}]`,
	`[2e0,"m1","A",{}]`, `[-0,"m1","A",{}]`, `[2,"m1","Heartbeat"]`, `[2,"m1","Heartbeat",{},{}]`, `[2,"m1",5,{}]`,
	`[2,"m1","Heartbeat",[]]`, `[2,"m1","Heartbeat",null]`, `[3,"r1",[]]`, `[3,"r1",{},{}]`, `[3,"r1",{]`,
	`[4,"e1",1,"",{}]`, `[4,"e1","GenericError"]`, `[4,"e1","GenericError","d",[]]`, `[4,"e1","GenericError","d",{},{}]`,
	`[2,"m1","A",` + strings.Repeat("[", 127) + strings.Repeat("]", 127) + `]`,
	`[2,"m1","A",{"a":` + strings.Repeat("[", 128) + strings.Repeat("]", 128) + `}]`,
	`[2,"m1","A",{"a":"\u00"}]`, `[2,"m1","A",{"a":"\`, `[2,"m1","A",{"a":1e}]`, `[2,"m1","A",{"a":-}]`,
}

// nesting returns the deepest nesting of arrays and objects in b, outside
// strings.
func nesting(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// jsonString decodes raw as a JSON string with encoding/json.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func isObject(raw json.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// FuzzParseFrame checks ParseFrame against encoding/json, which decodes the
// frame's array independently:
//   - a frame is accepted exactly when it is a well-formed CALL, CALLRESULT
//     or CALLERROR, and then its fields are what encoding/json reads, and it
//     re-encodes (Append*) to a frame that parses to the same fields;
//   - a refused frame gets a canonical code both dialects can send, and the
//     id to answer to is the frame's own, non-empty id, and only for frames
//     that are not answers;
//   - the CALLERROR sent for it is valid JSON, valid UTF-8 (a text frame)
//     and parses back to the same id.
func FuzzParseFrame(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		fr, answerTo, perr := ocppj.ParseFrame(b)
		if !bytes.Equal(in, b) {
			t.Fatalf("ParseFrame changed its input")
		}
		for _, s := range []string{fr.ID, fr.Action, fr.ErrorCode, fr.ErrorDescription, answerTo} {
			if !utf8.ValidString(s) {
				t.Fatalf("ParseFrame(%q) returned invalid UTF-8 %q", b, s)
			}
		}

		// The reference: encoding/json's reading of the frame.
		valid := json.Valid(b)
		var el []json.RawMessage
		isArray := valid && bytes.TrimLeft(b, " \t\r\n")[0] == '[' && json.Unmarshal(b, &el) == nil
		id, idOK := "", false
		if len(el) >= 2 {
			id, idOK = jsonString(el[1])
			idOK = idOK && id != ""
		}
		typ := ""
		if len(el) >= 1 {
			typ = string(el[0])
		}
		wantOK := isArray && idOK && nesting(b) <= 129
		switch typ {
		case "2":
			wantOK = wantOK && len(el) == 4 && el[2][0] == '"' && isObject(el[3])
		case "3":
			wantOK = wantOK && len(el) == 3 && isObject(el[2])
		case "4":
			wantOK = wantOK && (len(el) == 4 || len(el) == 5) && el[2][0] == '"' && el[3][0] == '"'
		default:
			wantOK = false
		}

		if perr != nil {
			if wantOK {
				t.Fatalf("ParseFrame(%q) refuses a well-formed frame: %v", b, perr)
			}
			checkRefusal(t, b, fr, answerTo, perr)
			if !valid && perr.Code != ocppj.RpcFrameworkError {
				t.Fatalf("ParseFrame(%q): malformed JSON answered %s, want RpcFrameworkError", b, perr.Code)
			}
			if valid && nesting(b) <= 129 && perr.Description == "frame is not valid JSON" {
				t.Fatalf("ParseFrame(%q) calls valid JSON invalid", b)
			}
			// The id is answered exactly when encoding/json finds one in a
			// frame that is not an answer.
			if isArray {
				wantAnswer := idOK && typ != "3" && typ != "4"
				if (answerTo != "") != wantAnswer || (wantAnswer && answerTo != id) {
					t.Fatalf("ParseFrame(%q) answers to %q; encoding/json reads the id %q (ok %v) and type %s", b, answerTo, id, idOK, typ)
				}
			}
			return
		}
		if !wantOK {
			t.Fatalf("ParseFrame(%q) = %+v, but the frame is malformed", b, fr)
		}
		if answerTo != fr.ID || fr.ID != id || strconv.Itoa(fr.Type) != typ {
			t.Fatalf("ParseFrame(%q) = %+v answering to %q; encoding/json reads type %s id %q", b, fr, answerTo, typ, id)
		}
		var again []byte
		switch fr.Type {
		case ocppj.MessageCall:
			action, _ := jsonString(el[2])
			if fr.Action != action || !bytes.Equal(fr.Payload, el[3]) {
				t.Fatalf("ParseFrame(%q) = %+v; encoding/json reads action %q payload %s", b, fr, action, el[3])
			}
			again = ocppj.AppendCall(nil, fr.ID, fr.Action, fr.Payload)
		case ocppj.MessageCallResult:
			if !bytes.Equal(fr.Payload, el[2]) {
				t.Fatalf("ParseFrame(%q) = %+v; encoding/json reads payload %s", b, fr, el[2])
			}
			again = ocppj.AppendCallResult(nil, fr.ID, fr.Payload)
		case ocppj.MessageCallError:
			code, _ := jsonString(el[2])
			desc, _ := jsonString(el[3])
			var details json.RawMessage
			if len(el) == 5 {
				details = el[4]
			}
			if fr.ErrorCode != code || fr.ErrorDescription != desc || !bytes.Equal(fr.ErrorDetails, details) {
				t.Fatalf("ParseFrame(%q) = %+v; encoding/json reads %q %q %s", b, fr, code, desc, details)
			}
			again = ocppj.AppendCallError(nil, fr.ID, fr.ErrorCode, fr.ErrorDescription, fr.ErrorDetails)
		}
		fr2, answerTo2, perr := ocppj.ParseFrame(again)
		if perr != nil || answerTo2 != fr.ID || fr2.Type != fr.Type || fr2.ID != fr.ID || fr2.Action != fr.Action ||
			!bytes.Equal(fr2.Payload, fr.Payload) || fr2.ErrorCode != fr.ErrorCode || fr2.ErrorDescription != fr.ErrorDescription ||
			(fr.ErrorDetails != nil && !bytes.Equal(fr2.ErrorDetails, fr.ErrorDetails)) {
			t.Fatalf("re-encoded %q as %q, which parses to %+v, %v", b, again, fr2, perr)
		}
	})
}

// checkRefusal checks what ParseFrame returned for a frame it refused.
func checkRefusal(t *testing.T, b []byte, fr ocppj.Frame, answerTo string, perr *ocppj.Error) {
	t.Helper()
	switch perr.Code {
	case ocppj.RpcFrameworkError, ocppj.MessageTypeNotSupported, ocppj.FormatViolation:
	default:
		t.Fatalf("ParseFrame(%q) code %s, want a frame-level code", b, perr.Code)
	}
	if perr.Description == "" || !utf8.ValidString(perr.Description) || perr.Details != nil {
		t.Fatalf("ParseFrame(%q) error %+v: want a valid UTF-8 description and no details", b, perr)
	}
	for _, d := range []ocppj.Dialect{ocppj.Dialect16, ocppj.Dialect201} {
		if name := d.Name(perr.Code); name == string(ocppj.GenericError) || d.Parse(name) == ocppj.GenericError {
			t.Fatalf("%v cannot send %s", d, perr.Code)
		}
	}
	if answerTo == "" {
		return
	}
	if answerTo != fr.ID || fr.Type == ocppj.MessageCallResult || fr.Type == ocppj.MessageCallError {
		t.Fatalf("ParseFrame(%q) answers to %q for a frame %+v", b, answerTo, fr)
	}
	// The answer Conn sends: valid JSON in a valid UTF-8 text frame, for
	// the same id.
	out := ocppj.AppendCallError(nil, answerTo, ocppj.Dialect201.Name(perr.Code), perr.Description, nil)
	if !json.Valid(out) || !utf8.Valid(out) {
		t.Fatalf("CALLERROR for %q is not valid JSON and UTF-8: %q", b, out)
	}
	back, to, err := ocppj.ParseFrame(out)
	if err != nil || back.Type != ocppj.MessageCallError || back.ID != answerTo || to != answerTo {
		t.Fatalf("CALLERROR %q for %q parses to %+v, %v", out, b, back, err)
	}
}
