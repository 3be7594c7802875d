package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/joule-ev/joule/internal/charging"
)

// OIDCCookieMaxAge is how long a sign-in begun with Begin may take: the
// cookie value expires then, and the caller should give its cookie the same
// Max-Age.
const OIDCCookieMaxAge = 10 * time.Minute

// maxReturnTo bounds the returnTo kept in the cookie (cookies hold ~4 KB).
const maxReturnTo = 1024

// OIDCConfig configures single sign-on for the operator's staff through an
// OpenID Connect provider (authorization code flow with PKCE S256 and a
// nonce).
type OIDCConfig struct {
	Issuer, ClientID, ClientSecret string
	RedirectURL                    string   // e.g. https://joule.example.com/api/v1/auth/oidc/callback
	Scopes                         []string // default: openid, email, profile ("openid" is added if missing)
	// RoleClaim is the claim holding group/role names, default "groups"; its
	// value may be a string or an array of strings. A dotted name ("a.b")
	// also finds b inside the object claim a (Keycloak's
	// "realm_access.roles") when there is no claim named "a.b".
	RoleClaim   string
	RoleMap     map[string]charging.Role // claim value -> Joule role; the most powerful matched role wins (admin > operator > viewer > driver)
	DefaultRole charging.Role            // role when nothing matches; "" means such users are refused
	HTTPClient  *http.Client             // nil: http.DefaultClient (tests pass the provider's client)

	// CookieKey optionally seals Begin's cookie value (32 bytes, AES-256-GCM).
	// nil: a key derived from ClientSecret, so that every Joule node sharing
	// the client secret can finish a sign-in another began; a random key per
	// process when there is no client secret (a public client).
	CookieKey []byte
}

// OIDC signs people in through an OpenID Connect provider. It is safe for
// concurrent use.
type OIDC struct {
	issuer      string
	client      *http.Client
	oauth       oauth2.Config
	verifier    *oidc.IDTokenVerifier
	aead        cipher.AEAD
	aad         []byte
	roleClaim   string
	roleMap     map[string]charging.Role
	defaultRole charging.Role
	now         func() time.Time // tests move the clock
}

// Identity is a person the provider vouched for.
type Identity struct {
	Subject  string        // "<issuer> <sub>"
	Email    string        // from the email claim, trimmed and lower-cased (required; refused when email_verified is present and false)
	Name     string        // the name claim, else given_name family_name, else preferred_username
	Role     charging.Role // mapped from RoleClaim
	ReturnTo string        // from Begin; only a local path starting with "/" (never "//" or a URL), else "/"
}

// NewOIDC checks cfg and runs the provider's discovery now.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	switch {
	case cfg.Issuer == "":
		return nil, errors.New("auth: oidc: issuer is required")
	case cfg.ClientID == "":
		return nil, errors.New("auth: oidc: client id is required")
	case cfg.RedirectURL == "":
		return nil, errors.New("auth: oidc: redirect URL is required")
	case cfg.DefaultRole != "" && !cfg.DefaultRole.Valid():
		return nil, fmt.Errorf("auth: oidc: default role %q is not a role", cfg.DefaultRole)
	}
	if u, err := url.Parse(cfg.RedirectURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("auth: oidc: redirect URL %q is not an absolute URL", cfg.RedirectURL)
	}
	roleMap := make(map[string]charging.Role, len(cfg.RoleMap))
	for k, r := range cfg.RoleMap {
		if !r.Valid() {
			return nil, fmt.Errorf("auth: oidc: role map: %q maps to %q, which is not a role", k, r)
		}
		roleMap[k] = r
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	} else if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	} else {
		scopes = slices.Clone(scopes)
	}
	roleClaim := cfg.RoleClaim
	if roleClaim == "" {
		roleClaim = "groups"
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}

	key := cfg.CookieKey
	switch {
	case key != nil && len(key) != 32:
		return nil, fmt.Errorf("auth: oidc: cookie key must be 32 bytes, got %d", len(key))
	case key == nil && cfg.ClientSecret != "":
		k, err := hkdf.Key(sha256.New, []byte(cfg.ClientSecret), nil, "joule oidc sign-in cookie v1", 32)
		if err != nil {
			return nil, fmt.Errorf("auth: oidc: derive cookie key: %w", err)
		}
		key = k
	case key == nil:
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("auth: oidc: random cookie key: %w", err)
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: oidc: cookie cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("auth: oidc: cookie cipher: %w", err)
	}

	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: oidc: discovery at %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		TokenAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("auth: oidc: discovery at %s: %w", cfg.Issuer, err)
	}
	if len(meta.CodeChallengeMethods) > 0 && !slices.Contains(meta.CodeChallengeMethods, "S256") {
		return nil, fmt.Errorf("auth: oidc: %s does not support PKCE with S256 (supports %q)", cfg.Issuer, meta.CodeChallengeMethods)
	}
	endpoint := provider.Endpoint()
	// Pick the client authentication once, rather than oauth2's auto-detect,
	// which retries a refused exchange with the other method.
	switch {
	case cfg.ClientSecret == "":
		endpoint.AuthStyle = oauth2.AuthStyleInParams // public client: client_id only
	case len(meta.TokenAuthMethods) == 0 || slices.Contains(meta.TokenAuthMethods, "client_secret_basic"):
		endpoint.AuthStyle = oauth2.AuthStyleInHeader // the default (OIDC Discovery 1.0 §3)
	case slices.Contains(meta.TokenAuthMethods, "client_secret_post"):
		endpoint.AuthStyle = oauth2.AuthStyleInParams
	default:
		return nil, fmt.Errorf("auth: oidc: %s supports neither client_secret_basic nor client_secret_post (supports %q)", cfg.Issuer, meta.TokenAuthMethods)
	}

	return &OIDC{
		issuer: cfg.Issuer,
		client: client,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     endpoint,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
		},
		verifier:    provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		aead:        aead,
		aad:         []byte("joule oidc v1\x00" + cfg.Issuer + "\x00" + cfg.ClientID),
		roleClaim:   roleClaim,
		roleMap:     roleMap,
		defaultRole: cfg.DefaultRole,
		now:         time.Now,
	}, nil
}

