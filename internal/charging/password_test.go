package charging_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

func TestPasswordHash(t *testing.T) {
	pw := charging.NewPassword()
	if len(pw) != 40 || strings.Trim(pw, "0123456789abcdef") != "" {
		t.Fatalf("NewPassword() = %q, want 40 lower-case hex digits", pw)
	}
	if pw == charging.NewPassword() {
		t.Fatal("two NewPassword() are equal")
	}
	h := charging.HashPassword([]byte(pw))
	if strings.Contains(h, pw) {
		t.Fatal("the hash holds the password")
	}
	if h == charging.HashPassword([]byte(pw)) {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	raw, _ := hex.DecodeString(pw)
	for _, tc := range []struct {
		name      string
		presented []byte
		want      bool
	}{
		{"the hex digits (2.0.1, most 1.6 chargers)", []byte(pw), true},
		{"the raw bytes they stand for (1.6, OCTT TC_085)", raw, true},
		{"upper-case digits are another password", []byte(strings.ToUpper(pw)), strings.ToUpper(pw) == pw},
		{"a wrong password", []byte(charging.NewPassword()), false},
		{"empty", nil, false},
		{"one byte short", []byte(pw[:39]), false},
	} {
		if got := charging.CheckPassword(h, tc.presented); got != tc.want {
			t.Errorf("%s: CheckPassword = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "hs256", "hs256$!!$!!", "md5$abc$def"} {
		if charging.CheckPassword(bad, []byte(pw)) {
			t.Errorf("CheckPassword(%q) accepted a password", bad)
		}
	}
	// An operator-chosen password with a colon and non-ASCII characters.
	chosen := "pä:ss-Wörd-0123456789"
	if err := charging.ValidPassword(chosen); err != nil {
		t.Fatal(err)
	}
	if !charging.CheckPassword(charging.HashPassword([]byte(chosen)), []byte(chosen)) {
		t.Fatal("a chosen password does not match its hash")
	}
}

func TestValidPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		charging.NewPassword():                     true,
		"abcdefghijklmnop":                         true,
		"short-1234":                               false,
		"aaaaaaaaaaaaaaaaaaaa":                     false, // too few distinct characters
		strings.Repeat("abcdefghij", 5):            false, // 50 characters
		"abcdefghijklmno\x00p":                     false,
		"abcdefghijklmnop\xff":                     false,
		"0123456789abcdef0123456789abcdef01234567": true,
	} {
		if err := charging.ValidPassword(pw); (err == nil) != ok {
			t.Errorf("ValidPassword(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
}

// BenchmarkCheckPassword is the CPU one charger's authentication costs:
// 10,000 chargers re-authenticating at once must cost under a second.
func BenchmarkCheckPassword(b *testing.B) {
	pw := []byte(charging.NewPassword())
	h := charging.HashPassword(pw)
	for b.Loop() {
		if !charging.CheckPassword(h, pw) {
			b.Fatal("no match")
		}
	}
}
