package charging

import (
	"strings"
	"testing"
)

func TestCountries(t *testing.T) {
	f := strings.Fields(countries)
	// ISO 3166-1 has 249 officially assigned codes.
	if len(f) != 2*249 || len(byAlpha2) != 249 || len(byAlpha3) != 249 {
		t.Fatalf("countries: %d fields, %d alpha-2, %d alpha-3; want 498, 249, 249 (a pair is broken or repeated)", len(f), len(byAlpha2), len(byAlpha3))
	}
	for i := 0; i+1 < len(f); i += 2 {
		if len(f[i]) != 2 || len(f[i+1]) != 3 || f[i] != strings.ToUpper(f[i]) || f[i+1] != strings.ToUpper(f[i+1]) {
			t.Errorf("pair %q %q: want an upper-case alpha-2 and alpha-3 code", f[i], f[i+1])
		}
		if i > 0 && f[i] <= f[i-2] {
			t.Errorf("pair %q %q: not in alpha-2 order after %q", f[i], f[i+1], f[i-2])
		}
	}
	for code, want := range map[string]bool{"DEU": true, "NLD": true, "GBR": true, "USA": true, "XKX": false, "DE": false, "deu": false, "EUR": false} {
		if got := ValidCountry(code); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", code, got, want)
		}
	}
}
