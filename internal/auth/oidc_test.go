package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/joule-ev/joule/internal/auth/oidctest"
	"github.com/joule-ev/joule/internal/charging"
)

const (
	testClientID     = "joule"
	testClientSecret = "client-s3cret-do-not-leak"
	testRedirect     = "https://joule.example.com/api/v1/auth/oidc/callback"
)

var testRoleMap = map[string]charging.Role{
	"joule-admins":    charging.RoleAdmin,
	"joule-operators": charging.RoleOperator,
	"joule-viewers":   charging.RoleViewer,
}

func newTestOIDC(t *testing.T, mod func(*OIDCConfig)) (*OIDC, *oidctest.Provider) {
	t.Helper()
	p := oidctest.New(t, testClientID, testClientSecret)
	cfg := OIDCConfig{
		Issuer:       p.URL,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		RedirectURL:  testRedirect,
		RoleMap:      testRoleMap,
		HTTPClient:   p.Client(),
	}
	if mod != nil {
		mod(&cfg)
	}
	o, err := NewOIDC(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return o, p
}

// callback is a sign-in begun and sent to the provider, up to the
// provider's redirect back to Joule.
type callback struct {
	authURL *url.URL
	cookie  string
	state   string
	code    string
}

// begin runs Begin and visits the authorization URL the way a browser
// would, without following the provider's redirect back.
func begin(t *testing.T, o *OIDC, p *oidctest.Provider, returnTo string) callback {
	t.Helper()
	authURL, cookie, err := o.Begin(returnTo)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatalf("Begin returned URL %q: %v", authURL, err)
	}
	client := *p.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatalf("GET authURL: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET authURL: status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("provider redirected to %q, want %q", got, testRedirect)
	}
	if e := loc.Query().Get("error"); e != "" {
		t.Fatalf("provider answered error %q: %s", e, loc.Query().Get("error_description"))
	}
	return callback{authURL: u, cookie: cookie, state: loc.Query().Get("state"), code: loc.Query().Get("code")}
}

// wantCode checks that err is a *charging.Error with code and a message
// containing msg and none of the secrets.
func wantCode(t *testing.T, err error, code, msg string, secrets ...string) {
	t.Helper()
	var ce *charging.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *charging.Error %s", err, err, code)
	}
	if ce.Code != code || !strings.Contains(ce.Message, msg) {
		t.Errorf("err = %s: %q; want %s containing %q", ce.Code, ce.Message, code, msg)
	}
	for _, s := range append(secrets, testClientSecret) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestOIDCFullFlow(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{
		"sub":            "u-42",
		"email":          " Olga.Ops@Example.COM ",
		"email_verified": true,
		"name":           "Olga Ops",
		"groups":         []any{"joule-viewers", "joule-operators", "unrelated"},
	})
	cb := begin(t, o, p, "/chargers/CP-1?tab=sessions")

	// The authorization request.
	q := cb.authURL.Query()
	if got := cb.authURL.Scheme + "://" + cb.authURL.Host + cb.authURL.Path; got != p.URL+"/authorize" {
		t.Errorf("authURL endpoint = %s, want %s/authorize", got, p.URL)
	}
	for k, want := range map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"redirect_uri":          testRedirect,
		"scope":                 "openid email profile",
		"code_challenge_method": "S256",
		"state":                 cb.state,
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authURL %s = %q, want %q", k, got, want)
		}
	}
	s, ok := o.open(cb.cookie)
	if !ok {
		t.Fatal("cannot open the cookie Begin returned")
	}
	sum := sha256.Sum256([]byte(s.Verifier))
	if got, want := q.Get("code_challenge"), base64.RawURLEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("code_challenge = %q, want S256(verifier) = %q", got, want)
	}
	if q.Get("nonce") != s.Nonce || len(s.Nonce) != 43 || len(s.State) != 43 || len(s.Verifier) != 43 {
		t.Errorf("nonce %q / state %q / verifier length %d: want the cookie's, 43 characters each", q.Get("nonce"), s.State, len(s.Verifier))
	}
	if q.Has("code_verifier") {
		t.Error("authURL carries the PKCE verifier")
	}
	// The cookie is sealed: none of its secrets show.
	for _, secret := range []string{s.State, s.Nonce, s.Verifier} {
		if strings.Contains(cb.cookie, secret) {
			t.Error("cookie value shows its content in clear")
		}
	}
	if d := time.Until(time.Unix(s.Expires, 0)); d < OIDCCookieMaxAge-5*time.Second || d > OIDCCookieMaxAge {
		t.Errorf("cookie expires in %v, want %v", d, OIDCCookieMaxAge)
	}

	id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := Identity{
		Subject:  p.URL + " u-42",
		Email:    "olga.ops@example.com",
		Name:     "Olga Ops",
		Role:     charging.RoleOperator,
		ReturnTo: "/chargers/CP-1?tab=sessions",
	}
	if id != want {
		t.Errorf("Finish = %+v\nwant     %+v", id, want)
	}
	if n := p.Exchanges(); n != 1 {
		t.Errorf("provider saw %d exchanges, want 1", n)
	}
	if r := p.Refusals(); len(r) != 0 {
		t.Errorf("provider refused %q", r)
	}
}

