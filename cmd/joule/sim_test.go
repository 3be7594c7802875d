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
		{[]string{"--ocpp", "1.5"}, nil, ""},
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
