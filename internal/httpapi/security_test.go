package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// testCertPEM returns a self-signed certificate, PEM-encoded.
func testCertPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Test Root", Organization: []string{"Joule"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// jsonString is s as a JSON string literal.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// body reads a response body as a map.
func bodyMap(t *testing.T, res *http.Response, status int) map[string]any {
	t.Helper()
	var m map[string]any
	want(t, res, status, &m)
	return m
}

// rejects runs a table of requests that must fail with a problem whose
// detail mentions a word (the field at fault).
type rejectCase struct {
	name, method, path, body string
	status                   int
	inDetail                 string
}

func runRejects(t *testing.T, e *testEnv, cases []rejectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code := charging.EINVALID
			switch tc.status {
			case 404:
				code = charging.ENOTFOUND
			case 409:
				code = charging.ECONFLICT
			}
			p := wantProblem(t, e.do(t, tc.method, tc.path, tc.body), tc.status, code)
			if !strings.Contains(p.Detail, tc.inDetail) {
				t.Errorf("detail = %q, want it to mention %q", p.Detail, tc.inDetail)
			}
		})
	}
}

func TestRegisterCharger(t *testing.T) {
	e := newEnv(t, httpapi.Options{})

	res := e.do(t, "POST", "/api/v1/chargers", `{"id":"CP-7"}`)
	if loc := res.Header.Get("Location"); loc != "/api/v1/chargers/CP-7" {
		t.Errorf("Location = %q, want /api/v1/chargers/CP-7", loc)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store on a response with a password", cc)
	}
	var got struct {
		Charger  charging.Charger `json:"charger"`
		Password string           `json:"password"`
	}
	want(t, res, http.StatusCreated, &got)
	if got.Charger.ID != "CP-7" || got.Charger.SecurityProfile != 1 || got.Password != fakePassword {
		t.Errorf("answer = %+v, want CP-7 at profile 1 with the generated password", got)
	}
	if r := e.svc.sec.registered; r.SecurityProfile != charging.ProfileBasic || r.Password != "" || r.ID != "CP-7" {
		t.Errorf("registration = %+v, want CP-7, profile 1 (the default), no password", r)
	}

	// The password is shown once: never by a later read.
	for _, path := range []string{"/api/v1/chargers/CP-7", "/api/v1/chargers"} {
		res := e.do(t, "GET", path, "")
		b, _ := io.ReadAll(res.Body)
		if strings.Contains(string(b), fakePassword) || strings.Contains(string(b), `"password"`) {
			t.Errorf("GET %s = %s, want no password", path, b)
		}
	}
	c := bodyMap(t, e.do(t, "GET", "/api/v1/chargers/CP-7", ""), http.StatusOK)
	if _, ok := c["password"]; ok || c["securityProfile"] != 1.0 || c["admission"] != "Accepted" {
		t.Errorf("charger = %v, want securityProfile 1, admission Accepted and no password", c)
	}

	// Profiles 0 and 3 get no password; nor does an operator-chosen one.
	for _, tc := range []struct{ body, id string }{
		{`{"id":"CP-0","securityProfile":0}`, "CP-0"},
		{`{"id":"CP-3","securityProfile":3,"ocppVersionOverride":"ocpp2.0.1"}`, "CP-3"},
		{`{"id":"CP-own","securityProfile":2,"password":"Tr0ub4dor&3-horse-staple"}`, "CP-own"},
	} {
		m := bodyMap(t, e.do(t, "POST", "/api/v1/chargers", tc.body), http.StatusCreated)
		if _, ok := m["password"]; ok {
			t.Errorf("%s: answer %v has a password, want none", tc.body, m)
		}
		if ch, _ := m["charger"].(map[string]any); ch["id"] != tc.id {
			t.Errorf("%s: charger = %v, want %s", tc.body, m["charger"], tc.id)
		}
	}
	if r := e.svc.sec.registered; r.Password != "Tr0ub4dor&3-horse-staple" || r.SecurityProfile != 2 {
		t.Errorf("registration = profile %d, want 2 with the operator's password passed on", r.SecurityProfile)
	}
	if r := e.svc.chargers["CP-3"]; r.OCPPVersionOverride != charging.OCPP201 {
		t.Errorf("CP-3 override = %q, want ocpp2.0.1", r.OCPPVersionOverride)
	}

	// A 48-character id of multi-byte characters is fine.
	want(t, e.do(t, "POST", "/api/v1/chargers", `{"id":"`+strings.Repeat("é", 48)+`"}`), http.StatusCreated, nil)

	// Nothing was logged with a secret in it.
	if logs := e.logs.String(); strings.Contains(logs, fakePassword) || strings.Contains(logs, "Tr0ub4dor") {
		t.Errorf("a password reached the log:\n%s", logs)
	}
}

