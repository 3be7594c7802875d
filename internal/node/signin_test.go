package node_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/auth/oidctest"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// sessionCookie signs in and returns the browser's session cookie.
func sessionCookie(t *testing.T, api, email string) *http.Cookie {
	t.Helper()
	body := `{"email":"` + email + `","password":"` + testPassword + `"}`
	req, _ := http.NewRequest(http.MethodPost, api+"/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Test-Anonymous", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "joule_session" {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure {
				t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, not Secure over plain http", c)
			}
			return c
		}
	}
	t.Fatalf("sign-in set no joule_session cookie (status %d)", resp.StatusCode)
	return nil
}

// TestBrowserSafety: a cookie works only for same-origin JSON writes; the
// origins of --cors-origins use bearer tokens through CORS.
func TestBrowserSafety(t *testing.T) {
	n := startNode(t, node.Config{CORSOrigins: []string{"https://app.example.com"}})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CP-C", Connectors: 1})
	op := staff(t, api, "op@example.com", charging.RoleOperator)
	c := sessionCookie(t, api, "op@example.com")
	cookie := c.Name + "=" + c.Value
	reset := api + "/chargers/CP-C/reset"
	waitBootFollowUp(t, api, "CP-C")
	before := outboundCalls(t, n.Base)

	cases := []struct {
		name string
		hdr  []string
		body string
		want int
	}{
		{"cross-origin text/plain", []string{"Origin", "https://evil.example", "Content-Type", "text/plain"}, `{"type":"Soft"}`, http.StatusForbidden},
		{"cross-site form", []string{"Sec-Fetch-Site", "cross-site", "Content-Type", "application/x-www-form-urlencoded"}, `type=Soft`, http.StatusForbidden},
		{"same-site (another subdomain) JSON", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + strings.TrimPrefix(n.Base, "http://"), "Content-Type", "application/json"}, `{"type":"Soft"}`, http.StatusForbidden},
		{"same-origin text/plain", []string{"Origin", n.Base, "Sec-Fetch-Site", "same-origin", "Content-Type", "text/plain"}, `{"type":"Soft"}`, http.StatusForbidden},
		{"same-origin form", []string{"Origin", n.Base, "Content-Type", "application/x-www-form-urlencoded"}, `type=Soft`, http.StatusForbidden},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodPost, reset, strings.NewReader(tc.body))
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Test-Anonymous", "1")
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s with the cookie = %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if after := outboundCalls(t, n.Base); after != before {
		t.Errorf("refused cross-site writes sent %d OCPP calls, want 0", after-before)
	}
	// The app's own request: same origin, JSON.
	if code, _ := call(t, http.MethodPost, reset, map[string]any{"type": "Soft"}, nil, "Cookie", cookie, "Origin", n.Base, "Sec-Fetch-Site", "same-origin", "X-Test-Anonymous", "1"); code != http.StatusOK {
		t.Errorf("same-origin JSON reset with the cookie = %d, want 200", code)
	}
	// Reads with the cookie need no origin.
	if code, _ := status(t, http.MethodGet, api+"/chargers", "", "Cookie", cookie, "X-Test-Anonymous", "1"); code != http.StatusOK {
		t.Errorf("GET with the cookie = %d, want 200", code)
	}

	// CORS: the preflight of an allowed origin, then the call with a bearer token.
	pre := func(origin string) (int, http.Header) {
		return status(t, http.MethodOptions, reset, "", "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "authorization,content-type", "X-Test-Anonymous", "1")
	}
	code, h := pre("https://app.example.com")
	if code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight from the allowed origin = %d %v, want 204 allowing POST with Authorization, no credentials", code, h)
	}
	if code, h := pre("https://evil.example"); code != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin = %d (ACAO %q), want 403 without ACAO", code, h.Get("Access-Control-Allow-Origin"))
	}
	code, h = call(t, http.MethodPost, reset, map[string]any{"type": "Soft"}, nil, append(op.auth(), "Origin", "https://app.example.com")...)
	if code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("bearer call from the allowed origin = %d (ACAO %q), want 200 with ACAO", code, h.Get("Access-Control-Allow-Origin"))
	}
	if _, h := status(t, http.MethodGet, api+"/chargers", "", append(op.auth(), "Origin", "https://evil.example")...); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a call from another origin got ACAO %q, want none (the browser keeps the answer from the page)", h.Get("Access-Control-Allow-Origin"))
	}
}