// signIn is what the cookie carries between Begin and Finish.
type signIn struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r"`
	Expires  int64  `json:"e"` // unix seconds
}

// Begin starts a sign-in: the URL to redirect the browser to, and an opaque
// value the caller keeps in a short-lived (OIDCCookieMaxAge), HttpOnly,
// Secure, SameSite=Lax cookie and hands to Finish. The value is sealed
// (AES-GCM): it holds the state, the nonce, the PKCE verifier, returnTo
// (normalized to a local path) and its expiry.
func (o *OIDC) Begin(returnTo string) (authURL, cookieValue string, err error) {
	s := signIn{
		State:    randomString(),
		Nonce:    randomString(),
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: localPath(returnTo),
		Expires:  o.now().Add(OIDCCookieMaxAge).Unix(),
	}
	cookieValue, err = o.seal(s)
	if err != nil {
		return "", "", err
	}
	authURL = o.oauth.AuthCodeURL(s.State, oauth2.S256ChallengeOption(s.Verifier), oidc.Nonce(s.Nonce))
	return authURL, cookieValue, nil
}

// Finish completes a sign-in from the callback's state and code and the
// cookie value Begin returned: it checks the state (in constant time) and
// the cookie's expiry, exchanges the code with the PKCE verifier, verifies
// the ID token (issuer, audience, expiry, signature) and its nonce, and maps
// the claims to an Identity.
//
// Failures that are the person's or the provider's (a stale or forged
// callback, a refused code, a bad ID token, missing claims) are
// *charging.Error with code EUNAUTHENTICATED; a person whose role claim maps
// to no role (and no DefaultRole) gets EFORBIDDEN. Other errors (the
// provider unreachable, or refusing Joule's client credentials) are
// internal; ctx's error is returned as is.
func (o *OIDC) Finish(ctx context.Context, cookieValue, state, code string) (Identity, error) {
	s, ok := o.open(cookieValue)
	if !ok {
		return Identity{}, unauthenticated("the sign-in session is missing or invalid; start the sign-in again")
	}
	if o.now().Unix() >= s.Expires {
		return Identity{}, unauthenticated("the sign-in took too long (more than %v); start it again", OIDCCookieMaxAge)
	}
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(s.State)) != 1 {
		return Identity{}, unauthenticated("the sign-in state does not match this browser's sign-in; start the sign-in again")
	}
	if code == "" {
		return Identity{}, unauthenticated("the identity provider sent no authorization code")
	}

	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(s.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client") {
			// Joule's configuration, not the person, is wrong.
			return Identity{}, fmt.Errorf("auth: oidc: %s refused Joule's client credentials (%s): check the client id and secret", o.issuer, re.ErrorCode)
		}
		if re != nil {
			reason := re.ErrorCode
			if reason == "" && re.Response != nil {
				reason = "HTTP " + re.Response.Status
			}
			if d := re.ErrorDescription; d != "" {
				reason += ": " + truncate(d, 200)
			}
			return Identity{}, unauthenticated("the identity provider refused the sign-in code (%s)", reason)
		}
		if ctx.Err() != nil {
			return Identity{}, ctx.Err()
		}
		return Identity{}, fmt.Errorf("auth: oidc: token exchange with %s: %w", o.issuer, err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return Identity{}, unauthenticated("the identity provider sent no ID token")
	}
	idt, err := o.verifier.Verify(ctx, rawID)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return Identity{}, unauthenticated("the identity provider's ID token has expired")
		}
		return Identity{}, unauthenticated("the identity provider's ID token is invalid (%v)", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(s.Nonce)) != 1 {
		return Identity{}, unauthenticated("the identity provider's ID token is for another sign-in (nonce mismatch)")
	}
	if idt.Subject == "" {
		return Identity{}, unauthenticated("the identity provider's ID token has no subject")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, unauthenticated("the identity provider's ID token has unreadable claims")
	}
	return o.identity(idt.Issuer, idt.Subject, claims, s.ReturnTo)
}

