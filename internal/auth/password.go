// Package auth holds Joule's sign-in building blocks: argon2id password
// hashes, random session tokens and API keys, a sign-in rate limiter, and
// single sign-on through OpenID Connect. It stores nothing itself: the
// caller keeps users, token hashes and keys in its store.
//
// Nothing in this package puts a secret (a password, a token, a PKCE
// verifier, a client secret) in an error message.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/joule-ev/joule/internal/charging"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes of random salt
	KeyLen  uint32 // bytes of derived key
}

// DefaultParams is OWASP's 2023 minimum for argon2id (19 MiB, 2 passes, one
// lane): about 20-30 ms on a server core.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on the parameters that HashPassword accepts and VerifyPassword
// reads from a stored hash. A hash outside them is refused rather than
// computed: a stored hash asking for gigabytes of memory or minutes of CPU
// would be a denial of service.
const (
	MaxMemory  = 1 << 20 // KiB: 1 GiB
	MaxTime    = 64
	MaxThreads = 64
	MinSaltLen = 8
	MaxSaltLen = 64
	MinKeyLen  = 16
	MaxKeyLen  = 128
)

// Password policy bounds (NIST SP 800-63B: a minimum length, a generous
// maximum, no composition rules).
const (
	MinPasswordChars = 10  // Unicode characters
	MaxPasswordBytes = 256 // bytes of UTF-8
)

const argon2Version = 19 // argon2.Version (0x13); the only one x/crypto computes

// ErrMalformedHash is returned (wrapped) by VerifyPassword for a stored hash
// that is not an argon2id PHC string this package can check.
var ErrMalformedHash = errors.New("auth: malformed password hash")

func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > MaxThreads:
		return fmt.Errorf("threads (p) must be 1 to %d, got %d", MaxThreads, p.Threads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > MaxMemory:
		return fmt.Errorf("memory (m) must be %d to %d KiB, got %d", 8*uint32(p.Threads), MaxMemory, p.Memory)
	case p.Time < 1 || p.Time > MaxTime:
		return fmt.Errorf("time (t) must be 1 to %d, got %d", MaxTime, p.Time)
	case p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen:
		return fmt.Errorf("salt length must be %d to %d bytes, got %d", MinSaltLen, MaxSaltLen, p.SaltLen)
	case p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen:
		return fmt.Errorf("key length must be %d to %d bytes, got %d", MinKeyLen, MaxKeyLen, p.KeyLen)
	}
	return nil
}

// HashPassword hashes password with argon2id and a fresh random salt, and
// returns the PHC string, e.g.
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in standard base64 without padding. It fails only for
// parameters outside the bounds above.
func HashPassword(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("auth: argon2id parameters: %v", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(p, salt, key), nil
}

func encodePHC(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches the PHC string phc,
// computing argon2id with the parameters stored in phc and comparing the
// keys in constant time. err is non-nil only when phc is malformed or its
// parameters are out of bounds (it wraps ErrMalformedHash); ok is then false.
func VerifyPassword(password, phc string) (ok bool, err error) {
	p, salt, key, err := decodePHC(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether phc should be replaced by a fresh hash with
// p after a successful sign-in: when it is malformed or was made with other
// parameters (memory, time, threads, salt or key length).
func NeedsRehash(phc string, p Params) bool {
	got, _, _, err := decodePHC(phc)
	return err != nil || got != p
}

// DummyVerify spends as long as VerifyPassword on a hash made with p, and
// says nothing. Call it when the account does not exist (or has no
// password) so that the response time does not tell whether it does.
func DummyVerify(p Params) {
	if p.validate() != nil {
		p = DefaultParams
	}
	salt := make([]byte, p.SaltLen)
	want := make([]byte, p.KeyLen)
	got := argon2.IDKey([]byte("joule dummy password"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	subtle.ConstantTimeCompare(got, want)
}

// decodePHC parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly.
func decodePHC(phc string) (p Params, salt, key []byte, err error) {
	bad := func(format string, args ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
	}
	if len(phc) > 512 {
		return bad("too long")
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=19$m=..,t=..,p=..$salt$key")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2Version) {
		return bad("unsupported version %q", parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("want parameters m=..,t=..,p=..")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil || strconv.FormatUint(n, 10) != v {
			return bad("parameter %d must be %s=<number>", i+1, name)
		}
		vals[i] = n
	}
	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return bad("salt is not unpadded base64")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return bad("key is not unpadded base64")
	}
	if vals[2] > 255 {
		return bad("threads (p) must be 1 to %d, got %d", MaxThreads, vals[2])
	}
	p = Params{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		SaltLen: uint32(len(salt)),
		KeyLen:  uint32(len(key)),
	}
	if err := p.validate(); err != nil {
		return bad("%v", err)
	}
	return p, salt, key, nil
}

// CheckPasswordPolicy checks a password a person chose: at least
// MinPasswordChars characters and at most MaxPasswordBytes bytes of valid
// UTF-8. There are no composition rules (NIST SP 800-63B). The error is a
// *charging.Error with code EINVALID naming the rule; it never contains the
// password.
func CheckPasswordPolicy(password string) error {
	switch {
	case !utf8.ValidString(password):
		return charging.Errorf(charging.EINVALID, "password must be valid UTF-8 text")
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return charging.Errorf(charging.EINVALID, "password must be at least %d characters long", MinPasswordChars)
	case len(password) > MaxPasswordBytes:
		return charging.Errorf(charging.EINVALID, "password must be at most %d bytes long", MaxPasswordBytes)
	}
	return nil
}
