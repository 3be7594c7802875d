package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"testing"
)

func TestNewToken(t *testing.T) {
	for _, prefix := range []string{TokenPrefix, KeyPrefix} {
		re := regexp.MustCompile(`^` + prefix + `[A-Za-z0-9_-]{43}$`)
		seen := make(map[string]bool)
		for range 1000 {
			tok, hash, err := NewToken(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !re.MatchString(tok) {
				t.Fatalf("NewToken(%q) = %q, want %s + 43 base64url characters", prefix, tok, prefix)
			}
			raw, err := base64.RawURLEncoding.DecodeString(tok[len(prefix):])
			if err != nil || len(raw) != 32 {
				t.Fatalf("token body decodes to %d bytes, %v; want 32", len(raw), err)
			}
			if hash != HashToken(tok) {
				t.Fatalf("hash %q != HashToken(token) %q", hash, HashToken(tok))
			}
			if seen[tok] {
				t.Fatalf("NewToken returned %q twice", tok)
			}
			seen[tok] = true
		}
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	if got, want := HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashToken(abc) = %s, want %s", got, want)
	}
	tok := "jt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	sum := sha256.Sum256([]byte(tok))
	if got := HashToken(tok); got != hex.EncodeToString(sum[:]) {
		t.Errorf("HashToken(%s) = %s: the prefix must be hashed too", tok, got)
	}
	if regexp.MustCompile(`[^0-9a-f]`).MatchString(HashToken(tok)) || len(HashToken(tok)) != 64 {
		t.Errorf("HashToken = %q, want 64 lower-case hex digits", HashToken(tok))
	}
	if HashToken("jt_a") == HashToken("jk_a") {
		t.Error("tokens differing in prefix hash the same")
	}
}

func TestPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"jk_AbCdEfGh12345678", "AbCdEfGh"},
		{"jt_-_x9Zq0Y_rest", "-_x9Zq0Y"},
		{"jk_abc", "abc"},
		{"jk_", ""},
		{"", ""},
		{"AbCdEfGhIjK", "AbCdEfGh"}, // no known prefix: the start of the token
		{"jt_jk_12345678", "jk_12345"},
	} {
		if got := Prefix(tc.in); got != tc.want {
			t.Errorf("Prefix(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	tok, _, err := NewToken(KeyPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if got := Prefix(tok); got != tok[3:11] || len(got) != 8 {
		t.Errorf("Prefix(%q) = %q, want %q", tok, got, tok[3:11])
	}
}