func TestOIDCRoleMapping(t *testing.T) {
	for _, tc := range []struct {
		name        string
		claim       string
		defaultRole charging.Role
		claims      map[string]any
		want        charging.Role // "" = EFORBIDDEN
	}{
		{"array, most powerful wins", "", "", map[string]any{"groups": []any{"joule-viewers", "joule-admins", "joule-operators"}}, charging.RoleAdmin},
		{"single string", "", "", map[string]any{"groups": "joule-viewers"}, charging.RoleViewer},
		{"non-strings ignored", "", "", map[string]any{"groups": []any{42, nil, "joule-operators"}}, charging.RoleOperator},
		{"custom claim", "roles", "", map[string]any{"roles": []any{"joule-admins"}, "groups": []any{"joule-viewers"}}, charging.RoleAdmin},
		{"nested claim", "realm_access.roles", "", map[string]any{"realm_access": map[string]any{"roles": []any{"joule-operators"}}}, charging.RoleOperator},
		{"no match, default", "", charging.RoleDriver, map[string]any{"groups": []any{"sales"}}, charging.RoleDriver},
		{"no claim, default", "", charging.RoleViewer, map[string]any{}, charging.RoleViewer},
		{"match beats default", "", charging.RoleViewer, map[string]any{"groups": []any{"joule-admins"}}, charging.RoleAdmin},
		{"no match, refused", "", "", map[string]any{"groups": []any{"sales", "Joule-Admins"}}, ""},
		{"no claim, refused", "", "", map[string]any{}, ""},
		{"claim of another type", "", "", map[string]any{"groups": map[string]any{"joule-admins": true}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, p := newTestOIDC(t, func(c *OIDCConfig) {
				c.RoleClaim = tc.claim
				c.DefaultRole = tc.defaultRole
			})
			claims := map[string]any{"sub": "u1", "email": "u1@example.com"}
			for k, v := range tc.claims {
				claims[k] = v
			}
			p.SetUser(claims)
			cb := begin(t, o, p, "/")
			id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
			if tc.want == "" {
				wantCode(t, err, charging.EFORBIDDEN, "u1@example.com has no role in Joule")
				if id != (Identity{}) {
					t.Errorf("refused sign-in returned %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if id.Role != tc.want {
				t.Errorf("Role = %q, want %q", id.Role, tc.want)
			}
		})
	}
}

func TestOIDCWrongState(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cb := begin(t, o, p, "/")
	other := begin(t, o, p, "/") // another sign-in in another tab, or an attacker's
	for name, tc := range map[string]struct{ cookie, state string }{
		"forged state":        {cb.cookie, "forged"},
		"empty state":         {cb.cookie, ""},
		"another's callback":  {cb.cookie, other.state},
		"another's cookie":    {other.cookie, cb.state},
		"no cookie":           {"", cb.state},
		"garbage cookie":      {"not-a-cookie", cb.state},
		"tampered cookie":     {flip(cb.cookie), cb.state},
		"truncated cookie":    {cb.cookie[:len(cb.cookie)-4], cb.state},
		"huge cookie":         {strings.Repeat("A", 5000), cb.state},
		"state as the cookie": {cb.state, cb.state},
	} {
		_, err := o.Finish(t.Context(), tc.cookie, tc.state, cb.code)
		if err == nil {
			t.Errorf("%s: Finish succeeded", name)
			continue
		}
		var ce *charging.Error
		if !errors.As(err, &ce) || ce.Code != charging.EUNAUTHENTICATED {
			t.Errorf("%s: err = %v, want EUNAUTHENTICATED", name, err)
		}
		if !strings.Contains(ce.Message, "start the sign-in again") {
			t.Errorf("%s: message %q does not tell to start again", name, ce.Message)
		}
	}
	// None of them reached the provider: the code is still good.
	if n, r := p.Exchanges(), p.Refusals(); n != 0 || len(r) != 0 {
		t.Errorf("provider saw %d exchanges, refusals %q; want none", n, r)
	}
	if _, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code); err != nil {
		t.Errorf("the genuine callback after the forged ones: %v", err)
	}
}

// flip changes one character in the middle of s.
func flip(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestOIDCExpiredCookie(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cb := begin(t, o, p, "/")
	o.now = func() time.Time { return time.Now().Add(OIDCCookieMaxAge + time.Second) }
	_, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	wantCode(t, err, charging.EUNAUTHENTICATED, "the sign-in took too long (more than 10m0s); start it again")
	if n := p.Exchanges(); n != 0 {
		t.Errorf("an expired sign-in exchanged its code (%d exchanges)", n)
	}
	// Just before the expiry it still works.
	o.now = func() time.Time { return time.Now().Add(OIDCCookieMaxAge - 5*time.Second) }
	if _, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code); err != nil {
		t.Errorf("Finish 9m55s after Begin: %v", err)
	}
}

func TestOIDCReusedCode(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cb := begin(t, o, p, "/")
	if _, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code); err != nil {
		t.Fatalf("first Finish: %v", err)
	}
	id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	wantCode(t, err, charging.EUNAUTHENTICATED, "the identity provider refused the sign-in code (invalid_grant: code already used)")
	if id != (Identity{}) {
		t.Errorf("replayed sign-in returned %+v", id)
	}
	if n := p.Exchanges(); n != 1 {
		t.Errorf("provider exchanged %d codes, want 1", n)
	}
	if r := p.Refusals(); len(r) != 1 || r[0] != "invalid_grant: code already used" {
		t.Errorf("provider refusals = %q, want [invalid_grant: code already used]", r)
	}
}