func TestRegisterChargerRejects(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	runRejects(t, e, []rejectCase{
		{"no id", "POST", "/api/v1/chargers", `{}`, 400, "id"},
		{"empty id", "POST", "/api/v1/chargers", `{"id":""}`, 400, "id"},
		{"id too long", "POST", "/api/v1/chargers", `{"id":"` + strings.Repeat("x", 49) + `"}`, 400, "48"},
		{"id with colon", "POST", "/api/v1/chargers", `{"id":"CP:1"}`, 400, "id"},
		{"id with slash", "POST", "/api/v1/chargers", `{"id":"CP/1"}`, 400, "id"},
		{"id with space", "POST", "/api/v1/chargers", `{"id":"CP 1"}`, 400, "id"},
		{"id with control", "POST", "/api/v1/chargers", `{"id":"CP\u00071"}`, 400, "id"},
		{"id a dot-segment", "POST", "/api/v1/chargers", `{"id":".."}`, 400, "dot-segment"},
		{"id not a string", "POST", "/api/v1/chargers", `{"id":7}`, 400, "id"},
		{"profile 4", "POST", "/api/v1/chargers", `{"id":"CP-9","securityProfile":4}`, 400, "securityProfile"},
		{"profile -1", "POST", "/api/v1/chargers", `{"id":"CP-9","securityProfile":-1}`, 400, "securityProfile"},
		{"profile a string", "POST", "/api/v1/chargers", `{"id":"CP-9","securityProfile":"1"}`, 400, "securityProfile"},
		{"bad override", "POST", "/api/v1/chargers", `{"id":"CP-9","ocppVersionOverride":"ocpp2.1"}`, 400, "ocppVersionOverride"},
		{"password with profile 0", "POST", "/api/v1/chargers", `{"id":"CP-9","securityProfile":0,"password":"Tr0ub4dor&3-horse-staple"}`, 400, "password"},
		{"password with profile 3", "POST", "/api/v1/chargers", `{"id":"CP-9","securityProfile":3,"password":"Tr0ub4dor&3-horse-staple"}`, 400, "password"},
		{"unknown field", "POST", "/api/v1/chargers", `{"id":"CP-9","profile":1}`, 400, `"profile"`},
		{"not an object", "POST", "/api/v1/chargers", `["CP-9"]`, 400, "object"},
		{"exists", "POST", "/api/v1/chargers", `{"id":"CP-1"}`, 409, "CP-1"},
	})
	if _, ok := e.svc.chargers["CP-9"]; ok {
		t.Error("a refused registration created CP-9")
	}

	// JSON cannot carry invalid UTF-8 (it decodes to U+FFFD); the check is still there.
	if err := httpapi.ValidChargerID("CP-\xff"); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("ValidChargerID(invalid UTF-8) = %v, want an error naming UTF-8", err)
	}
}

// TestBadPasswordIsNotQuoted: a 400 about a password never contains it.
func TestBadPasswordIsNotQuoted(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	for _, tc := range []struct{ name, pw string }{
		{"short", "hunter2-secret"},
		{"too simple", "aaaaaaaabbbbbbbbaaaa"},
		{"too long", strings.Repeat("0123456789", 5)},
		{"control character", "Tr0ub4dor&3-horse\u0007staple"},
	} {
		for _, req := range []struct{ path, body string }{
			{"/api/v1/chargers", `{"id":"CP-9","password":` + jsonString(tc.pw) + `}`},
			{"/api/v1/chargers/CP-1/password", `{"password":` + jsonString(tc.pw) + `}`},
		} {
			t.Run(tc.name+req.path, func(t *testing.T) {
				p := wantProblem(t, e.do(t, "POST", req.path, req.body), http.StatusBadRequest, charging.EINVALID)
				if !strings.Contains(p.Detail, "password") || strings.Contains(p.Detail, tc.pw) || strings.Contains(p.Detail, "hunter") {
					t.Errorf("detail = %q, want it to name the password field without quoting the password", p.Detail)
				}
			})
		}
	}
	// Broken JSON inside the password string: the error does not show the body.
	p := wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-1/password", `{"password":"s3cr\et-part"}`), http.StatusBadRequest, charging.EINVALID)
	if p.Detail != "request body is not valid JSON" {
		t.Errorf("detail = %q, want no quoted character of the body", p.Detail)
	}
	if e.svc.sec.password != "" {
		t.Errorf("SetChargerPassword called with a refused password")
	}
}

