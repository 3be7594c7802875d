package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Prefixes of the secrets Joule hands out, so that a leaked one is
// recognisable (and secret scanners can be taught to find them).
const (
	TokenPrefix = "jt_" // sign-in session tokens
	KeyPrefix   = "jk_" // API keys
)

// tokenBytes is the entropy of a token: 256 bits.
const tokenBytes = 32

// PrefixLen is how many characters Prefix returns.
const PrefixLen = 8

// NewToken returns a new random secret, prefix followed by 32 random bytes
// in unpadded base64url (43 characters), and hash = HashToken(token), the
// only form to store.
func NewToken(prefix string) (token, hash string, err error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("auth: random token: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token), nil
}

// HashToken returns the lower-case hex SHA-256 of token (prefix included).
// Tokens carry 256 bits of entropy, so a fast unsalted hash is enough: it
// lets the store look a token up by its hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Prefix returns the first PrefixLen characters of token after its
// TokenPrefix or KeyPrefix (if it has one), to show in lists so that people
// recognise a key. It reveals 48 of the token's 256 bits. A shorter token
// is returned whole (after the prefix).
func Prefix(token string) string {
	rest := token
	for _, p := range [...]string{TokenPrefix, KeyPrefix} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest = r
			break
		}
	}
	if len(rest) > PrefixLen {
		rest = rest[:PrefixLen]
	}
	return rest
}