// TestSignInRules: rate limits, disabled accounts, password changes,
// API keys, sign-out and closed sign-up.
func TestSignInRules(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	d := signup(t, api, "d@example.com")

	// Wrong passwords: 401, then 429 with Retry-After, even for the right one.
	for i := 0; i < 5; i++ {
		code, h := call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "D@example.com", "password": "wrong password"}, nil, "X-Test-Anonymous", "1")
		if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("wrong password %d = %d, want 401", i+1, code)
		}
	}
	code, h := call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "d@example.com", "password": testPassword}, nil, "X-Test-Anonymous", "1")
	if ra, _ := time.ParseDuration(h.Get("Retry-After") + "s"); code != http.StatusTooManyRequests || ra < time.Second {
		t.Errorf("sign-in after 5 failures = %d (Retry-After %q), want 429 with Retry-After", code, h.Get("Retry-After"))
	}
	// An unknown account answers like a wrong password (no enumeration).
	var p1, p2 problem
	call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong password"}, &p1, "X-Test-Anonymous", "1")
	call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "e@example.com", "password": "wrong password"}, &p2, "X-Test-Anonymous", "1")
	if p1.Detail != p2.Detail || p1.Detail == "" {
		t.Errorf("unknown account %q vs wrong password %q, want the same answer", p1.Detail, p2.Detail)
	}

	// Disabling a user ends their sessions at once.
	var u struct{ Disabled bool }
	if code, _ := call(t, http.MethodPatch, api+"/users/"+d.ID, map[string]any{"disabled": true}, &u); code != http.StatusOK || !u.Disabled {
		t.Fatalf("disable = %d %+v", code, u)
	}
	if code, _ := call(t, http.MethodGet, api+"/me", nil, nil, d.auth()...); code != http.StatusUnauthorized {
		t.Errorf("a disabled user's token = %d, want 401 at once", code)
	}
	call(t, http.MethodPatch, api+"/users/"+d.ID, map[string]any{"disabled": false}, nil)

	// A new password ends the other sessions; the old password stops working.
	e := signup(t, api, "e@example.com")
	e2 := login(t, api, "e@example.com", testPassword)
	if code, _ := call(t, http.MethodPatch, api+"/me", map[string]any{"password": "a new long password", "currentPassword": "wrong"}, nil, e.auth()...); code != http.StatusForbidden {
		t.Errorf("password change with a wrong current password = %d, want 403", code)
	}
	if code, _ := call(t, http.MethodPatch, api+"/me", map[string]any{"password": "short", "currentPassword": testPassword}, nil, e.auth()...); code != http.StatusBadRequest {
		t.Errorf("a too short new password = %d, want 400", code)
	}
	if code, _ := call(t, http.MethodPatch, api+"/me", map[string]any{"password": "a new long password", "currentPassword": testPassword}, nil, e.auth()...); code != http.StatusOK {
		t.Fatalf("password change = %d, want 200", code)
	}
	if code, _ := call(t, http.MethodGet, api+"/me", nil, nil, e2.auth()...); code != http.StatusUnauthorized {
		t.Errorf("another session after a password change = %d, want 401", code)
	}
	login(t, api, "e@example.com", "a new long password")

	// Sign-out ends the token.
	if code, _ := call(t, http.MethodPost, api+"/auth/logout", nil, nil, e2.auth()...); code != http.StatusUnauthorized {
		t.Errorf("sign-out with a revoked token = %d, want 401", code)
	}
	e3 := login(t, api, "e@example.com", "a new long password")
	if code, _ := call(t, http.MethodPost, api+"/auth/logout", nil, nil, e3.auth()...); code != http.StatusNoContent {
		t.Errorf("sign-out = %d, want 204", code)
	}
	if code, _ := call(t, http.MethodGet, api+"/me", nil, nil, e3.auth()...); code != http.StatusUnauthorized {
		t.Errorf("token after sign-out = %d, want 401", code)
	}

	// API keys: shown once, stored hashed, revoked at once.
	var k struct{ ID, Key, Prefix string }
	if code, _ := call(t, http.MethodPost, api+"/api-keys", map[string]any{"name": "billing backend", "role": "viewer"}, &k); code != http.StatusCreated || !strings.HasPrefix(k.Key, "jk_") {
		t.Fatalf("create API key = %d %+v", code, k)
	}
	keyAuth := []string{"Authorization", "Bearer " + k.Key}
	if code, _ := call(t, http.MethodGet, api+"/chargers", nil, nil, keyAuth...); code != http.StatusOK {
		t.Errorf("viewer key GET /chargers = %d, want 200", code)
	}
	if code, _ := call(t, http.MethodPost, api+"/id-tags", []map[string]any{{"idTag": "FREE", "status": "Accepted"}}, nil, keyAuth...); code != http.StatusForbidden {
		t.Errorf("viewer key POST /id-tags = %d, want 403", code)
	}
	var keys page[map[string]any]
	call(t, http.MethodGet, api+"/api-keys", nil, &keys)
	for _, item := range keys.Items {
		if _, ok := item["key"]; ok {
			t.Errorf("API key list shows a key: %v", item)
		}
	}
	if code, _ := call(t, http.MethodDelete, api+"/api-keys/"+k.ID, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete API key = %d", code)
	}
	if code, _ := call(t, http.MethodGet, api+"/chargers", nil, nil, keyAuth...); code != http.StatusUnauthorized {
		t.Errorf("deleted key = %d, want 401", code)
	}

	// The last admin cannot lock everyone out.
	var admins page[struct{ ID string }]
	call(t, http.MethodGet, api+"/users?role=admin", nil, &admins)
	if len(admins.Items) != 1 {
		t.Fatalf("admins = %d, want the first-run admin", len(admins.Items))
	}
	if code, _ := call(t, http.MethodPatch, api+"/users/"+admins.Items[0].ID, map[string]any{"disabled": true}, nil); code != http.StatusConflict {
		t.Errorf("disable the last admin = %d, want 409", code)
	}

	// Closed sign-up.
	closed := startNode(t, node.Config{DriverSignupClosed: true})
	if code, _ := call(t, http.MethodPost, closed.Base+"/api/v1/auth/signup", map[string]any{"email": "x@example.com", "password": testPassword, "name": "X"}, nil, "X-Test-Anonymous", "1"); code != http.StatusForbidden {
		t.Errorf("sign-up when closed = %d, want 403", code)
	}
}