func (o *OIDC) identity(issuer, sub string, claims map[string]any, returnTo string) (Identity, error) {
	email, _ := claims["email"].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return Identity{}, unauthenticated("the identity provider sent no email address (ask for the \"email\" scope)")
	}
	if verified, present := claimBool(claims["email_verified"]); present && !verified {
		return Identity{}, unauthenticated("the identity provider has not verified the email address %s", email)
	}
	id := Identity{
		Subject:  issuer + " " + sub,
		Email:    email,
		Name:     displayName(claims),
		ReturnTo: localPath(returnTo),
	}
	id.Role = o.mapRole(claims)
	if id.Role == "" {
		return Identity{}, charging.Errorf(charging.EFORBIDDEN,
			"%s has no role in Joule: none of its %q values at the identity provider is mapped to a role", email, o.roleClaim)
	}
	return id, nil
}

// mapRole returns the most powerful role mapped from the role claim's
// values, else the default role.
func (o *OIDC) mapRole(claims map[string]any) charging.Role {
	best := -1
	for _, v := range claimStrings(lookupClaim(claims, o.roleClaim)) {
		r, ok := o.roleMap[v]
		if !ok {
			continue
		}
		if i := slices.Index(charging.Roles, r); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best >= 0 {
		return charging.Roles[best]
	}
	return o.defaultRole
}

// lookupClaim finds name in claims, or, when there is no such claim and
// name has dots, walks nested objects ("realm_access.roles").
func lookupClaim(claims map[string]any, name string) any {
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[part]; !ok {
			return nil
		}
	}
	return cur
}

// claimStrings reads a claim that is a string or an array of strings
// (other elements are ignored).
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// claimBool reads a boolean claim; some providers send "true"/"false".
// A claim of another type counts as false.
func claimBool(v any) (value, present bool) {
	switch v := v.(type) {
	case nil:
		return false, false
	case bool:
		return v, true
	case string:
		return strings.EqualFold(v, "true"), true
	}
	return false, true
}

func displayName(claims map[string]any) string {
	str := func(k string) string { s, _ := claims[k].(string); return strings.TrimSpace(s) }
	if n := str("name"); n != "" {
		return n
	}
	if n := strings.TrimSpace(str("given_name") + " " + str("family_name")); n != "" {
		return n
	}
	return str("preferred_username")
}

// localPath returns p if it is a path on this site: it starts with one "/"
// (not "//", which browsers read as another host, nor "/\"), has no scheme
// or host, no backslash and no control character (browsers drop tabs and
// newlines, turning "/\t/evil" into "//evil"). Anything else becomes "/".
func localPath(p string) string {
	if len(p) == 0 || len(p) > maxReturnTo || p[0] != '/' || strings.HasPrefix(p, "//") {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return p
}

func (o *OIDC) seal(s signIn) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("auth: oidc: encode cookie: %w", err)
	}
	nonce := make([]byte, o.aead.NonceSize(), o.aead.NonceSize()+len(plain)+o.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("auth: oidc: random cookie nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(o.aead.Seal(nonce, nonce, plain, o.aad)), nil
}

func (o *OIDC) open(v string) (signIn, bool) {
	var s signIn
	if v == "" || len(v) > 4096 {
		return s, false
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < o.aead.NonceSize()+o.aead.Overhead() {
		return s, false
	}
	n := o.aead.NonceSize()
	plain, err := o.aead.Open(nil, b[:n], b[n:], o.aad)
	if err != nil {
		return s, false
	}
	if json.Unmarshal(plain, &s) != nil || s.State == "" || s.Nonce == "" || s.Verifier == "" {
		return signIn{}, false
	}
	return s, true
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func unauthenticated(format string, args ...any) error {
	return charging.Errorf(charging.EUNAUTHENTICATED, format, args...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
