package main

import (
	"io"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/gateway"
)

// TestServeGatewayLimits: --max-chargers and --max-connect-rate reach the
// gateway (0 is no limit).
func TestServeGatewayLimits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want gateway.Options
	}{
		{nil, gateway.Options{MaxStrangersPerIP: 32, UpgradeRate: gateway.Rate{Burst: 500, Every: time.Millisecond}}},
		{[]string{"--max-chargers", "200", "--max-connect-rate", "0", "--max-strangers-per-ip", "-1"},
			gateway.Options{MaxStrangersPerIP: -1, MaxChargers: 200, UpgradeRate: gateway.Rate{Burst: -1}}},
		{[]string{"--max-connect-rate", "10"}, gateway.Options{MaxStrangersPerIP: 32, UpgradeRate: gateway.Rate{Burst: 5, Every: 100 * time.Millisecond}}},
	} {
		cfg, err := parseServe(tc.args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := cfg.gatewayOptions(); got.MaxStrangersPerIP != tc.want.MaxStrangersPerIP || got.MaxChargers != tc.want.MaxChargers || got.UpgradeRate != tc.want.UpgradeRate {
			t.Errorf("%v: gateway options %+v, want %+v", tc.args, got, tc.want)
		}
	}
}