// TestAudit: state-changing calls and sign-ins are recorded with who,
// what, when, from where and the outcome; commands name their user.
func TestAudit(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CP-U", Connectors: 1})
	op := staff(t, api, "op@example.com", charging.RoleOperator)
	viewer := staff(t, api, "viewer@example.com", charging.RoleViewer)
	call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "op@example.com", "password": "wrong password"}, nil, "X-Test-Anonymous", "1")
	if code, _ := call(t, http.MethodPost, api+"/chargers/CP-U/reset", map[string]any{"type": "Soft"}, nil, op.auth()...); code != http.StatusOK {
		t.Fatalf("reset = %d", code)
	}
	call(t, http.MethodPost, api+"/chargers/CP-U/reset", map[string]any{"type": "Soft"}, nil, viewer.auth()...)

	var got page[charging.AuditEntry]
	call(t, http.MethodGet, api+"/audit?actorId="+op.ID, nil, &got)
	var reset, signin *charging.AuditEntry
	for i, e := range got.Items {
		switch e.Action {
		case "POST /api/v1/chargers/{id}/reset":
			reset = &got.Items[i]
		case "POST /api/v1/auth/login":
			signin = &got.Items[i]
		}
	}
	if reset == nil || reset.ActorKind != "user" || reset.ActorName != "op@example.com" || reset.Role != charging.RoleOperator ||
		reset.Target != "CP-U" || reset.Status != http.StatusOK || reset.Outcome != charging.OutcomeSuccess || reset.RemoteAddr != "127.0.0.1" || reset.At.IsZero() {
		t.Errorf("audit of the operator's reset = %+v, want who, what, target, from where and success", reset)
	}
	if signin == nil || signin.Outcome != charging.OutcomeSuccess {
		t.Errorf("audit of the operator's sign-in = %+v, want success", signin)
	}
	call(t, http.MethodGet, api+"/audit?action=POST%20/api/v1/auth/login&outcome=denied", nil, &got)
	if len(got.Items) != 1 || got.Items[0].ActorName != "op@example.com" || got.Items[0].Status != http.StatusUnauthorized || got.Items[0].ActorKind != "anonymous" {
		t.Errorf("denied sign-ins = %+v, want the failed one for op@example.com", got.Items)
	}
	call(t, http.MethodGet, api+"/audit?actorId="+viewer.ID+"&outcome=denied", nil, &got)
	if len(got.Items) != 1 || got.Items[0].Status != http.StatusForbidden || got.Items[0].Action != "POST /api/v1/chargers/{id}/reset" {
		t.Errorf("the viewer's refused reset = %+v, want one 403 entry", got.Items)
	}
	// Paging: newest first, no entry twice.
	seen := map[int64]bool{}
	cursor, pages := "", 0
	var last int64 = 1 << 62
	for {
		call(t, http.MethodGet, api+"/audit?limit=2&cursor="+url.QueryEscape(cursor), nil, &got)
		pages++
		for _, e := range got.Items {
			if seen[e.ID] || e.ID >= last {
				t.Errorf("audit paging: entry %d out of order or twice", e.ID)
			}
			seen[e.ID], last = true, e.ID
		}
		if cursor = got.NextCursor; cursor == "" {
			break
		}
	}
	if pages < 3 || len(seen) < 5 {
		t.Errorf("audit paging: %d pages, %d entries; want several", pages, len(seen))
	}
	// The command history names the user.
	var hist page[charging.CommandRecord]
	call(t, http.MethodGet, api+"/chargers/CP-U/commands", nil, &hist)
	found := false
	for _, r := range hist.Items {
		found = found || (r.Action == "Reset" && r.RequestedBy == "user:op@example.com")
	}
	if !found {
		t.Errorf("command history = %+v, want Reset requested by user:op@example.com", hist.Items)
	}
}

