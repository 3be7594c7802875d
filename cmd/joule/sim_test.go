package main

import (
	"io"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/sim"
)

func TestParseSimOCPP(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string // OCPPVersion; "" means an error naming --ocpp
	}{
		{nil, nil, sim.OCPP16},
		{[]string{"--ocpp", "2.0.1"}, nil, sim.OCPP201},
		{[]string{"--ocpp", "ocpp2.0.1"}, nil, sim.OCPP201},
		{[]string{"--ocpp", "mixed"}, nil, sim.OCPPMixed},
		{nil, map[string]string{"JOULE_OCPP": "2.0.1"}, sim.OCPP201},
		{[]string{"--ocpp", "1.5"}, nil, sim.OCPP15S},
		{[]string{"--ocpp", "ocpp1.5s"}, nil, sim.OCPP15S},
		{[]string{"--ocpp", "1.6s"}, nil, sim.OCPP16S},
		{[]string{"--ocpp", "ocpp1.6s"}, nil, sim.OCPP16S},
		{nil, map[string]string{"JOULE_OCPP": "1.6s"}, sim.OCPP16S},
		{[]string{"--ocpp", "1.2"}, nil, ""},
		{[]string{"--ocpp", "2.0"}, nil, ""},
	} {
		c, err := parseSim(tc.args, env(tc.env), io.Discard)
		switch {
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "--ocpp")):
			t.Errorf("parseSim(%q, %v) error = %v, want one naming --ocpp", tc.args, tc.env, err)
		case tc.want != "" && (err != nil || c.OCPP != tc.want):
			t.Errorf("parseSim(%q, %v) = %q, %v; want %q", tc.args, tc.env, c.OCPP, err, tc.want)
		}
	}
}

func TestParseSimKind(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // Kind; "" means an error naming --kind
	}{
		{nil, sim.KindAC},
		{[]string{"--kind", "dc"}, sim.KindDC},
		{[]string{"--kind", "mixed"}, sim.KindMixed},
		{[]string{"--kind", "DC"}, ""},
		{[]string{"--kind", "hydrogen"}, ""},
	} {
		c, err := parseSim(tc.args, func(string) string { return "" }, io.Discard)
		switch {
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), "--kind")):
			t.Errorf("parseSim(%q) error = %v, want one naming --kind", tc.args, err)
		case tc.want != "" && (err != nil || c.Kind != tc.want):
			t.Errorf("parseSim(%q) = %q, %v; want %q", tc.args, c.Kind, err, tc.want)
		}
	}
}

func TestParseSimVehicle(t *testing.T) {
	def := sim.DefaultVehicle()
	for _, tc := range []struct {
		args []string
		want sim.Vehicle
		flag string // an error naming this flag is wanted
	}{
		{nil, def, ""},
		{[]string{"--vehicle-kwh", "40", "--vehicle-soc", "85", "--vehicle-max-a", "32", "--vehicle-phases", "1"},
			sim.Vehicle{CapacityWh: 40000, SoCPercent: 85, MaxA: 32, Phases: 1}, ""},
		{[]string{"--vehicle-kwh", "0"}, sim.Vehicle{}, "--vehicle-kwh"},
		{[]string{"--vehicle-soc", "101"}, sim.Vehicle{}, "--vehicle-soc"},
		{[]string{"--vehicle-max-a", "-1"}, sim.Vehicle{}, "--vehicle-max-a"},
		{[]string{"--vehicle-phases", "2"}, sim.Vehicle{}, "--vehicle-phases"},
	} {
		c, err := parseSim(tc.args, func(string) string { return "" }, io.Discard)
		switch {
		case tc.flag != "" && (err == nil || !strings.Contains(err.Error(), tc.flag)):
			t.Errorf("parseSim(%q) error = %v, want one naming %s", tc.args, err, tc.flag)
		case tc.flag == "" && (err != nil || c.Vehicle != tc.want):
			t.Errorf("parseSim(%q) vehicle = %+v, %v; want %+v", tc.args, c.Vehicle, err, tc.want)
		}
	}
}

func TestParseSimSOAP(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseSim([]string{"--ocpp", "1.6s"}, env(nil), io.Discard)
	if err != nil || c.SOAPURL != "" || c.SOAPListen != "127.0.0.1:0" || c.SOAPAdvertise != "" {
		t.Errorf("defaults = %q, %q, %q, %v; want no URL (derived), 127.0.0.1:0, no advertised address", c.SOAPURL, c.SOAPListen, c.SOAPAdvertise, err)
	}
	c, err = parseSim([]string{"--ocpp", "1.5", "--soap-url", "https://csms.example/ocpp/soap", "--soap-listen", "0.0.0.0:9100",
		"--soap-advertise", "http://sim.example:19100/cp"}, env(nil), io.Discard)
	if err != nil || c.SOAPURL != "https://csms.example/ocpp/soap" || c.SOAPListen != "0.0.0.0:9100" || c.SOAPAdvertise != "http://sim.example:19100/cp" {
		t.Errorf("flags = %q, %q, %q, %v", c.SOAPURL, c.SOAPListen, c.SOAPAdvertise, err)
	}
	c, err = parseSim(nil, env(map[string]string{"JOULE_OCPP": "mixed", "JOULE_SOAP_ADVERTISE": "http://sim"}), io.Discard)
	if err != nil || c.SOAPAdvertise != "http://sim" {
		t.Errorf("JOULE_SOAP_ADVERTISE = %q, %v; want http://sim", c.SOAPAdvertise, err)
	}
	const pw = "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		args []string
		flag string // an error naming this flag is wanted
	}{
		{[]string{"--ocpp", "1.6s", "--soap-url", "ws://csms.example/ocpp/soap"}, "--soap-url"},
		{[]string{"--ocpp", "1.6s", "--soap-advertise", "sim.example:9100"}, "--soap-advertise"},
		{[]string{"--ocpp", "1.6s", "--soap-listen", "9100"}, "--soap-listen"},
		{[]string{"--ocpp", "1.5", "--url", "wss://csms.example/ocpp", "--security-profile", "3"}, "--security-profile 3"},
		{[]string{"--ocpp", "mixed", "--request-certificate"}, "--request-certificate"},
		{[]string{"--ocpp", "1.6s", "--url", "wss://csms.example/ocpp", "--security-profile", "2", "--password", pw,
			"--soap-url", "http://csms.example/ocpp/soap"}, "--soap-url must be https://"},
	} {
		if _, err := parseSim(tc.args, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), tc.flag) {
			t.Errorf("parseSim(%q) error = %v, want one naming %s", tc.args, err, tc.flag)
		}
	}
	// The certificate flags stay open to OCPP-J chargers.
	if _, err := parseSim([]string{"--ocpp", "1.6", "--request-certificate"}, env(nil), io.Discard); err != nil {
		t.Errorf("--request-certificate with --ocpp 1.6: %v", err)
	}
}