func TestOIDCUnknownCode(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	cb := begin(t, o, p, "/")
	_, err := o.Finish(t.Context(), cb.cookie, cb.state, "made-up-code")
	wantCode(t, err, charging.EUNAUTHENTICATED, "(invalid_grant: unknown code)")
	_, err = o.Finish(t.Context(), cb.cookie, cb.state, "")
	wantCode(t, err, charging.EUNAUTHENTICATED, "the identity provider sent no authorization code")
}

func TestOIDCTamperedVerifier(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cb := begin(t, o, p, "/")
	s, ok := o.open(cb.cookie)
	if !ok {
		t.Fatal("cannot open cookie")
	}
	original := s.Verifier
	s.Verifier = oauth2.GenerateVerifier()
	forged, err := o.seal(s)
	if err != nil {
		t.Fatal(err)
	}
	_, err = o.Finish(t.Context(), forged, cb.state, cb.code)
	wantCode(t, err, charging.EUNAUTHENTICATED, "(invalid_grant: PKCE verification failed)", s.Verifier, original)
	if n := p.Exchanges(); n != 0 {
		t.Errorf("provider exchanged %d codes despite the wrong verifier", n)
	}
	if r := p.Refusals(); len(r) != 1 || r[0] != "invalid_grant: PKCE verification failed" {
		t.Errorf("provider refusals = %q", r)
	}
	// The code is spent: one attempt only, even with the right verifier.
	_, err = o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	wantCode(t, err, charging.EUNAUTHENTICATED, "code already used")
}

func TestOIDCBadIDToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
		msg    string
	}{
		{"nonce", map[string]any{"nonce": "forged"}, "the identity provider's ID token is for another sign-in (nonce mismatch)"},
		{"audience", map[string]any{"aud": "someone-else"}, `expected audience "joule"`},
		{"issuer", map[string]any{"iss": "https://evil.example"}, "issued by a different provider"},
		{"expired", map[string]any{"exp": time.Now().Add(-time.Minute).Unix()}, "the identity provider's ID token has expired"},
		{"no subject", map[string]any{"sub": ""}, "the identity provider's ID token has no subject"},
		{"no email", map[string]any{"email": nil}, `the identity provider sent no email address`},
		{"blank email", map[string]any{"email": "  "}, `the identity provider sent no email address`},
		{"email not verified", map[string]any{"email_verified": false}, "the identity provider has not verified the email address u1@example.com"},
		{"email not verified (string)", map[string]any{"email_verified": "false"}, "has not verified the email address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, p := newTestOIDC(t, nil)
			claims := map[string]any{"sub": "u1", "email": "u1@example.com", "email_verified": true, "groups": "joule-admins"}
			for k, v := range tc.claims {
				if v == nil {
					delete(claims, k)
				} else {
					claims[k] = v
				}
			}
			p.SetUser(claims)
			cb := begin(t, o, p, "/")
			s, _ := o.open(cb.cookie)
			id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
			wantCode(t, err, charging.EUNAUTHENTICATED, tc.msg, s.Verifier, s.Nonce, cb.code)
			if id != (Identity{}) {
				t.Errorf("refused sign-in returned %+v", id)
			}
		})
	}
}

func TestOIDCEmailVerifiedTrueString(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "email_verified": "true", "given_name": "Ula", "family_name": "Um", "groups": "joule-viewers"})
	cb := begin(t, o, p, "/")
	id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Name != "Ula Um" || id.Role != charging.RoleViewer {
		t.Errorf("Finish = %+v, want name Ula Um, role viewer", id)
	}
}

