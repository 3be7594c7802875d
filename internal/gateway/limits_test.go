package gateway

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestIPKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:4711":                "192.0.2.7",
		"[::ffff:192.0.2.7]:1":          "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:80":             "fe80::/64",
		"not an address":                "not an address",
		"@":                             "@",
		"[2001:db8:1:3:3:4:5:6]:443":    "2001:db8:1:3::/64",
		"198.51.100.1":                  "198.51.100.1",
		"[2001:db8::]:1":                "2001:db8::/64",
		"[2001:db8:0:0:1::]:1":          "2001:db8::/64",
		"[2001:db8:0:1::]:1":            "2001:db8:0:1::/64",
		"[::1]:8080":                    "::/64",
		"127.0.0.1:8080":                "127.0.0.1",
		"[2001:db8:aaaa:bbbb::1]:65535": "2001:db8:aaaa:bbbb::/64",
	} {
		if got := ipKey(in); got != want {
			t.Errorf("ipKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimiter(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(Rate{Burst: 3, Every: 10 * time.Second}, clock.Now)
	if ok, _ := l.check("a"); !ok || len(l.buckets) != 0 {
		t.Fatalf("check on a new key: %v with %d buckets, want true and none remembered", ok, len(l.buckets))
	}
	for i := range 3 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("take %d = false, want true", i)
		}
	}
	if ok, wait := l.take("a"); ok || wait != 10*time.Second {
		t.Errorf("4th take = %v, %v; want false, 10s", ok, wait)
	}
	clock.Add(4 * time.Second)
	if ok, wait := l.check("a"); ok || wait != 6*time.Second {
		t.Errorf("check after 4s = %v, %v; want false, 6s", ok, wait)
	}
	if ok, _ := l.take("b"); !ok {
		t.Error("another key is limited")
	}
	clock.Add(6 * time.Second)
	if ok, _ := l.take("a"); !ok {
		t.Error("take after 10s = false, want true")
	}
	// After a full refill time, full buckets are forgotten.
	clock.Add(time.Minute)
	l.check("c")
	if len(l.buckets) != 0 {
		t.Errorf("%d buckets after a sweep, want 0", len(l.buckets))
	}
	if ok, _ := newLimiter(Rate{Burst: -1}, clock.Now).take("a"); !ok {
		t.Error("a negative burst limits")
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, time.Minute: 60} {
		if got := retryAfter(d); got != want {
			t.Errorf("retryAfter(%v) = %d, want %d", d, got, want)
		}
	}
}

// TestConnLoggerQuota: a connection writes at most logQuotaRecords Info and
// Warn records per window; then one line reports how many were suppressed.
// Errors and Debug always pass.
func TestConnLoggerQuota(t *testing.T) {
	var buf bytes.Buffer
	g := &Gateway{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))}
	q := &logQuota{}
	log := g.sampledConnLogger("CP1", "ocpp1.6", q)
	h := log.With("k", "v").Handler() // a derived logger shares the quota
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(t time.Time, l slog.Level, msg string) {
		h.Handle(context.Background(), slog.NewRecord(t, l, msg, 0))
	}
	for i := range 25 {
		rec(t0.Add(time.Duration(i)*time.Second), slog.LevelWarn, fmt.Sprint("flood ", i))
	}
	rec(t0.Add(30*time.Second), slog.LevelError, "real trouble")
	rec(t0.Add(30*time.Second), slog.LevelDebug, "frame in")
	rec(t0.Add(time.Minute), slog.LevelWarn, "next window")
	out := buf.String()
	if n := strings.Count(out, "msg=\"flood "); n != logQuotaRecords {
		t.Errorf("%d flood lines, want %d:\n%s", n, logQuotaRecords, out)
	}
	for _, want := range []string{
		`level=ERROR msg="real trouble" charger=CP1 ocpp=ocpp1.6 k=v`,
		`level=DEBUG msg="frame in"`,
		`level=WARN msg="log records suppressed (rate limit)" charger=CP1 ocpp=ocpp1.6 k=v suppressed=15` + "\n" +
			`level=WARN msg="next window"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	rec(t0.Add(time.Minute+time.Second), slog.LevelInfo, "x")
	for range logQuotaRecords {
		rec(t0.Add(time.Minute+time.Second), slog.LevelInfo, "x")
	}
	if n := q.flush(); n != 2 {
		t.Errorf("flush() = %d, want 2 suppressed", n)
	}
}
