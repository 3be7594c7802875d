package node_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/node"
)

// rawCharger is a charger made of raw frames, for protocol tests.
type rawCharger struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, url string, subprotocols ...string) (*rawCharger, string) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: subprotocols, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &rawCharger{t: t, ws: ws}, resp.Header.Get("Sec-WebSocket-Protocol")
}

func (c *rawCharger) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("send %s: %v", frame, err)
	}
}

// read returns the next frame as a JSON array.
func (c *rawCharger) read(timeout time.Duration) []json.RawMessage {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f []json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("frame %s is not a JSON array: %v", b, err)
	}
	return f
}

func str(r json.RawMessage) string {
	var s string
	_ = json.Unmarshal(r, &s)
	return s
}

// TestCallErrors sends broken frames as a real charger would, over a real
// WebSocket, and checks each CALLERROR with 1.6's spelling.
func TestCallErrors(t *testing.T) {
	n := startNode(t, node.Config{})
	c, proto := dialRaw(t, n.WS+"/RAW-1", "ocpp1.6")
	if proto != "ocpp1.6" {
		t.Fatalf("subprotocol = %q, want ocpp1.6", proto)
	}
	c.send(`[2,"boot","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]`)
	if f := c.read(5 * time.Second); len(f) != 3 || string(f[0]) != "3" || !strings.Contains(string(f[2]), `"Accepted"`) {
		t.Fatalf("boot answer = %s, want an Accepted CALLRESULT", f)
	}
	long := strings.Repeat("x", 21)
	for _, tc := range []struct {
		name, frame, id, code string
	}{
		{"not an array", `{"hello":1}`, "", ""},
		{"not json", `[2,"x1","Heartbeat",{]`, "x1", "FormationViolation"},
		{"too few elements", `[2,"x2"]`, "x2", "FormationViolation"},
		{"unknown message type", `[7,"x3","Heartbeat",{}]`, "x3", "FormationViolation"},
		{"payload not an object", `[2,"x4","Heartbeat",[]]`, "x4", "FormationViolation"},
		{"unknown action", `[2,"x5","FlyToTheMoon",{}]`, "x5", "NotImplemented"},
		{"central system action", `[2,"x6","Reset",{"type":"Soft"}]`, "x6", "NotSupported"},
		{"missing required field", `[2,"x7","BootNotification",{"chargePointVendor":"V"}]`, "x7", "OccurenceConstraintViolation"},
		{"wrong type", `[2,"x8","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]`, "x8", "TypeConstraintViolation"},
		{"not an integer", `[2,"x9","StartTransaction",{"connectorId":1,"idTag":"T","meterStart":1.5,"timestamp":"2026-11-25T10:00:00Z"}]`, "x9", "TypeConstraintViolation"},
		{"bad enum", `[2,"x10","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]`, "x10", "PropertyConstraintViolation"},
		{"too long", `[2,"x11","Authorize",{"idTag":"` + long + `"}]`, "x11", "PropertyConstraintViolation"},
		{"bad date-time", `[2,"x12","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"yesterday","sampledValue":[{"value":"1"}]}]}]`, "x12", "PropertyConstraintViolation"},
		{"unknown property", `[2,"x13","Heartbeat",{"extra":true}]`, "x13", "FormationViolation"},
		{"empty required array", `[2,"x14","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-11-25T10:00:00Z"}]}]`, "x14", "OccurenceConstraintViolation"},
		{"negative connector", `[2,"x15","StatusNotification",{"connectorId":-1,"errorCode":"NoError","status":"Available"}]`, "x15", "PropertyConstraintViolation"},
		{"connector past 32 bits", `[2,"x16","StatusNotification",{"connectorId":2147483648,"errorCode":"NoError","status":"Available"}]`, "x16", "PropertyConstraintViolation"},
		{"negative meter connector", `[2,"x17","MeterValues",{"connectorId":-3,"meterValue":[{"timestamp":"2026-11-25T10:00:00Z","sampledValue":[{"value":"1"}]}]}]`, "x17", "PropertyConstraintViolation"},
		{"transaction on connector 0", `[2,"x18","StartTransaction",{"connectorId":0,"idTag":"T","meterStart":0,"timestamp":"2026-11-25T10:00:00Z"}]`, "x18", "PropertyConstraintViolation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			// A heartbeat right behind the bad frame shows the connection
			// stays usable, and that a frame without an id got no answer.
			c.send(tc.frame)
			c.send(`[2,"hb","Heartbeat",{}]`)
			f := c.read(5 * time.Second)
			if tc.id != "" {
				if len(f) != 5 || string(f[0]) != "4" || str(f[1]) != tc.id || str(f[2]) != tc.code {
					t.Fatalf("answer = %s, want [4,%q,%q,...]", f, tc.id, tc.code)
				}
				var details map[string]any
				if err := json.Unmarshal(f[4], &details); err != nil {
					t.Errorf("errorDetails %s is not an object", f[4])
				}
				f = c.read(5 * time.Second)
			}
			if len(f) != 3 || string(f[0]) != "3" || str(f[1]) != "hb" {
				t.Fatalf("next frame = %s, want the heartbeat's CALLRESULT", f)
			}
		})
	}
	t.Run("frame too large", func(t *testing.T) {
		c.t = t
		big := `[2,"big","DataTransfer",{"vendorId":"V","data":"` + strings.Repeat("d", 70<<10) + `"}]`
		// The server may close while the frame is still being written: then
		// the write fails; otherwise the next read sees close 1009.
		if err := c.ws.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseMessageTooBig {
			t.Fatalf("after a 70 KiB frame: close %d, want 1009 (message too big)", ce.Code)
		}
		if err == nil {
			t.Fatal("after a 70 KiB frame the connection is still open, want it closed with 1009")
		}
	})
}

// TestNoSupportedSubprotocol: a charger offering no version Joule speaks
// completes the handshake without a subprotocol and is closed.
func TestNoSupportedSubprotocol(t *testing.T) {
	n := startNode(t, node.Config{})
	c, proto := dialRaw(t, n.WS+"/RAW-2", "ocpp1.5", "ocpp2.1")
	if proto != "" {
		t.Fatalf("subprotocol = %q, want none", proto)
	}
	c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseProtocolError) {
		t.Fatalf("read = %v, want close 1002 (protocol error)", err)
	}
}
