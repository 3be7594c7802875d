package soapcs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// TestNetworksAllowed: by default every address but link-local (cloud
// metadata), unspecified and multicast; with networks listed, only those.
func TestNetworksAllowed(t *testing.T) {
	def, err := ParseNetworks(nil)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := ParseNetworks([]string{"10.0.0.0/8", " fd00::/8", "192.0.2.7", ""})
	if err != nil {
		t.Fatal(err)
	}
	if got := listed.String(); got != "10.0.0.0/8,fd00::/8,192.0.2.7/32" {
		t.Errorf("String = %q", got)
	}
	for _, c := range []struct {
		addr          string
		def, inListed bool
	}{
		{"10.1.2.3", true, true},
		{"127.0.0.1", true, false},
		{"192.168.1.20", true, false},
		{"192.0.2.7", true, true},
		{"192.0.2.8", true, false},
		{"203.0.113.5", true, false},
		{"fd12::1", true, true},
		{"::ffff:10.0.0.1", true, true}, // IPv4-mapped: the IPv4 address counts
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
	} {
		a := netip.MustParseAddr(c.addr)
		if got := def.Allowed(a); got != c.def {
			t.Errorf("default Allowed(%s) = %v, want %v", c.addr, got, c.def)
		}
		if got := listed.Allowed(a); got != c.inListed {
			t.Errorf("listed Allowed(%s) = %v, want %v", c.addr, got, c.inListed)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "charger.example", "10.0.0"} {
		if _, err := ParseNetworks([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseNetworks(%q) = %v, want an error naming it", bad, err)
		}
	}
}

// TestNetworksRefuseBeforeSending: a charger whose address is outside the
// allowed networks gets nothing, its command is EUNAVAILABLE saying why,
// and the warning names the charger; inside them the call goes through.
func TestNetworksRefuseBeforeSending(t *testing.T) {
	cs := newChargerService(t, soap.V16, func(*http.Request, string, soapjson.Body) (soapjson.Body, *soap.Fault) {
		return &ocpp16s.ResetResponse{Status: "Accepted"}, nil
	})
	client := func(list ...string) *http.Client {
		n, err := ParseNetworks(list)
		if err != nil {
			t.Fatal(err)
		}
		d := &net.Dialer{Timeout: time.Second, Control: n.Control}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	ctx := context.Background()
	call := func(address string, hc *http.Client) (string, error) {
		var logs bytes.Buffer
		c := NewCaller(soap.V16, "CP-N", address, CallerOptions{HTTP: hc, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		_, err := c.Call(ctx, "Reset", json.RawMessage(`{"type":"Soft"}`))
		return logs.String(), err
	}
	for name, tc := range map[string]struct {
		address string
		hc      *http.Client
	}{
		"cloud metadata by default": {"http://joule:s3cr3t@169.254.169.254/latest/meta-data", client()},
		"outside the listed":        {cs.srv.URL, client("10.0.0.0/8")},
	} {
		logs, err := call(tc.address, tc.hc)
		if charging.ErrorCode(err) != charging.EUNAVAILABLE || !strings.Contains(charging.ErrorMessage(err), "outside the networks Joule calls chargers in") {
			t.Errorf("%s: %v; want EUNAVAILABLE saying the address is outside the networks", name, err)
		}
		if !strings.Contains(logs, "CP-N") || strings.Contains(logs, "s3cr3t") {
			t.Errorf("%s: the warning: %s", name, logs)
		}
	}
	if n := len(cs.requests()); n != 0 {
		t.Errorf("the charger got %d requests, want none", n)
	}
	for name, hc := range map[string]*http.Client{"default": client(), "listed": client("127.0.0.0/8")} {
		if logs, err := call(cs.srv.URL, hc); err != nil {
			t.Errorf("%s: a charger at a loopback address: %v\n%s", name, err, logs)
		}
	}
	if n := len(cs.requests()); n != 2 {
		t.Errorf("the charger got %d requests, want 2", n)
	}
}
