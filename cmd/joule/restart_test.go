package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/sim"
)

// TestKillAndRestart kills `joule serve` (SIGKILL, no shutdown) in the
// middle of a session, starts it again on the same data, and checks that
// every acknowledged meter value is still there, that the charger's queued
// messages arrive, and that the transaction finishes normally.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the joule binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "joule")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr + "/api/v1"
	data := filepath.Join(dir, "data")

	serve := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data, "--log-level", "warn")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitFor(t, 20*time.Second, "joule ready", func() bool {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		tok, err := os.ReadFile(filepath.Join(data, "admin-token"))
		if err != nil {
			t.Fatalf("admin-token after the first run: %v", err)
		}
		bearer = "Bearer " + strings.TrimSpace(string(tok))
		return cmd
	}
	srv := serve()

	cp := sim.New(sim.Config{URL: "ws://" + addr + "/ocpp", ID: "CP-R", MeterValueSampleInterval: 150 * time.Millisecond,
		ReconnectBackoff: 100 * time.Millisecond, MaxPowerW: 22000})
	ctx, cancel := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { defer close(simDone); _ = cp.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-simDone })
	waitFor(t, 10*time.Second, "connectors reported", func() bool {
		var c charging.Charger
		return get(base+"/chargers/CP-R", &c) == 200 && len(c.Connectors) == 2
	})

	var s charging.Session
	resp, err := post(base+"/chargers/CP-R/connectors/1/start", `{"idTag":"remote-11902"}`)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start = %d, want 202", resp.StatusCode)
	}
	samples := func() []charging.MeterSample {
		var p struct{ Items []charging.MeterSample }
		get(base+"/sessions/"+s.ID+"/meter-values?limit=1000", &p)
		return p.Items
	}
	waitFor(t, 10*time.Second, "meter values stored", func() bool { return len(samples()) >= 15 })

	// Kill it. Everything the API showed was acknowledged-and-stored.
	before := samples()
	var mid charging.Session
	get(base+"/sessions/"+s.ID, &mid)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	killedAt := time.Now().UTC()
	time.Sleep(600 * time.Millisecond) // the charger samples on, offline
	serve()
	restartedAt := time.Now().UTC()

	var after charging.Session
	if code := get(base+"/sessions/"+s.ID, &after); code != 200 || after.Status != charging.SessionActive || after.TransactionID != mid.TransactionID {
		t.Fatalf("after restart: %d %+v, want the active session %s", code, after, mid.TransactionID)
	}
	stored := map[string]bool{}
	for _, x := range samples() {
		stored[fmt.Sprint(x.Timestamp.UnixMicro(), x.Measurand)] = true
	}
	for _, x := range before {
		if !stored[fmt.Sprint(x.Timestamp.UnixMicro(), x.Measurand)] {
			t.Fatalf("meter value %+v was stored before the kill and is gone", x)
		}
	}
	waitFor(t, 15*time.Second, "the charger's offline meter values", func() bool {
		for _, x := range samples() {
			if x.Timestamp.After(killedAt) && x.Timestamp.Before(restartedAt) {
				return true
			}
		}
		return false
	})

	resp, err = post(base+"/sessions/"+s.ID+"/stop", "")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("stop = %d, want 202", resp.StatusCode)
	}
	waitFor(t, 10*time.Second, "finished", func() bool {
		get(base+"/sessions/"+s.ID, &after)
		return after.Status == charging.SessionFinished
	})
	if after.StopReason != "Remote" || after.MeterStopWh == nil || after.EnergyWh != *after.MeterStopWh-*after.MeterStartWh || after.EnergyWh < mid.EnergyWh {
		t.Fatalf("finished session = %+v, want Remote with energy = meterStop - meterStart ≥ %v", after, mid.EnergyWh)
	}
}

// bearer is the Authorization header of the first-run admin, read from
// <data>/admin-token as the README says; set once joule has started.
var bearer string

func post(url, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", bearer)
	return http.DefaultClient.Do(req)
}

func get(url string, out any) int {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
