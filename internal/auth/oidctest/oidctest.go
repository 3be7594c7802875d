// Package oidctest runs an OpenID Connect provider inside a test: discovery,
// an /authorize endpoint that signs the current user in at once (no login
// page), a /token endpoint with client authentication, one-time codes and
// PKCE (S256) checks, and RS256 ID tokens with their /jwks.
//
// It is for tests only: it serves plain HTTP on loopback and keeps
// everything in memory.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// CodeTTL is how long an authorization code can be exchanged.
const CodeTTL = time.Minute

// IDTokenTTL is the lifetime of the ID tokens the provider signs.
const IDTokenTTL = 5 * time.Minute

const keyID = "oidctest-1"

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// signingKey is generated once per test binary: RSA key generation is slow.
func signingKey() *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("oidctest: generate RSA key: " + err.Error())
		}
		key = k
	})
	return key
}

// Provider is an OpenID Connect provider served by an httptest.Server. Its
// URL is the issuer.
type Provider struct {
	URL string

	t            testing.TB
	srv          *httptest.Server
	clientID     string
	clientSecret string
	key          *rsa.PrivateKey

	mu        sync.Mutex
	user      map[string]any
	codes     map[string]*grant
	exchanges int
	refusals  []string
}

// grant is what the provider remembers with an authorization code.
type grant struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	claims      map[string]any
	expires     time.Time
	used        bool
}

// New starts a provider for one client, closed when the test ends. Until
// SetUser is called, sign-ins get the user
//
//	{"sub": "alice", "email": "alice@example.com", "email_verified": true, "name": "Alice"}
func New(t testing.TB, clientID, clientSecret string) *Provider {
	t.Helper()
	p := &Provider{
		t:            t,
		clientID:     clientID,
		clientSecret: clientSecret,
		key:          signingKey(),
		user: map[string]any{
			"sub":            "alice",
			"email":          "alice@example.com",
			"email_verified": true,
			"name":           "Alice",
		},
		codes: make(map[string]*grant),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /jwks", p.jwks)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SetUser sets the claims that the next sign-ins get (sub, email, name,
// groups, ...). They are added to the ID token after the standard ones, so
// a test can also forge those (a wrong "aud", an expired "exp", another
// "nonce"). The claims are taken when /authorize is visited.
func (p *Provider) SetUser(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(claims)
}

// Client returns an HTTP client for the provider.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// Exchanges returns how many codes were exchanged for tokens successfully.
func (p *Provider) Exchanges() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exchanges
}

// Refusals returns why each refused token request was refused, in order,
// as "<error>: <description>", e.g. "invalid_grant: code already used".
func (p *Provider) Refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"grant_types_supported":                 []string{"authorization_code"},
	})
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	back, err := url.Parse(redirectURI)
	if redirectURI == "" || err != nil || !back.IsAbs() {
		http.Error(w, "missing or invalid redirect_uri", http.StatusBadRequest)
		return
	}
	// From here on, errors go back to the client (RFC 6749 §4.1.2.1).
	fail := func(code, desc string) {
		v := back.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope", "scope must include openid")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case len(q.Get("code_challenge")) != 43:
		fail("invalid_request", "code_challenge must be a base64url SHA-256")
		return
	}
	code := random()
	p.mu.Lock()
	p.codes[code] = &grant{
		clientID:    p.clientID,
		redirectURI: redirectURI,
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		claims:      maps.Clone(p.user),
		expires:     time.Now().Add(CodeTTL),
	}
	p.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	if s := q.Get("state"); s != "" {
		v.Set("state", s)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil {
		p.refuse(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	// Client authentication: client_secret_basic or client_secret_post,
	// not both (RFC 6749 §2.3).
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			p.refuse(w, http.StatusUnauthorized, "invalid_client", "malformed basic credentials")
			return
		}
		if r.PostForm.Has("client_secret") {
			p.refuse(w, http.StatusBadRequest, "invalid_request", "more than one client authentication method")
			return
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.clientSecret)) != 1 {
		p.refuse(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "authorization_code" {
		p.refuse(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	}

	p.mu.Lock()
	g := p.codes[r.PostForm.Get("code")]
	var used bool
	if g != nil {
		used, g.used = g.used, true // one attempt per code, whatever its outcome
	}
	p.mu.Unlock()
	switch {
	case g == nil:
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "unknown code")
		return
	case used:
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "code already used")
		return
	case time.Now().After(g.expires):
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "code expired")
		return
	case g.clientID != id:
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "code issued to another client")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
		return
	}
	verifier := r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	if len(verifier) < 43 || len(verifier) > 128 ||
		subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1 {
		p.refuse(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}

	now := time.Now()
	claims := map[string]any{
		"iss": p.URL,
		"aud": id,
		"iat": now.Unix(),
		"exp": now.Add(IDTokenTTL).Unix(),
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	maps.Copy(claims, g.claims)
	idToken, err := p.sign(claims)
	if err != nil {
		p.t.Errorf("oidctest: sign ID token: %v", err)
		p.refuse(w, http.StatusInternalServerError, "server_error", "cannot sign")
		return
	}
	p.mu.Lock()
	p.exchanges++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": random(),
		"token_type":   "Bearer",
		"expires_in":   int(IDTokenTTL / time.Second),
		"id_token":     idToken,
	})
}

func (p *Provider) refuse(w http.ResponseWriter, status int, code, desc string) {
	p.mu.Lock()
	p.refusals = append(p.refusals, code+": "+desc)
	p.mu.Unlock()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	pub := p.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": keyID,
		"n":   b64(pub.N.Bytes()),
		"e":   b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// sign makes a compact JWS (RS256) of claims.
func (p *Provider) sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": keyID})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("claims: %w", err)
	}
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("oidctest: crypto/rand: " + err.Error())
	}
	return b64(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