// TestOIDCSignIn: an operator signs in through an identity provider
// started in the test (authorization code + PKCE), mapped to a role.
func TestOIDCSignIn(t *testing.T) {
	p := oidctest.New(t, "joule", "oidc-client-secret-123")
	p.SetUser(map[string]any{"sub": "u-42", "email": "Nora@Example.com", "email_verified": true, "name": "Nora", "groups": []string{"staff", "noc"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	n := startNodeAt(t, ln.Addr().String(), node.Config{PublicURL: base, OIDC: auth.OIDCConfig{Issuer: p.URL, ClientID: "joule", ClientSecret: "oidc-client-secret-123",
		RoleMap: map[string]charging.Role{"noc": charging.RoleOperator, "admins": charging.RoleAdmin}, HTTPClient: p.Client()}}, nil)
	api := n.Base + "/api/v1"

	var prov map[string]bool
	call(t, http.MethodGet, api+"/auth/providers", nil, &prov, "X-Test-Anonymous", "1")
	if !prov["oidc"] {
		t.Fatalf("providers = %v, want oidc", prov)
	}
	cookie := oidcSignIn(t, p, api+"/auth/oidc/login?returnTo=/operator/chargers", "/operator/chargers")
	var me struct {
		Email string
		Role  charging.Role
		Name  string
	}
	if code, _ := call(t, http.MethodGet, api+"/me", nil, &me, "Cookie", "joule_session="+cookie, "X-Test-Anonymous", "1"); code != http.StatusOK ||
		me.Email != "nora@example.com" || me.Role != charging.RoleOperator || me.Name != "Nora" {
		t.Errorf("/me after single sign-on = %d %+v, want nora@example.com, operator", code, me)
	}
	// A user whose groups map to no role is refused.
	p.SetUser(map[string]any{"sub": "u-7", "email": "guest@example.com", "groups": []string{"guests"}})
	req, _ := http.NewRequest(http.MethodGet, api+"/auth/oidc/login", nil)
	req.Header.Set("X-Test-Anonymous", "1")
	loc, jar := oidcStart(t, req)
	if code := oidcFinish(t, p, loc, jar, nil); code != http.StatusForbidden {
		t.Errorf("sign-on with no mapped role = %d, want 403", code)
	}
}

// oidcStart begins a sign-on and returns the provider URL and the cookie.
func oidcStart(t *testing.T, req *http.Request) (string, []*http.Cookie) {
	t.Helper()
	noRedirect := &http.Client{Transport: http.DefaultClient.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("oidc login = %d, want 302", resp.StatusCode)
	}
	return resp.Header.Get("Location"), resp.Cookies()
}

// oidcFinish follows the provider's redirect back to Joule's callback.
func oidcFinish(t *testing.T, p *oidctest.Provider, authURL string, jar []*http.Cookie, out *http.Response) int {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(back, "/api/v1/auth/oidc/callback?") {
		t.Fatalf("provider authorize = %d → %q, want a redirect to Joule's callback", resp.StatusCode, back)
	}
	req, _ := http.NewRequest(http.MethodGet, back, nil)
	req.Header.Set("X-Test-Anonymous", "1")
	for _, c := range jar {
		req.AddCookie(c)
	}
	noRedirect.Transport = http.DefaultClient.Transport
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if out != nil {
		*out = *resp
	}
	return resp.StatusCode
}

func oidcSignIn(t *testing.T, p *oidctest.Provider, loginURL, wantReturn string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, loginURL, nil)
	req.Header.Set("X-Test-Anonymous", "1")
	loc, jar := oidcStart(t, req)
	var resp http.Response
	if code := oidcFinish(t, p, loc, jar, &resp); code != http.StatusFound || resp.Header.Get("Location") != wantReturn {
		t.Fatalf("callback = %d → %q, want 302 to %s", code, resp.Header.Get("Location"), wantReturn)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "joule_session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatal("callback set no session cookie")
	return ""
}

// TestNoSecretsInLogs plants passwords, tokens, keys and a charger
// password in every path that handles them, with Debug logs, and greps
// the output: none of them may appear.
func TestNoSecretsInLogs(t *testing.T) {
	logs := &lockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n := startNodeAt(t, "127.0.0.1:0", node.Config{}, log)
	api := n.Base + "/api/v1"
	admin, err := adminToken(n.Data)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{admin, testPassword, "wrong-password-planted-1"}
	d := signup(t, api, "d@example.com")
	secrets = append(secrets, d.Token)
	call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "d@example.com", "password": "wrong-password-planted-1"}, nil, "X-Test-Anonymous", "1")
	call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": "d@example.com", "password": `bad"json-planted-2`}, nil, "X-Test-Anonymous", "1")
	secrets = append(secrets, "bad")
	var k struct{ Key string }
	call(t, http.MethodPost, api+"/api-keys", map[string]any{"name": "backend", "role": "operator"}, &k)
	secrets = append(secrets, k.Key)
	call(t, http.MethodGet, api+"/chargers", nil, nil, "Authorization", "Bearer jt_planted-invalid-token-3")
	secrets = append(secrets, "jt_planted-invalid-token-3")
	var reg struct{ Password string }
	call(t, http.MethodPost, api+"/chargers", map[string]any{"id": "CP-S", "securityProfile": 1}, &reg, "Authorization", "Bearer "+k.Key)
	secrets = append(secrets, reg.Password)
	call(t, http.MethodPatch, api+"/me", map[string]any{"password": "another-planted-password-4", "currentPassword": testPassword}, nil, d.auth()...)
	secrets = append(secrets, "another-planted-password-4")
	call(t, http.MethodPost, api+"/auth/setup", map[string]any{"token": "jk_planted-setup-5", "email": "a@b.c", "name": "A", "password": "planted-setup-password-6"}, nil, "X-Test-Anonymous", "1")
	secrets = append(secrets, "jk_planted-setup-5", "planted-setup-password-6")
	// A charger connecting with its password, and with a wrong one.
	c := sim.New(sim.Config{URL: n.WS, ID: "CP-S", Password: reg.Password, SecurityProfile: 1, ReconnectBackoff: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := c.WaitBooted(wctx); err != nil {
		t.Fatal(err)
	}
	wcancel()
	cancel()
	<-done

	out := logs.String()
	if !strings.Contains(out, "http request") {
		t.Fatalf("the node logged no requests at Debug; the test would prove nothing:\n%s", out)
	}
	for _, s := range secrets {
		if s == "bad" || s == "" {
			continue
		}
		if strings.Contains(out, s) {
			t.Errorf("a secret appears in the logs: %q", s)
		}
	}
	if bytes.Contains([]byte(out), []byte("planted-2")) {
		t.Error("a piece of a password from a malformed body appears in the logs")
	}
}
