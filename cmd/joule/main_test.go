package main

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseServe(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := parseServe(nil, env(nil), io.Discard)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.Data != "./joule-data" || c.CallTimeout != 30*time.Second {
		t.Fatalf("defaults = %+v, %v; want 127.0.0.1:8080, ./joule-data, 30s", c, err)
	}
	c, err = parseServe([]string{"--addr", "127.0.0.1:9000"}, env(map[string]string{"JOULE_ADDR": ":7000", "JOULE_DATA": "/tmp/j"}), io.Discard)
	if err != nil || c.Addr != "127.0.0.1:9000" || c.Data != "/tmp/j" {
		t.Fatalf("flags over env = %+v, %v; want addr from the flag, data from JOULE_DATA", c, err)
	}
	_, err = parseServe([]string{"--log-format", "xml", "--call-timeout", "-1s", "--addr", "nope"}, env(nil), io.Discard)
	for _, want := range []string{"--log-format", "--call-timeout", "--addr"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s: every problem is reported at once", err, want)
		}
	}
	if _, err := parseServe(nil, env(map[string]string{"JOULE_CALL_TIMEOUT": "soon"}), io.Discard); err == nil || !strings.Contains(err.Error(), "JOULE_CALL_TIMEOUT") {
		t.Errorf("bad env value: %v, want an error naming JOULE_CALL_TIMEOUT", err)
	}
	c, err = parseServe([]string{"--soap-charger-networks", "10.0.0.0/8"}, env(map[string]string{"JOULE_SOAP_CHARGER_NETWORKS": "fd00::/8, 192.0.2.7"}), io.Discard)
	if err != nil || strings.Join(c.SOAPChargerNetworks, " ") != "10.0.0.0/8" {
		t.Errorf("--soap-charger-networks = %v, %v; want the flag's network", c.SOAPChargerNetworks, err)
	}
	if c, err = parseServe(nil, env(map[string]string{"JOULE_SOAP_CHARGER_NETWORKS": "fd00::/8, 192.0.2.7"}), io.Discard); err != nil || len(c.SOAPChargerNetworks) != 2 {
		t.Errorf("JOULE_SOAP_CHARGER_NETWORKS = %v, %v; want two networks", c.SOAPChargerNetworks, err)
	}
	if _, err := parseServe([]string{"--soap-charger-networks", "10.0.0.0/33"}, env(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "--soap-charger-networks") || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("bad network: %v, want an error naming the flag and the value", err)
	}
}

func TestRunUnknownCommand(t *testing.T) {
	if err := run(t.Context(), []string{"fly"}, io.Discard, io.Discard); err == nil {
		t.Fatal("run(fly) = nil, want an error")
	}
	var out strings.Builder
	if err := run(t.Context(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "joule ") {
		t.Fatalf("version = %q, %v", out.String(), err)
	}
}

func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	if err := run(t.Context(), []string{"migrate", "status", "--data", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0001") || !strings.Contains(out.String(), "pending") || !strings.Contains(out.String(), "no database") {
		t.Fatalf("status on a new directory = %q, want no database and migration 0001 pending", out.String())
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) > 0 {
		t.Fatalf("status created %v (%v) in the data directory, want nothing", entries, err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate", "up", "--data", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "pending") || !strings.Contains(out.String(), "applied") {
		t.Fatalf("status after up = %q, want every migration applied", out.String())
	}
	if err := run(t.Context(), []string{"migrate", "sideways"}, io.Discard, io.Discard); err == nil {
		t.Fatal("migrate sideways = nil, want an error")
	}
}

// TestFlagHelp: -h lists each flag with the environment variable that sets it.
func TestFlagHelp(t *testing.T) {
	var errOut strings.Builder
	_ = run(t.Context(), []string{"serve", "-h"}, io.Discard, &errOut)
	for _, want := range []string{"-addr string    (JOULE_ADDR)", "(JOULE_DATA)", "(JOULE_METER_RETENTION)", `(default "127.0.0.1:8080")`} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("serve -h does not show %q:\n%s", want, errOut.String())
		}
	}
}