func TestDeleteCharger(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	res := e.do(t, "DELETE", "/api/v1/chargers/CP-1", "")
	want(t, res, http.StatusNoContent, nil)
	wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-1", ""), http.StatusNotFound, charging.ENOTFOUND)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/chargers/CP-1", ""), http.StatusNotFound, charging.ENOTFOUND)
}

func TestChargerPassword(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)

	for _, body := range []string{"", `{}`} {
		var got charging.PasswordResult
		res := e.do(t, "POST", "/api/v1/chargers/CP-1/password", body)
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		want(t, res, http.StatusOK, &got)
		if got.Password != fakePassword || got.Delivery != "Accepted" || e.svc.sec.passwordFor != "CP-1" || e.svc.sec.password != "" {
			t.Errorf("body %q: answer %+v (asked %q for %s), want Joule's generated password, delivered", body, got, e.svc.sec.password, e.svc.sec.passwordFor)
		}
	}

	var got charging.PasswordResult
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/password", `{"password":"Tr0ub4dor&3-horse-staple"}`), http.StatusOK, &got)
	if got.Delivery != charging.DeliveryNotSent || e.svc.sec.password != "Tr0ub4dor&3-horse-staple" {
		t.Errorf("answer %+v, want the operator's password passed on and not sent", got)
	}

	// Only the issuing response shows it.
	c := bodyMap(t, e.do(t, "GET", "/api/v1/chargers/CP-1", ""), http.StatusOK)
	if _, ok := c["password"]; ok || c["passwordPending"] != true {
		t.Errorf("charger = %v, want passwordPending and no password", c)
	}

	runRejects(t, e, []rejectCase{
		{"unknown charger", "POST", "/api/v1/chargers/CP-404/password", "", 404, "CP-404"},
		{"password a number", "POST", "/api/v1/chargers/CP-1/password", `{"password":12345}`, 400, "password"},
		{"unknown field", "POST", "/api/v1/chargers/CP-1/password", `{"pasword":"x"}`, 400, "pasword"},
	})
}

func TestAcceptRejectCharger(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	e.svc.chargers["CP-P"] = charging.Charger{ID: "CP-P", Admission: charging.AdmissionPending, SecurityProfile: 0, Connectors: []charging.Connector{}}

	var acc struct {
		Charger  charging.Charger `json:"charger"`
		Password string           `json:"password"`
		Delivery string           `json:"delivery"`
	}
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-P/accept", ""), http.StatusOK, &acc)
	if acc.Charger.Admission != charging.AdmissionAccepted || acc.Charger.SecurityProfile != 1 ||
		acc.Password != fakePassword || acc.Delivery != charging.DeliveryOffline {
		t.Errorf("accept = %+v, want Accepted at profile 1 with a password (offline)", acc)
	}
	// Accepting a charger that keeps its credentials issues no password.
	m := bodyMap(t, e.do(t, "POST", "/api/v1/chargers/CP-P/accept", ""), http.StatusOK)
	if _, ok := m["password"]; ok {
		t.Errorf("second accept = %v, want no password", m)
	}
	if _, ok := m["delivery"]; ok {
		t.Errorf("second accept = %v, want no delivery", m)
	}

	m = bodyMap(t, e.do(t, "POST", "/api/v1/chargers/CP-P/reject", ""), http.StatusOK)
	if ch, _ := m["charger"].(map[string]any); ch["admission"] != "Rejected" || len(m) != 1 {
		t.Errorf("reject = %v, want {charger} with admission Rejected", m)
	}

	wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-404/accept", ""), http.StatusNotFound, charging.ENOTFOUND)
	wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-404/reject", ""), http.StatusNotFound, charging.ENOTFOUND)
}

