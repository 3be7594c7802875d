package ocppj_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// echoHandler answers with the peer's own bytes, as a Handler that names
// what it refuses might: in a CALLRESULT, a description and details.
func echoHandler(_ context.Context, action string, payload json.RawMessage) (any, error) {
	switch action {
	case "Echo":
		return payload, nil
	case "Describe":
		return nil, &ocppj.Error{Code: ocppj.FormatViolation, Description: "bad payload " + string(payload), Details: payload}
	}
	return nil, ocppj.Errorf(ocppj.NotImplemented, "unknown action %s", action)
}

// TestAnswersAreValidUTF8 sends frames whose id, action or payload hold
// invalid UTF-8 (raw bytes: gorilla does not check the text frames it
// reads) or JSON-escaped lone surrogates, and checks that every answer is
// a text frame of valid UTF-8 (RFC 6455 §8.1; a strict peer would fail the
// connection with 1007), valid JSON, for the right id, with an
// errorDescription of at most 255 bytes.
func TestAnswersAreValidUTF8(t *testing.T) {
	tests := []struct {
		name, in string
		id       string // the id answered to
		typ      int
		desc     string // the errorDescription; "*" = any
	}{
		{"invalid id, bad frame", "[2,\"\xff\xfe\",\"Heartbeat\",[]]", "\uFFFD\uFFFD", ocppj.MessageCallError, "payload is not a JSON object"},
		{"invalid action", "[2,\"u1\",\"Heart\xffbeat\",{}]", "u1", ocppj.MessageCallError, "unknown action Heart\uFFFDbeat"},
		{"lone surrogates", `[2,"\udc80","\ud800x",{}]`, "\uFFFD", ocppj.MessageCallError, "unknown action \uFFFDx"},
		{"surrogate as UTF-8", "[2,\"\xed\xa0\x80\",\"Heartbeat\",{\"a\":}]", "\uFFFD\uFFFD\uFFFD", ocppj.MessageCallError, "frame is not valid JSON"},
		{"echoed in description and details", "[2,\"u2\",\"Describe\",{\"a\":\"\xff\"}]", "u2", ocppj.MessageCallError, "bad payload {\"a\":\"\uFFFD\"}"},
		{"echoed payload", "[2,\"u3\",\"Echo\",{\"a\":\"\xc3\"}]", "u3", ocppj.MessageCallResult, ""},
		{"long invalid description", "[2,\"u4\",\"Describe\",{\"a\":\"" + strings.Repeat("\xff", 300) + "\"}]", "u4", ocppj.MessageCallError, "*"},
		{"truncated inside a rune", "[2,\"u5\",\"x" + strings.Repeat("é", 200) + "\",{}]", "u5", ocppj.MessageCallError, "*"},
	}
	s := startServer(t, ocppj.Options{Dialect: ocppj.Dialect201, Handler: echoHandler})
	p := dialPeer(t, s.url, "ocpp2.0.1", true)

	// A binary frame, whatever its bytes, is dropped unanswered.
	if err := p.ws.WriteMessage(websocket.BinaryMessage, []byte("[2,\"\xff\",\"Heartbeat\",[]]")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		p.send(tt.in)
		got := p.next()
		if !utf8.ValidString(got) || !json.Valid([]byte(got)) {
			t.Errorf("%s: answer %q is not valid UTF-8 JSON", tt.name, got)
			continue
		}
		f, _, perr := ocppj.ParseFrame([]byte(got))
		if perr != nil || f.Type != tt.typ || f.ID != tt.id {
			t.Errorf("%s: answer %s: want type %d for id %q (err %v)", tt.name, got, tt.typ, tt.id, perr)
			continue
		}
		if len(f.ErrorDescription) > 255 || (tt.desc != "*" && f.ErrorDescription != tt.desc) {
			t.Errorf("%s: description %q (%d bytes), want %q, at most 255 bytes", tt.name, f.ErrorDescription, len(f.ErrorDescription), tt.desc)
		}
	}
}

// TestCloseReasonIsValidUTF8: a close frame's reason must be valid UTF-8
// too (gorilla, as a peer, fails the connection otherwise).
func TestCloseReasonIsValidUTF8(t *testing.T) {
	s := startServer(t, ocppj.Options{})
	p := dialPeer(t, s.url, "ocpp1.6", true)
	c := s.conn(t)
	if err := c.Close(websocket.ClosePolicyViolation, "operator says \xff"+strings.Repeat("é", 100)); err != nil {
		t.Fatal(err)
	}
	err := p.closeErr()
	ce, ok := err.(*websocket.CloseError)
	if !ok || ce.Code != websocket.ClosePolicyViolation || !strings.HasPrefix(ce.Text, "operator says \uFFFDé") || len(ce.Text) > 123 {
		t.Errorf("peer read %v, want close 1008 with a valid reason of at most 123 bytes", err)
	}
}
