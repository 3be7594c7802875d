package auth

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Known answers from the argon2 reference implementation (Debian's argon2
// CLI, 0~20171227):
//
//	echo -n "correct horse battery staple" | argon2 somesaltsomesalt -id -t 2 -k 19456 -p 1 -l 32 -e
//	echo -n "password" | argon2 c29tZXNhbHQ -id -t 3 -k 64 -p 2 -l 16 -e
const (
	refDefault = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ISO7kkvFzh19GM8qB7patN3C3Y9HHsjlVTfEZ9T600Y"
	refSmall   = "$argon2id$v=19$m=64,t=3,p=2$YzI5dFpYTmhiSFE$ojGuSzR9GjMxyo6eanDewg"
)

// cheap parameters keep most tests fast; DefaultParams is used where it
// matters.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPasswordFormatAndRoundTrip(t *testing.T) {
	phc, err := HashPassword("correct horse battery staple", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)
	m := re.FindStringSubmatch(phc)
	if m == nil {
		t.Fatalf("HashPassword = %q, not a PHC argon2id string with default params", phc)
	}
	if salt, _ := base64.RawStdEncoding.DecodeString(m[1]); len(salt) != 16 {
		t.Errorf("salt is %d bytes, want 16", len(salt))
	}
	ok, err := VerifyPassword("correct horse battery staple", phc)
	if !ok || err != nil {
		t.Fatalf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
	}
	ok, err = VerifyPassword("correct horse battery stapler", phc)
	if ok || err != nil {
		t.Fatalf("VerifyPassword(wrong password) = %v, %v; want false, nil", ok, err)
	}
	ok, err = VerifyPassword("", phc)
	if ok || err != nil {
		t.Fatalf("VerifyPassword(empty password) = %v, %v; want false, nil", ok, err)
	}

	// A fresh salt each time.
	phc2, err := HashPassword("correct horse battery staple", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if phc2 == phc {
		t.Fatal("two hashes of the same password are equal: the salt is not random")
	}
}

func TestVerifyPasswordReferenceVectors(t *testing.T) {
	for _, tc := range []struct {
		phc, password string
	}{
		{refDefault, "correct horse battery staple"},
		{refSmall, "password"},
	} {
		if ok, err := VerifyPassword(tc.password, tc.phc); !ok || err != nil {
			t.Errorf("VerifyPassword(%q, %s) = %v, %v; want true, nil", tc.password, tc.phc, ok, err)
		}
		if ok, err := VerifyPassword(tc.password+"!", tc.phc); ok || err != nil {
			t.Errorf("VerifyPassword(wrong, %s) = %v, %v; want false, nil", tc.phc, ok, err)
		}
	}
}

func TestHashPasswordHonoursParams(t *testing.T) {
	p := Params{Memory: 64, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16}
	phc, err := HashPassword("password", p)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=3,p=2\$([A-Za-z0-9+/]{11})\$([A-Za-z0-9+/]{22})$`)
	if !re.MatchString(phc) {
		t.Fatalf("HashPassword(%+v) = %q", p, phc)
	}
	// Parameters are read back from the string (the reference's salt is
	// the 11 bytes "c29tZXNhbHQ").
	salt := strings.Split(refSmall, "$")[4]
	key := strings.Split(refSmall, "$")[5]
	gotP, gotSalt, gotKey, err := decodePHC(refSmall)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Params{Memory: 64, Time: 3, Threads: 2, SaltLen: 11, KeyLen: 16}); gotP != want {
		t.Errorf("decodePHC params = %+v, want %+v", gotP, want)
	}
	if base64.RawStdEncoding.EncodeToString(gotSalt) != salt || base64.RawStdEncoding.EncodeToString(gotKey) != key {
		t.Errorf("decodePHC salt/key do not round-trip")
	}
	if again := encodePHC(gotP, gotSalt, gotKey); again != refSmall {
		t.Errorf("encodePHC(decodePHC(x)) = %q, want %q", again, refSmall)
	}
	if ok, err := VerifyPassword("password", phc); !ok || err != nil {
		t.Fatalf("VerifyPassword = %v, %v", ok, err)
	}
	// Changing a parameter in the string changes the key computed.
	tampered := strings.Replace(phc, "t=3", "t=4", 1)
	if ok, err := VerifyPassword("password", tampered); ok || err != nil {
		t.Fatalf("VerifyPassword(t changed) = %v, %v; want false, nil", ok, err)
	}
}

func TestHashPasswordRefusesBadParams(t *testing.T) {
	for _, p := range []Params{
		{Memory: 2 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, // 2 GiB
		{Memory: 7, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{},
	} {
		if phc, err := HashPassword("hunter2-hunter2", p); err == nil || phc != "" {
			t.Errorf("HashPassword(%+v) = %q, %v; want an error", p, phc, err)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q mentions the password", err)
		}
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	ok := "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ISO7kkvFzh19GM8qB7patN3C3Y9HHsjlVTfEZ9T600Y"
	if _, _, _, err := decodePHC(ok); err != nil {
		t.Fatalf("baseline %q: %v", ok, err)
	}
	for name, phc := range map[string]string{
		"empty":               "",
		"bcrypt":              "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":             strings.Replace(ok, "argon2id", "argon2i", 1),
		"version 16":          strings.Replace(ok, "v=19", "v=16", 1),
		"no version":          "$argon2id$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ISO7kkvFzh19GM8qB7patN3C3Y9HHsjlVTfEZ9T600Y",
		"params out of order": strings.Replace(ok, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		"missing param":       strings.Replace(ok, "m=64,t=1,p=1", "m=64,t=1", 1),
		"leading zero":        strings.Replace(ok, "m=64", "m=064", 1),
		"negative":            strings.Replace(ok, "t=1", "t=-1", 1),
		"padded salt":         strings.Replace(ok, "c29tZXNhbHRzb21lc2FsdA", "c29tZXNhbHRzb21lc2FsdA==", 1),
		"bad base64 key":      strings.Replace(ok, "ISO7", "IS!7", 1),
		"extra field":         ok + "$x",
		"no leading dollar":   ok[1:],
		"memory 2 GiB":        strings.Replace(ok, "m=64", "m=2097152", 1),
		"memory overflow":     strings.Replace(ok, "m=64", "m=4294967296", 1),
		"time 1000":           strings.Replace(ok, "t=1", "t=1000", 1),
		"threads 0":           strings.Replace(ok, "p=1", "p=0", 1),
		"threads 300":         strings.Replace(ok, "p=1", "p=300", 1),
		"memory below 8p":     strings.Replace(ok, "m=64,t=1,p=1", "m=8,t=1,p=2", 1),
		"salt 4 bytes":        strings.Replace(ok, "c29tZXNhbHRzb21lc2FsdA", "c29tZQ", 1),
		"key 8 bytes":         strings.Replace(ok, "ISO7kkvFzh19GM8qB7patN3C3Y9HHsjlVTfEZ9T600Y", "ISO7kkvFzh0", 1),
		"huge":                ok + strings.Repeat("A", 1000),
	} {
		start := time.Now()
		got, err := VerifyPassword("hunter2-hunter2", phc)
		if got || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: VerifyPassword(%q) = %v, %v; want false, ErrMalformedHash", name, phc, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error %q mentions the password", name, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("%s: refusing took %v: the hash was computed", name, d)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	phc, err := HashPassword("password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(phc, cheap) {
		t.Error("NeedsRehash(same params) = true")
	}
	if NeedsRehash(refDefault, DefaultParams) {
		// refDefault has a 16-byte salt and a 32-byte key with default costs.
		t.Error("NeedsRehash(reference hash made with DefaultParams) = true")
	}
	for name, p := range map[string]Params{
		"memory":  {Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		"time":    {Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		"threads": {Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		"salt":    {Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		"key":     {Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		if !NeedsRehash(phc, p) {
			t.Errorf("%s changed: NeedsRehash = false", name)
		}
	}
	if !NeedsRehash("", DefaultParams) || !NeedsRehash("$2a$10$whatever", DefaultParams) {
		t.Error("NeedsRehash(malformed) = false")
	}
}

func TestDummyVerifyTakesAsLongAsVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	phc, err := HashPassword("password", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	// Warm up, then take the best of a few runs of each.
	VerifyPassword("x", phc)
	DummyVerify(DefaultParams)
	best := func(f func()) time.Duration {
		b := time.Duration(1 << 62)
		for range 5 {
			start := time.Now()
			f()
			b = min(b, time.Since(start))
		}
		return b
	}
	verify := best(func() { VerifyPassword("wrong password", phc) })
	dummy := best(func() { DummyVerify(DefaultParams) })
	ratio := float64(dummy) / float64(verify)
	t.Logf("verify %v, dummy %v (ratio %.2f)", verify, dummy, ratio)
	if ratio < 0.5 || ratio > 2 { // loose: the machine may be busy; an early return would be ~0
		t.Errorf("DummyVerify took %v, VerifyPassword %v: not the same time", dummy, verify)
	}
	// Invalid params fall back to DefaultParams rather than panicking or
	// returning at once.
	if d := best(func() { DummyVerify(Params{}) }); float64(d) < 0.5*float64(verify) {
		t.Errorf("DummyVerify(Params{}) took %v, want about %v", d, verify)
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		password string
		msg      string // "" = accepted
	}{
		{"", "password must be at least 10 characters long"},
		{"short", "password must be at least 10 characters long"},
		{"123456789", "password must be at least 10 characters long"},
		{"1234567890", ""},
		{"aaaaaaaaaa", ""}, // no composition rules
		{"пароль-дли", ""}, // 10 characters, 19 bytes
		{"ÿÿÿÿÿ", "password must be at least 10 characters long"}, // 10 bytes, 5 characters
		{"horse battery staple correct", ""},                      // spaces are fine
		{strings.Repeat("a", 256), ""},                            // 256 bytes
		{strings.Repeat("a", 257), "password must be at most 256 bytes long"},
		{strings.Repeat("é", 129), "password must be at most 256 bytes long"}, // 129 characters, 258 bytes
		{"abcdefghij\xff", "password must be valid UTF-8 text"},
	} {
		err := CheckPasswordPolicy(tc.password)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("CheckPasswordPolicy(%q) = %v, want nil", tc.password, err)
			}
			continue
		}
		var ce *charging.Error
		if !errors.As(err, &ce) {
			t.Errorf("CheckPasswordPolicy(%q) = %v, want a *charging.Error", tc.password, err)
			continue
		}
		if ce.Code != charging.EINVALID || ce.Message != tc.msg {
			t.Errorf("CheckPasswordPolicy(%q) = %s: %q; want %s: %q", tc.password, ce.Code, ce.Message, charging.EINVALID, tc.msg)
		}
		if tc.password != "" && strings.Contains(err.Error(), tc.password) {
			t.Errorf("error %q contains the password", err)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	phc, err := HashPassword("correct horse battery staple", DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := VerifyPassword("correct horse battery staple", phc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDummyVerify(b *testing.B) {
	for b.Loop() {
		DummyVerify(DefaultParams)
	}
}