func TestListChargersAdmission(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	e.svc.chargers["CP-P"] = charging.Charger{ID: "CP-P", Admission: charging.AdmissionPending, Connectors: []charging.Connector{}}
	var got struct {
		Items []charging.Charger `json:"items"`
	}
	want(t, e.do(t, "GET", "/api/v1/chargers?admission=Pending&limit=10&cursor=c", ""), http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0].ID != "CP-P" {
		t.Errorf("items = %+v, want only CP-P", got.Items)
	}
	if q := e.svc.chargerQuery; q.Admission != charging.AdmissionPending || q.Limit != 10 || q.Cursor != "c" {
		t.Errorf("query = %+v, want admission Pending, limit 10, cursor c", q)
	}
	for _, a := range []string{"Accepted", "Rejected"} {
		want(t, e.do(t, "GET", "/api/v1/chargers?admission="+a, ""), http.StatusOK, nil)
		if q := e.svc.chargerQuery; string(q.Admission) != a {
			t.Errorf("query = %+v, want admission %s", q, a)
		}
	}
	for _, path := range []string{"/api/v1/chargers?admission=pending", "/api/v1/chargers?admission=Waiting"} {
		p := wantProblem(t, e.do(t, "GET", path, ""), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, "admission") {
			t.Errorf("%s: detail %q does not name admission", path, p.Detail)
		}
	}
}

func TestPatchSecurityProfile(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	c := e.svc.chargers["CP-1"]
	c.SecurityProfile, c.MinSecurityProfile = 2, 2
	e.svc.chargers["CP-1"] = c

	var got charging.Charger
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":3}`), http.StatusOK, &got)
	if got.SecurityProfile != 3 || e.svc.sec.profile.allowDowngrade {
		t.Errorf("charger profile %d, allowDowngrade %v; want 3 without downgrade", got.SecurityProfile, e.svc.sec.profile.allowDowngrade)
	}

	// Below the floor: 409 without allowDowngrade.
	p := wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":1}`), http.StatusConflict, charging.ECONFLICT)
	if !strings.Contains(p.Detail, "allowDowngrade") {
		t.Errorf("detail = %q, want it to mention allowDowngrade", p.Detail)
	}
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":1,"allowDowngrade":true}`), http.StatusOK, &got)
	if got.SecurityProfile != 1 || !e.svc.sec.profile.allowDowngrade {
		t.Errorf("charger profile %d; want 1 with allowDowngrade passed", got.SecurityProfile)
	}

	// Both fields in one request apply both; the existing field still works alone.
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":2,"ocppVersionOverride":"ocpp2.0.1"}`), http.StatusOK, &got)
	if got.SecurityProfile != 2 || got.OCPPVersionOverride != charging.OCPP201 {
		t.Errorf("charger = profile %d override %q; want 2 and ocpp2.0.1", got.SecurityProfile, got.OCPPVersionOverride)
	}
	calls := e.svc.sec.profile.calls
	var cleared charging.Charger
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1", `{"ocppVersionOverride":""}`), http.StatusOK, &cleared)
	if cleared.OCPPVersionOverride != "" || cleared.SecurityProfile != 2 || e.svc.sec.profile.calls != calls {
		t.Errorf("override-only PATCH: override %q, profile %d, SetSecurityProfile calls %d→%d; want override cleared, profile untouched",
			cleared.OCPPVersionOverride, cleared.SecurityProfile, calls, e.svc.sec.profile.calls)
	}

	// A bad request changes nothing.
	runRejects(t, e, []rejectCase{
		{"profile 4", "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":4}`, 400, "securityProfile"},
		{"profile not a number", "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":"2"}`, 400, "securityProfile"},
		{"allowDowngrade alone", "PATCH", "/api/v1/chargers/CP-1", `{"allowDowngrade":true}`, 400, "securityProfile"},
		{"good profile, bad override", "PATCH", "/api/v1/chargers/CP-1", `{"securityProfile":0,"allowDowngrade":true,"ocppVersionOverride":"ocpp3"}`, 400, "ocppVersionOverride"},
		{"unknown charger", "PATCH", "/api/v1/chargers/CP-404", `{"securityProfile":2}`, 404, "CP-404"},
	})
	if n := e.svc.sec.profile.calls; n != calls+1 { // only the unknown charger reached the service
		t.Errorf("SetSecurityProfile calls = %d, want %d: a refused request reached the service", n, calls+1)
	}
	if c := e.svc.chargers["CP-1"]; c.SecurityProfile != 2 {
		t.Errorf("profile = %d after refused requests, want 2", c.SecurityProfile)
	}
}

