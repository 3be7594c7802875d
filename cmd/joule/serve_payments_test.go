package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseServeStripe(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	const key = "sk_test_SECRET123"
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		key, url string
		err      string // "" for none
	}{
		{"no key: wallet only", nil, nil, "", "https://api.stripe.com", ""},
		{"key from the environment", nil, map[string]string{"JOULE_STRIPE_KEY": key}, key, "https://api.stripe.com", ""},
		{"url from the environment", nil, map[string]string{"JOULE_STRIPE_KEY": key, "JOULE_STRIPE_URL": "http://127.0.0.1:12111"},
			key, "http://127.0.0.1:12111", ""},
		{"flags", []string{"--stripe-key", key, "--stripe-url", "http://localhost:12111"}, nil, key, "http://localhost:12111", ""},
		{"a bad url", []string{"--stripe-url", "localhost:12111"}, map[string]string{"JOULE_STRIPE_KEY": key}, "", "", "--stripe-url"},
	} {
		c, err := parseServe(tc.args, env(tc.env), io.Discard)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET123") {
				t.Errorf("%s: error %q shows the key", tc.name, err)
			}
			continue
		}
		if err != nil || c.StripeKey != tc.key || c.StripeURL != tc.url {
			t.Errorf("%s: key %q, url %q, err %v; want %q, %q", tc.name, c.StripeKey, c.StripeURL, err, tc.key, tc.url)
		}
	}
}