func TestOIDCReturnTo(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	for _, tc := range []struct{ in, want string }{
		{"/", "/"},
		{"/chargers", "/chargers"},
		{"/chargers/CP-1?tab=sessions#top", "/chargers/CP-1?tab=sessions#top"},
		{"", "/"},
		{"//evil.example/x", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/ok\\..\\", "/"},
		{"https://evil.example/", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"chargers", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/a\x7f", "/"},
		{"/" + strings.Repeat("a", 2000), "/"},
	} {
		if got := localPath(tc.in); got != tc.want {
			t.Errorf("localPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// End to end: Begin normalizes what Finish hands back.
	for in, want := range map[string]string{"https://evil.example/": "/", "//evil.example": "/", "/sessions?page=2": "/sessions?page=2"} {
		cb := begin(t, o, p, in)
		id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
		if err != nil {
			t.Fatal(err)
		}
		if id.ReturnTo != want {
			t.Errorf("Begin(%q) … Finish ReturnTo = %q, want %q", in, id.ReturnTo, want)
		}
	}
}

func TestOIDCNodesSharingTheSecret(t *testing.T) {
	o1, p := newTestOIDC(t, nil)
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cfg := OIDCConfig{Issuer: p.URL, ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect, RoleMap: testRoleMap, HTTPClient: p.Client()}
	o2, err := NewOIDC(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Begun on one node, finished on another.
	cb := begin(t, o1, p, "/x")
	if id, err := o2.Finish(t.Context(), cb.cookie, cb.state, cb.code); err != nil || id.ReturnTo != "/x" {
		t.Fatalf("Finish on another node = %+v, %v", id, err)
	}
	// With its own cookie key, a node cannot read another's cookies.
	cfg.CookieKey = make([]byte, 32)
	o3, err := NewOIDC(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cb = begin(t, o1, p, "/")
	_, err = o3.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	wantCode(t, err, charging.EUNAUTHENTICATED, "the sign-in session is missing or invalid")
}

func TestOIDCPublicClient(t *testing.T) {
	p := oidctest.New(t, "joule-spa", "")
	p.SetUser(map[string]any{"sub": "u9", "email": "u9@example.com", "groups": []any{"joule-operators"}})
	o, err := NewOIDC(t.Context(), OIDCConfig{Issuer: p.URL, ClientID: "joule-spa", RedirectURL: testRedirect, RoleMap: testRoleMap, HTTPClient: p.Client()})
	if err != nil {
		t.Fatal(err)
	}
	cb := begin(t, o, p, "/")
	id, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != p.URL+" u9" || id.Role != charging.RoleOperator {
		t.Errorf("Finish = %+v", id)
	}
}

func TestOIDCWrongClientSecretIsInternal(t *testing.T) {
	o, p := newTestOIDC(t, func(c *OIDCConfig) { c.ClientSecret = "wrong-secret-also-secret" })
	p.SetUser(map[string]any{"sub": "u1", "email": "u1@example.com", "groups": "joule-admins"})
	cb := begin(t, o, p, "/")
	_, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	if err == nil || charging.ErrorCode(err) != charging.EINTERNAL {
		t.Fatalf("err = %v, want an internal error (Joule's configuration is wrong)", err)
	}
	if !strings.Contains(err.Error(), "refused Joule's client credentials") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("err = %q", err)
	}
	if r := p.Refusals(); len(r) != 1 || r[0] != "invalid_client: client authentication failed" {
		t.Errorf("provider refusals = %q", r)
	}
}

func TestOIDCProviderUnreachable(t *testing.T) {
	o, p := newTestOIDC(t, nil)
	cb := begin(t, o, p, "/")
	o.oauth.Endpoint.TokenURL = "http://127.0.0.1:1/token"
	_, err := o.Finish(t.Context(), cb.cookie, cb.state, cb.code)
	if err == nil || charging.ErrorCode(err) != charging.EINTERNAL {
		t.Fatalf("err = %v, want an internal error", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	cb = begin(t, o, p, "/")
	if _, err := o.Finish(ctx, cb.cookie, cb.state, cb.code); !errors.Is(err, context.Canceled) {
		t.Errorf("Finish with a canceled context = %v, want context.Canceled", err)
	}
}

func TestNewOIDCRefusesBadConfig(t *testing.T) {
	p := oidctest.New(t, testClientID, testClientSecret)
	good := OIDCConfig{Issuer: p.URL, ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirect, HTTPClient: p.Client()}
	if _, err := NewOIDC(t.Context(), good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, tc := range map[string]struct {
		mod func(*OIDCConfig)
		msg string
	}{
		"no issuer":       {func(c *OIDCConfig) { c.Issuer = "" }, "issuer is required"},
		"no client id":    {func(c *OIDCConfig) { c.ClientID = "" }, "client id is required"},
		"no redirect":     {func(c *OIDCConfig) { c.RedirectURL = "" }, "redirect URL is required"},
		"relative redir":  {func(c *OIDCConfig) { c.RedirectURL = "/callback" }, "not an absolute URL"},
		"bad role":        {func(c *OIDCConfig) { c.RoleMap = map[string]charging.Role{"g": "root"} }, `"g" maps to "root", which is not a role`},
		"bad default":     {func(c *OIDCConfig) { c.DefaultRole = "superuser" }, `default role "superuser" is not a role`},
		"short key":       {func(c *OIDCConfig) { c.CookieKey = make([]byte, 16) }, "cookie key must be 32 bytes, got 16"},
		"issuer mismatch": {func(c *OIDCConfig) { c.Issuer = p.URL + "/" }, "discovery"},
		"unreachable":     {func(c *OIDCConfig) { c.Issuer = "http://127.0.0.1:1" }, "discovery at http://127.0.0.1:1"},
	} {
		cfg := good
		tc.mod(&cfg)
		o, err := NewOIDC(t.Context(), cfg)
		if err == nil || o != nil {
			t.Errorf("%s: NewOIDC = %v, %v; want an error", name, o, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), testClientSecret) {
			t.Errorf("%s: err = %q, want it to contain %q", name, err, tc.msg)
		}
	}
}

func TestNewOIDCScopes(t *testing.T) {
	o, _ := newTestOIDC(t, func(c *OIDCConfig) { c.Scopes = []string{"email", "groups"} })
	if got := strings.Join(o.oauth.Scopes, " "); got != "openid email groups" {
		t.Errorf("scopes = %q, want openid added first", got)
	}
	if o.oauth.Endpoint.AuthStyle != oauth2.AuthStyleInHeader {
		t.Errorf("auth style = %v, want client_secret_basic", o.oauth.Endpoint.AuthStyle)
	}
}
