package oidctest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const redirect = "https://joule.example.com/cb"

func noRedirects(p *Provider) *http.Client {
	c := *p.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func authorizeQuery(verifier string) url.Values {
	sum := sha256.Sum256([]byte(verifier))
	return url.Values{
		"client_id":             {"joule"},
		"redirect_uri":          {redirect},
		"response_type":         {"code"},
		"scope":                 {"openid email"},
		"state":                 {"st"},
		"nonce":                 {"nn"},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
}

// authorize visits /authorize and returns the status and the redirect's
// query.
func authorize(t *testing.T, p *Provider, q url.Values) (int, url.Values) {
	t.Helper()
	resp, err := noRedirects(p).Get(p.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return resp.StatusCode, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("redirected to %s, want %s", loc, redirect)
	}
	return resp.StatusCode, loc.Query()
}

func postToken(t *testing.T, p *Provider, form url.Values, basicID, basicSecret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", p.URL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := p.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestDiscovery(t *testing.T) {
	p := New(t, "joule", "secret")
	resp, err := p.Client().Get(p.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"issuer":                 p.URL,
		"authorization_endpoint": p.URL + "/authorize",
		"token_endpoint":         p.URL + "/token",
		"jwks_uri":               p.URL + "/jwks",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %s", k, d[k], want)
		}
	}
}

func TestAuthorizeValidates(t *testing.T) {
	p := New(t, "joule", "secret")
	v := "verifier-verifier-verifier-verifier-verifier"
	for name, tc := range map[string]struct {
		mod       func(url.Values)
		status    int
		wantError string
	}{
		"unknown client":   {func(q url.Values) { q.Set("client_id", "other") }, http.StatusBadRequest, ""},
		"no redirect_uri":  {func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest, ""},
		"implicit flow":    {func(q url.Values) { q.Set("response_type", "token") }, http.StatusFound, "unsupported_response_type"},
		"no openid scope":  {func(q url.Values) { q.Set("scope", "email") }, http.StatusFound, "invalid_scope"},
		"plain PKCE":       {func(q url.Values) { q.Set("code_challenge_method", "plain") }, http.StatusFound, "invalid_request"},
		"no PKCE":          {func(q url.Values) { q.Del("code_challenge_method"); q.Del("code_challenge") }, http.StatusFound, "invalid_request"},
		"short challenge":  {func(q url.Values) { q.Set("code_challenge", "abc") }, http.StatusFound, "invalid_request"},
		"valid (baseline)": {func(url.Values) {}, http.StatusFound, ""},
	} {
		q := authorizeQuery(v)
		tc.mod(q)
		status, back := authorize(t, p, q)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d", name, status, tc.status)
			continue
		}
		if status != http.StatusFound {
			continue
		}
		if back.Get("error") != tc.wantError || back.Get("state") != "st" {
			t.Errorf("%s: redirect query %v, want error %q and state st", name, back, tc.wantError)
		}
		if (tc.wantError == "") != (back.Get("code") != "") {
			t.Errorf("%s: code %q with error %q", name, back.Get("code"), back.Get("error"))
		}
	}
}

func TestTokenExchange(t *testing.T) {
	p := New(t, "joule", "s3cret")
	p.SetUser(map[string]any{"sub": "bob", "email": "bob@example.com", "groups": []string{"ops"}})
	verifier := strings.Repeat("v", 43)
	_, back := authorize(t, p, authorizeQuery(verifier))
	code := back.Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}

	// Bad client authentication does not spend the code.
	if st, body := postToken(t, p, form, "joule", "wrong"); st != 401 || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", st, body)
	}
	both := url.Values{"client_secret": {"s3cret"}}
	for k, v := range form {
		both[k] = v
	}
	if st, body := postToken(t, p, both, "joule", "s3cret"); st != 400 || body["error"] != "invalid_request" {
		t.Errorf("two auth methods: %d %v", st, body)
	}

	// client_secret_post.
	post := url.Values{"client_id": {"joule"}, "client_secret": {"s3cret"}}
	for k, v := range form {
		post[k] = v
	}
	st, body := postToken(t, p, post, "", "")
	if st != 200 {
		t.Fatalf("exchange: %d %v", st, body)
	}
	if body["token_type"] != "Bearer" || body["access_token"] == "" {
		t.Errorf("token response %v", body)
	}
	claims := verifyJWT(t, p, body["id_token"].(string))
	if claims["iss"] != p.URL || claims["aud"] != "joule" || claims["sub"] != "bob" || claims["nonce"] != "nn" || claims["email"] != "bob@example.com" {
		t.Errorf("ID token claims %v", claims)
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != IDTokenTTL.Seconds() {
		t.Errorf("exp - iat = %v, want %v", exp-iat, IDTokenTTL.Seconds())
	}
	if g, _ := claims["groups"].([]any); len(g) != 1 || g[0] != "ops" {
		t.Errorf("groups claim = %v", claims["groups"])
	}

	// One-time code, via client_secret_basic this time.
	if st, body := postToken(t, p, form, "joule", "s3cret"); st != 400 || body["error_description"] != "code already used" {
		t.Errorf("reused code: %d %v", st, body)
	}
	if n := p.Exchanges(); n != 1 {
		t.Errorf("Exchanges = %d, want 1", n)
	}
	want := []string{"invalid_client: client authentication failed", "invalid_request: more than one client authentication method", "invalid_grant: code already used"}
	if got := p.Refusals(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Refusals = %q, want %q", got, want)
	}
}

func TestTokenChecksRedirectAndVerifier(t *testing.T) {
	p := New(t, "joule", "s3cret")
	verifier := strings.Repeat("w", 43)
	for name, tc := range map[string]struct {
		mod  func(url.Values)
		desc string
	}{
		"redirect_uri": {func(f url.Values) { f.Set("redirect_uri", "https://evil.example/cb") }, "redirect_uri does not match the authorization request"},
		"verifier":     {func(f url.Values) { f.Set("code_verifier", strings.Repeat("x", 43)) }, "PKCE verification failed"},
		"no verifier":  {func(f url.Values) { f.Del("code_verifier") }, "PKCE verification failed"},
		"grant type":   {func(f url.Values) { f.Set("grant_type", "password") }, "only authorization_code is supported"},
	} {
		_, back := authorize(t, p, authorizeQuery(verifier))
		form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
		tc.mod(form)
		if st, body := postToken(t, p, form, "joule", "s3cret"); st != 400 || body["error_description"] != tc.desc {
			t.Errorf("%s: %d %v, want 400 %q", name, st, body, tc.desc)
		}
	}
	if n := p.Exchanges(); n != 0 {
		t.Errorf("Exchanges = %d, want 0", n)
	}
}

// verifyJWT checks an RS256 JWT against the provider's /jwks and returns
// its claims.
func verifyJWT(t *testing.T, p *Provider, jwt string) map[string]any {
	t.Helper()
	resp, err := p.Client().Get(p.URL + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kty, Alg, Kid, N, E string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v, %d keys", err, len(set.Keys))
	}
	k := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	var header map[string]string
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(h, &header); err != nil || header["alg"] != "RS256" || header["kid"] != k.Kid {
		t.Fatalf("JWT header %s", h)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("JWT signature: %v", err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