func TestSecurityEvents(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.svc.sec.events = []charging.SecurityEvent{
		{ID: 2, ChargerID: "CP-1", Source: charging.SecuritySourceJoule, Type: charging.SecFailedAuth, Timestamp: at, Remote: "10.0.0.9:4000", Count: 3, ReceivedAt: at},
		{ID: 1, ChargerID: "CP-2", Source: charging.SecuritySourceCharger, Type: "TamperDetectionActivated", Timestamp: at, Count: 1, ReceivedAt: at},
	}
	var got struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"nextCursor"`
	}
	want(t, e.do(t, "GET", "/api/v1/security-events?chargerId=CP-1&source=joule&type=FailedToAuthenticateAtCsms&limit=5&cursor=x", ""), http.StatusOK, &got)
	if q := e.svc.sec.eventQuery; q != (charging.SecurityEventQuery{ChargerID: "CP-1", Source: "joule", Type: charging.SecFailedAuth, Cursor: "x", Limit: 5}) {
		t.Errorf("query = %+v, want every parameter passed", q)
	}
	if len(got.Items) != 1 || got.Items[0]["type"] != charging.SecFailedAuth || got.Items[0]["count"] != 3.0 ||
		got.Items[0]["remote"] != "10.0.0.9:4000" || got.Items[0]["timestamp"] != "2026-01-02T03:04:05Z" || got.NextCursor == nil {
		t.Errorf("page = %+v, want CP-1's failed authentication in SecurityEvent's JSON", got)
	}

	want(t, e.do(t, "GET", "/api/v1/security-events", ""), http.StatusOK, &got)
	if len(got.Items) != 2 || e.svc.sec.eventQuery != (charging.SecurityEventQuery{}) {
		t.Errorf("unfiltered: %d items, query %+v; want 2 and a zero query", len(got.Items), e.svc.sec.eventQuery)
	}

	// One charger's, by path; the id need not be registered.
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-2/security-events?source=charger", ""), http.StatusOK, &got)
	if q := e.svc.sec.eventQuery; q.ChargerID != "CP-2" || q.Source != "charger" || len(got.Items) != 1 {
		t.Errorf("query = %+v, %d items; want CP-2's charger events", q, len(got.Items))
	}

	runRejects(t, e, []rejectCase{
		{"bad source", "GET", "/api/v1/security-events?source=csms", "", 400, "source"},
		{"bad source (charger route)", "GET", "/api/v1/chargers/CP-1/security-events?source=x", "", 400, "source"},
		{"bad limit", "GET", "/api/v1/security-events?limit=0", "", 400, "limit"},
	})
}

func TestCertificates(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	cert := testCertPEM(t)

	var st struct{ Status string }
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/certificates",
		`{"certificateType":"CentralSystemRootCertificate","certificate":`+jsonString(cert)+`}`), http.StatusOK, &st)
	if in := e.svc.sec.install; st.Status != "Accepted" || in.chargerID != "CP-1" || in.certType != charging.CertCentralSystemRoot || in.certPEM != cert {
		t.Errorf("status %q, InstallCertificate(%q, %q, ...); want Accepted for CP-1's CentralSystemRootCertificate", st.Status, in.chargerID, in.certType)
	}
	// A chain is fine.
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/certificates",
		`{"certificateType":"ManufacturerRootCertificate","certificate":`+jsonString(cert+cert)+`}`), http.StatusOK, nil)

	var installed charging.InstalledCertificates
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1/certificates?certificateType=CentralSystemRootCertificate&certificateType=V2GRootCertificate", ""), http.StatusOK, &installed)
	if got := e.svc.sec.certTypes; len(got) != 2 || got[0] != charging.CertCentralSystemRoot || got[1] != charging.CertV2GRoot {
		t.Errorf("certificate types = %q, want both, in order", got)
	}
	if installed.Status != "Accepted" || len(installed.Certificates) != 1 || installed.Certificates[0].SerialNumber != "01" {
		t.Errorf("installed = %+v, want the fake's one certificate", installed)
	}
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1/certificates", ""), http.StatusOK, nil)
	if e.svc.sec.certTypes != nil {
		t.Errorf("certificate types = %q, want none (every type)", e.svc.sec.certTypes)
	}

	// An item of the list can be sent back as is.
	item, _ := json.Marshal(installed.Certificates[0])
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/certificates/delete", string(item)), http.StatusOK, &st)
	if d := e.svc.sec.deleted; st.Status != "Accepted" || d.HashAlgorithm != "SHA256" || d.IssuerNameHash != "aa11" || d.IssuerKeyHash != "bb22" || d.SerialNumber != "01" {
		t.Errorf("status %q, DeleteCertificate(%+v); want the hash data passed", st.Status, d)
	}

	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/certificates/renew", ""), http.StatusOK, &st)
	if st.Status != "Accepted" || e.svc.sec.renewed != "CP-1" {
		t.Errorf("renew: status %q for %q, want Accepted for CP-1", st.Status, e.svc.sec.renewed)
	}

	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/extended-trigger", `{"requestedMessage":"SignChargePointCertificate"}`), http.StatusOK, &st)
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/extended-trigger", `{"requestedMessage":"StatusNotification","connectorId":2}`), http.StatusOK, &st)
	if tr := e.svc.sec.trigger; tr.chargerID != "CP-1" || tr.message != "StatusNotification" || tr.connectorID != 2 {
		t.Errorf("trigger = %+v, want CP-1 StatusNotification on 2", tr)
	}

	e.svc.err["RenewCertificate"] = charging.Errorf(charging.EUNAVAILABLE, "charger CP-1 is offline")
	wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-1/certificates/renew", ""), http.StatusConflict, charging.EUNAVAILABLE)

	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
	badDER := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}))
	hash := `"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"01"`
	runRejects(t, e, []rejectCase{
		{"install: bad type", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ChargePointCertificate","certificate":` + jsonString(cert) + `}`, 400, "certificateType"},
		{"install: no type", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificate":` + jsonString(cert) + `}`, 400, "certificateType"},
		{"install: no certificate", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate"}`, 400, "certificate"},
		{"install: not PEM", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate","certificate":"MIIB..."}`, 400, "certificate"},
		{"install: a key", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate","certificate":` + jsonString(keyPEM) + `}`, 400, "certificate"},
		{"install: bad DER", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate","certificate":` + jsonString(badDER) + `}`, 400, "certificate"},
		{"install: trailing junk", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate","certificate":` + jsonString(cert+"junk") + `}`, 400, "certificate"},
		{"install: too long", "POST", "/api/v1/chargers/CP-1/certificates", `{"certificateType":"ManufacturerRootCertificate","certificate":` + jsonString(strings.Repeat(cert, 20)) + `}`, 400, "5500"},
		{"list: bad type", "GET", "/api/v1/chargers/CP-1/certificates?certificateType=Root", "", 400, "certificateType"},
		{"list: unknown charger", "GET", "/api/v1/chargers/CP-404/certificates", "", 404, "CP-404"},
		{"delete: bad algorithm", "POST", "/api/v1/chargers/CP-1/certificates/delete", `{"hashAlgorithm":"MD5","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"01"}`, 400, "hashAlgorithm"},
		{"delete: no issuerNameHash", "POST", "/api/v1/chargers/CP-1/certificates/delete", `{"hashAlgorithm":"SHA256","issuerKeyHash":"bb","serialNumber":"01"}`, 400, "issuerNameHash"},
		{"delete: no issuerKeyHash", "POST", "/api/v1/chargers/CP-1/certificates/delete", `{"hashAlgorithm":"SHA256","issuerNameHash":"aa","serialNumber":"01"}`, 400, "issuerKeyHash"},
		{"delete: long serialNumber", "POST", "/api/v1/chargers/CP-1/certificates/delete", `{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"` + strings.Repeat("0", 41) + `"}`, 400, "serialNumber"},
		{"delete: unknown field", "POST", "/api/v1/chargers/CP-1/certificates/delete", `{` + hash + `,"serial":"01"}`, 400, `"serial"`},
		{"trigger: bad message", "POST", "/api/v1/chargers/CP-1/extended-trigger", `{"requestedMessage":"Reset"}`, 400, "requestedMessage"},
		{"trigger: negative connector", "POST", "/api/v1/chargers/CP-1/extended-trigger", `{"requestedMessage":"MeterValues","connectorId":-1}`, 400, "connectorId"},
	})
}

func TestCACertificate(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	wantProblem(t, e.do(t, "GET", "/api/v1/pki/ca.pem", ""), http.StatusNotFound, charging.ENOTFOUND)

	e.svc.sec.caPEM = testCertPEM(t)
	res := e.do(t, "GET", "/api/v1/pki/ca.pem", "")
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-pem-file" || string(b) != e.svc.sec.caPEM {
		t.Errorf("GET ca.pem = %d %s %q, want 200 application/x-pem-file with the CA's PEM", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

func TestLogs(t *testing.T) {
	e := newEnv(t, httpapi.Options{FilesDir: t.TempDir(), PublicURL: "https://csms.example.com/"})
	fixtures(e.svc)

	res := e.do(t, "POST", "/api/v1/chargers/CP-1/logs",
		`{"logType":"SecurityLog","oldestTimestamp":"2026-01-01T00:00:00Z","latestTimestamp":"2026-01-02T00:00:00Z","retries":2,"retryInterval":30}`)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST logs = %d %s, want 201", res.StatusCode, b)
	}
	if strings.Contains(string(b), "tok-1") {
		t.Errorf("job JSON %s shows the upload token", b)
	}
	var job map[string]any
	_ = json.Unmarshal(b, &job)
	if job["logType"] != "SecurityLog" || job["requestId"] != 7.0 || job["id"] != "L1" || job["status"] != "Requested" {
		t.Errorf("job = %v, want L1, SecurityLog, requestId 7, Requested", job)
	}
	lr := e.svc.sec.logRequest
	if lr.Location != "https://csms.example.com/api/v1/diagnostics-uploads/tok-1" {
		t.Errorf("upload URL = %q, want it under the public URL, on the diagnostics upload route", lr.Location)
	}
	if lr.LogType != "SecurityLog" || lr.OldestTimestamp == nil || lr.LatestTimestamp == nil || *lr.Retries != 2 || *lr.RetryIntervalS != 30 {
		t.Errorf("log request = %+v, want every field passed", lr)
	}

	// Without a public URL, the request's host.
	e2 := newEnv(t, httpapi.Options{FilesDir: t.TempDir()})
	want(t, e2.do(t, "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"DiagnosticsLog"}`), http.StatusCreated, nil)
	if got, wantURL := e2.svc.sec.logRequest.Location, e2.srv.URL+"/api/v1/diagnostics-uploads/tok-1"; got != wantURL {
		t.Errorf("upload URL = %q, want %q", got, wantURL)
	}

	// The list holds the GetLog jobs only.
	e.svc.diagJobs = []charging.DiagnosticsJob{
		{ID: "L2", ChargerID: "CP-1", LogType: "DiagnosticsLog", RequestID: 8, Status: "Uploaded", History: []charging.JobStatus{}},
		{ID: "D1", ChargerID: "CP-1", Status: "Uploaded", History: []charging.JobStatus{}},
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1/logs", ""), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0]["id"] != "L2" {
		t.Errorf("logs = %v, want only L2", list.Items)
	}
	e.svc.diagJobs = nil
	res = e.do(t, "GET", "/api/v1/chargers/CP-1/logs", "")
	if b, _ := io.ReadAll(res.Body); strings.TrimSpace(string(b)) != `{"items":[]}` {
		t.Errorf("no logs = %s, want {\"items\":[]}", b)
	}

	runRejects(t, e, []rejectCase{
		{"no logType", "POST", "/api/v1/chargers/CP-1/logs", `{}`, 400, "logType"},
		{"bad logType", "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"AuditLog"}`, 400, "logType"},
		{"no body", "POST", "/api/v1/chargers/CP-1/logs", ``, 400, "empty"},
		{"reversed window", "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"SecurityLog","oldestTimestamp":"2026-01-02T00:00:00Z","latestTimestamp":"2026-01-01T00:00:00Z"}`, 400, "latestTimestamp"},
		{"bad time", "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"SecurityLog","oldestTimestamp":"yesterday"}`, 400, "oldestTimestamp"},
		{"negative retries", "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"SecurityLog","retries":-1}`, 400, "retries"},
		{"negative interval", "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"SecurityLog","retryInterval":-1}`, 400, "retryInterval"},
	})

	e.svc.err["RequestLog"] = charging.Errorf(charging.ENOTFOUND, "charger CP-404 not found")
	wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-404/logs", `{"logType":"SecurityLog"}`), http.StatusNotFound, charging.ENOTFOUND)

	// No data directory: nowhere to put the upload.
	e3 := newEnv(t, httpapi.Options{})
	wantProblem(t, e3.do(t, "POST", "/api/v1/chargers/CP-1/logs", `{"logType":"SecurityLog"}`), http.StatusServiceUnavailable, charging.EUNAVAILABLE)
}

func TestSignedFirmware(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	cert := testCertPEM(t)

	var job map[string]any
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/firmware-updates",
		`{"location":"https://fw.example.com/2.0.bin","retrieveDate":"2026-12-01T02:00:00Z","installDate":"2026-12-01T03:00:00Z",`+
			`"signingCertificate":`+jsonString(cert)+`,"signature":"c2lnbmF0dXJl"}`), http.StatusCreated, &job)
	sf := e.svc.sec.signed
	if sf == nil || sf.SigningCertificate != cert || sf.Signature != "c2lnbmF0dXJl" || sf.InstallDate == nil ||
		!sf.InstallDate.Equal(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)) || sf.RequestID != 9 {
		t.Fatalf("UpdateFirmwareSigned got %+v, want the certificate, signature and installDate", sf)
	}
	if u := e.svc.sec.signedUpdate; u.Location != "https://fw.example.com/2.0.bin" || !u.RetrieveDate.Equal(time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("update = %+v, want location and retrieveDate passed", u)
	}
	if signed, _ := job["signed"].(map[string]any); signed["requestId"] != 9.0 || signed["signature"] != "c2lnbmF0dXJl" {
		t.Errorf("job = %v, want signed with requestId 9", job)
	}

	// Without a signature it is a plain UpdateFirmware.
	e.svc.sec.signed = nil
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://fw.example.com/2.0.bin"}`), http.StatusCreated, &job)
	if e.svc.sec.signed != nil {
		t.Error("an unsigned update called UpdateFirmwareSigned")
	}

	runRejects(t, e, []rejectCase{
		{"signature without certificate", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signature":"c2ln"}`, 400, "signingCertificate"},
		{"certificate without signature", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signingCertificate":` + jsonString(cert) + `}`, 400, "signature"},
		{"installDate unsigned", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","installDate":"2026-12-01T03:00:00Z"}`, 400, "installDate"},
		{"signature not base64", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signingCertificate":` + jsonString(cert) + `,"signature":"not base64!"}`, 400, "signature"},
		{"signature too long", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signingCertificate":` + jsonString(cert) + `,"signature":"` + strings.Repeat("AAAA", 201) + `"}`, 400, "signature"},
		{"certificate not PEM", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signingCertificate":"cert","signature":"c2ln"}`, 400, "signingCertificate"},
		{"bad installDate", "POST", "/api/v1/chargers/CP-1/firmware-updates", `{"location":"https://x/fw","signingCertificate":` + jsonString(cert) + `,"signature":"c2ln","installDate":"soon"}`, 400, "installDate"},
	})
	if e.svc.sec.signed != nil {
		t.Error("a refused signed update reached the service")
	}
}

// TestPasswordNotThroughConfiguration: the password keys are refused by the
// configuration and generic command endpoints, which would keep them in the
// command history and bypass Joule's credentials.
func TestPasswordNotThroughConfiguration(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	const pw = "Tr0ub4dor&3-horse-staple"
	for _, tc := range []struct{ name, method, path, body string }{
		{"1.6 key", "POST", "/api/v1/chargers/CP-1/configuration", `{"key":"AuthorizationKey","value":"` + pw + `"}`},
		{"1.6 key, any case", "POST", "/api/v1/chargers/CP-1/configuration", `{"key":"authorizationkey","value":"` + pw + `"}`},
		{"2.0.1 key", "POST", "/api/v1/chargers/CP-1/configuration", `{"key":"SecurityCtrlr.BasicAuthPassword","value":"` + pw + `"}`},
		{"2.0.1 key with instance", "POST", "/api/v1/chargers/CP-1/configuration", `{"key":"SecurityCtrlr#1.BasicAuthPassword","value":"` + pw + `"}`},
		{"desired", "PUT", "/api/v1/chargers/CP-1/desired-configuration/AuthorizationKey", `{"value":"` + pw + `"}`},
		{"generic 1.6", "POST", "/api/v1/chargers/CP-1/commands/ChangeConfiguration", `{"key":"AuthorizationKey","value":"` + pw + `"}`},
		{"generic 2.0.1", "POST", "/api/v1/chargers/CP-1/commands/SetVariables",
			`{"setVariableData":[{"attributeValue":"1","component":{"name":"OCPPCommCtrlr"},"variable":{"name":"HeartbeatInterval"}},` +
				`{"attributeValue":"` + pw + `","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, tc.method, tc.path, tc.body), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, "/password") || strings.Contains(p.Detail, pw) {
				t.Errorf("detail = %q, want it to point to the password endpoint without quoting the password", p.Detail)
			}
		})
	}
	if e.svc.commandCall.action != "" {
		t.Errorf("Command(%s) was called", e.svc.commandCall.action)
	}
	// Other keys pass.
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/configuration", `{"key":"HeartbeatInterval","value":"60"}`), http.StatusOK, nil)
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/commands/ChangeConfiguration", `{"key":"HeartbeatInterval","value":"60"}`), http.StatusOK, nil)
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/commands/SetVariables",
		`{"setVariableData":[{"attributeValue":"1","component":{"name":"SecurityCtrlr"},"variable":{"name":"SecurityProfile"}}]}`), http.StatusOK, nil)
}
