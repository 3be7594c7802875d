package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(openAPISummary{m}) }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	svc  *fakeService
	bus  *inmem.Bus
	api  *httpapi.Server
	srv  *httptest.Server
	logs *syncBuffer
	// acc is a real accounts service on a SQLite store; token is its
	// first-run admin API key, which do sends unless told otherwise.
	acc   *accounts.Service
	store *sqlite.Store
	token string
}

// cheapParams keep argon2id fast in tests (the real parameters are
// measured by the auth package's benchmarks).
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newAccounts opens a store in a temp dir and bootstraps its admin.
func newAccounts(t *testing.T, cfg accounts.Config) (*accounts.Service, *sqlite.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.Params == (auth.Params{}) {
		cfg.Params = cheapParams
	}
	acc := accounts.New(st, cfg)
	if _, err := acc.Bootstrap(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	tok, err := accounts.ReadAdminToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	return acc, st, tok
}

// openStore opens a SQLite store in a temp dir, closed when the test ends.
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEnv(t *testing.T, opts httpapi.Options) *testEnv {
	t.Helper()
	bus := inmem.NewBus(inmem.WithFirstID(1))
	return newEnvBus(t, bus, bus, opts)
}

// newEnvBus serves the API with bus as its event bus; inbus is the same bus
// seen as *inmem.Bus, for publishing and counting subscribers.
func newEnvBus(t *testing.T, bus charging.EventBus, inbus *inmem.Bus, opts httpapi.Options) *testEnv {
	t.Helper()
	e := &testEnv{svc: newFakeService(), bus: inbus, logs: &syncBuffer{}}
	if opts.Accounts == nil {
		e.acc, e.store, e.token = newAccounts(t, accounts.Config{DriverSignup: true})
		opts.Accounts = e.acc
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	sites := e.store
	if sites == nil {
		sites = openStore(t)
	}
	e.svc.cards = newFakeCards(sites)
	cs := csms.New(sites, bus, nil, nil, nil, csms.Config{Payments: e.svc.cards, ValidateTariff: validateTariff})
	e.svc.sites, e.svc.payments, e.svc.tariffs, e.svc.smart = cs, cs, cs, cs
	e.api = httpapi.NewServer(e.svc, bus, opts)
	e.srv = httptest.NewServer(checker(t).Handler(t, e.api.Handler()))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *testEnv) do(t *testing.T, method, path, body string, header ...string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Authorization" && header[i+1] == "" {
			req.Header.Del("Authorization") // an anonymous call
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// want checks the status and decodes the JSON body into v (when not nil).
func want(t *testing.T, res *http.Response, status int, v any) {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status = %d, want %d; body: %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, status, body)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
}

// wantProblem checks an RFC 9457 response and returns it.
func wantProblem(t *testing.T, res *http.Response, status int, code string) httpapi.Problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	want(t, res, status, &p)
	if p.Status != status || p.Code != code || p.Type != httpapi.ProblemTypeBase+code || p.Title == "" {
		t.Errorf("problem = %+v, want status %d, code %q, type %s%s and a title", p, status, code, httpapi.ProblemTypeBase, code)
	}
	return p
}

func resolved(k charging.Connector) charging.Connector {
	k.Resolve()
	return k
}

func fixtures(f *fakeService) {
	seen := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.chargers["CP-1"] = charging.Charger{
		ID: "CP-1", Vendor: "Acme", Model: "X1", OCPPVersion: charging.OCPP16, Online: true,
		LastSeenAt: &seen, RegistrationStatus: charging.RegistrationAccepted, Admission: charging.AdmissionAccepted,
		Connectors: []charging.Connector{
			{ConnectorID: 1, Status: charging.StatusAvailable, ErrorCode: "NoError"},
			resolved(charging.Connector{ConnectorID: 2, Status: charging.StatusCharging, ErrorCode: "NoError",
				Operator: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, MaxPowerW: 50000}}),
		},
	}
	f.sessions["S-1"] = charging.Session{ID: "S-1", ChargerID: "CP-1", ConnectorID: 2, IDTag: "TAG-1",
		TransactionID: "7", Status: charging.SessionActive, Origin: charging.OriginRemote, EnergyWh: 1200.5, PowerW: 7208}
	f.samples["S-1"] = []charging.MeterSample{
		{ID: 1, SessionID: "S-1", ChargerID: "CP-1", ConnectorID: 2, Timestamp: seen,
			Measurand: charging.MeasurandEnergyActiveImportRegister, Unit: "Wh", Value: 1200.5},
	}
}

func TestLivez(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.svc.err["Ready"] = errors.New("db down") // liveness checks no dependency
	want(t, e.do(t, "GET", "/livez", ""), http.StatusOK, nil)
}

func TestReadyz(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	want(t, e.do(t, "GET", "/readyz", ""), http.StatusOK, nil)

	e.svc.err["Ready"] = errors.New("sqlite: database is locked")
	res := e.do(t, "GET", "/readyz", "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("service not ready: status = %d, want 503", res.StatusCode)
	}
	if strings.Contains(string(body), "locked") {
		t.Errorf("readyz body %q leaks the error; want details only in the log", body)
	}
	if !strings.Contains(e.logs.String(), "database is locked") {
		t.Errorf("log lacks the readiness error; log:\n%s", e.logs)
	}

	// A full disk: not ready, with a Retry-After, and every write the
	// service refuses for it is a 503 problem with a Retry-After, not a 500.
	e.svc.err["Ready"] = charging.Errorf(charging.ESTORAGEFULL, "the disk is full")
	res = e.do(t, "GET", "/readyz", "")
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "disk is full") {
		t.Errorf("readyz with a full disk = %d %q (Retry-After %q), want 503 saying so with a Retry-After", res.StatusCode, body, res.Header.Get("Retry-After"))
	}
	e.svc.err["ListSessions"] = fmt.Errorf("sqlite: %w", charging.Errorf(charging.ESTORAGEFULL, "the disk is full: nothing was written"))
	res = e.do(t, "GET", "/api/v1/sessions", "")
	var p httpapi.Problem
	_ = json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") != "60" || p.Code != charging.ESTORAGEFULL ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("API with a full disk = %d %+v (Retry-After %q), want 503 storage_full with Retry-After 60", res.StatusCode, p, res.Header.Get("Retry-After"))
	}
	e.svc.err["ListSessions"] = nil

	e.svc.err["Ready"] = nil
	e.api.SetShuttingDown()
	e.api.SetShuttingDown() // idempotent
	want(t, e.do(t, "GET", "/readyz", ""), http.StatusServiceUnavailable, nil)
}

func TestListChargers(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)

	var got struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"nextCursor"`
	}
	want(t, e.do(t, "GET", "/api/v1/chargers", ""), http.StatusOK, &got)
	if len(got.Items) != 1 || got.NextCursor == nil || *got.NextCursor != "" {
		t.Fatalf("page = %+v, want 1 item and nextCursor \"\"", got)
	}
	c := got.Items[0]
	if c["id"] != "CP-1" || c["ocppVersion"] != "ocpp1.6" || c["online"] != true || c["lastSeenAt"] != "2025-03-01T12:00:00Z" {
		t.Errorf("charger JSON = %v, want the charging.Charger json tags", c)
	}
	conns, _ := c["connectors"].([]any)
	if len(conns) != 2 || conns[1].(map[string]any)["maxPowerW"] != 50000.0 {
		t.Errorf("connectors = %v, want 2 with maxPowerW on the second", c["connectors"])
	}
	if q := e.svc.chargerQuery; q != (charging.ChargerQuery{}) {
		t.Errorf("query = %+v, want zero (store defaults)", q)
	}

	want(t, e.do(t, "GET", "/api/v1/chargers?limit=1&cursor=abc", ""), http.StatusOK, &got)
	if q := e.svc.chargerQuery; q.Limit != 1 || q.Cursor != "abc" {
		t.Errorf("query = %+v, want limit 1 cursor abc", q)
	}
	if *got.NextCursor != "next-abc" {
		t.Errorf("nextCursor = %q, want next-abc", *got.NextCursor)
	}
}

func TestListEmptyIsArray(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	res := e.do(t, "GET", "/api/v1/chargers", "")
	body, _ := io.ReadAll(res.Body)
	if got := strings.TrimSpace(string(body)); got != `{"items":[],"nextCursor":""}` {
		t.Errorf("empty list = %s, want {\"items\":[],\"nextCursor\":\"\"}", got)
	}
}

func TestBadLimit(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	for _, path := range []string{
		"/api/v1/chargers?limit=0",
		"/api/v1/chargers?limit=-1",
		"/api/v1/chargers?limit=1001",
		"/api/v1/chargers?limit=ten",
		"/api/v1/sessions?limit=0",
		"/api/v1/sessions/S-1/meter-values?limit=5000",
	} {
		p := wantProblem(t, e.do(t, "GET", path, ""), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, "limit") {
			t.Errorf("%s: detail %q does not name limit", path, p.Detail)
		}
	}
	want(t, e.do(t, "GET", "/api/v1/chargers?limit=1000", ""), http.StatusOK, nil)
}

func TestGetCharger(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	var c charging.Charger
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1", ""), http.StatusOK, &c)
	if c.ID != "CP-1" || len(c.Connectors) != 2 {
		t.Errorf("charger = %+v, want CP-1 with 2 connectors", c)
	}
	p := wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-404", ""), http.StatusNotFound, charging.ENOTFOUND)
	if p.Detail != "charger CP-404 not found" {
		t.Errorf("detail = %q, want the error's message", p.Detail)
	}
}

func TestUpdateConnector(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)

	var c charging.Connector
	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/1", `{"type":"Type2","maxPowerW":22000}`), http.StatusOK, &c)
	if c.ConnectorID != 1 || c.Type != "Type2" || c.MaxPowerW != 22000 {
		t.Errorf("connector = %+v, want 1 Type2 22000 W", c)
	}

	want(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/2", `{"maxPowerW":150000}`), http.StatusOK, &c)
	if e.svc.update.Type != nil || e.svc.update.MaxPowerW == nil || *e.svc.update.MaxPowerW != 150000 {
		t.Errorf("update = %+v, want only maxPowerW set", e.svc.update)
	}
	if c.Type != "CCS2" || c.ConnectorType != charging.ConnectorCCS2 || c.MaxPowerW != 150000 {
		t.Errorf("connector = %+v, want type kept, power 150000", c)
	}

	for _, tc := range []struct {
		name, path, body, inDetail string
		status                     int
		code                       string
	}{
		{"unknown field", "/api/v1/chargers/CP-1/connectors/1", `{"kind":"CCS2"}`, `"kind"`, 400, charging.EINVALID},
		{"wrong type", "/api/v1/chargers/CP-1/connectors/1", `{"maxPowerW":"lots"}`, "maxPowerW", 400, charging.EINVALID},
		{"bad json", "/api/v1/chargers/CP-1/connectors/1", `{"type":`, "JSON", 400, charging.EINVALID},
		{"not an object", "/api/v1/chargers/CP-1/connectors/1", `["CCS2"]`, "object", 400, charging.EINVALID},
		{"trailing data", "/api/v1/chargers/CP-1/connectors/1", `{} {}`, "after", 400, charging.EINVALID},
		{"empty body", "/api/v1/chargers/CP-1/connectors/1", ``, "empty", 400, charging.EINVALID},
		{"negative power", "/api/v1/chargers/CP-1/connectors/1", `{"maxPowerW":-1}`, "maxPowerW", 400, charging.EINVALID},
		{"connector 0", "/api/v1/chargers/CP-1/connectors/0", `{}`, "connectorId", 400, charging.EINVALID},
		{"connector not int", "/api/v1/chargers/CP-1/connectors/one", `{}`, "connectorId", 400, charging.EINVALID},
		{"unknown connector", "/api/v1/chargers/CP-1/connectors/9", `{}`, "connector 9", 404, charging.ENOTFOUND},
		{"unknown charger", "/api/v1/chargers/CP-9/connectors/1", `{}`, "CP-9", 404, charging.ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "PATCH", tc.path, tc.body), tc.status, tc.code)
			if !strings.Contains(p.Detail, tc.inDetail) {
				t.Errorf("detail = %q, want it to mention %q", p.Detail, tc.inDetail)
			}
		})
	}
}

func TestStartSession(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)

	res := e.do(t, "POST", "/api/v1/chargers/CP-1/connectors/1/start",
		`{"idTag":"TAG-9","chargingProfile":{"chargingProfileId":1}}`, "Idempotency-Key", "key-123")
	if loc := res.Header.Get("Location"); loc != "/api/v1/sessions/S-new" {
		t.Errorf("Location = %q, want /api/v1/sessions/S-new", loc)
	}
	var s charging.Session
	want(t, res, http.StatusAccepted, &s)
	if s.ID != "S-new" || s.Status != charging.SessionPending || s.IDTag != "TAG-9" {
		t.Errorf("session = %+v, want pending S-new for TAG-9", s)
	}
	got := e.svc.start
	if got.ChargerID != "CP-1" || got.ConnectorID != 1 || got.IDTag != "TAG-9" || !strings.HasSuffix(got.IdempotencyKey, ":key-123") ||
		string(got.ChargingProfile) != `{"chargingProfileId":1}` {
		t.Errorf("StartRequest = %+v (profile %s), want CP-1/1 TAG-9 key-123 (scoped to the caller) with the profile", got, got.ChargingProfile)
	}
	if !e.svc.startDeadline {
		t.Error("StartSession ctx has no deadline, want StartTimeout")
	}

	// Connector 0: the charger chooses; no profile, no key.
	want(t, e.do(t, "POST", "/api/v1/chargers/CP-1/connectors/0/start", `{"idTag":"TAG-9","chargingProfile":null}`), http.StatusAccepted, nil)
	if got := e.svc.start; got.ConnectorID != 0 || got.ChargingProfile != nil || got.IdempotencyKey != "" {
		t.Errorf("StartRequest = %+v, want connector 0, no profile, no key", got)
	}
}

func TestStartSessionRejects(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, tc := range []struct {
		name, path, body, inDetail string
		header                     []string
	}{
		{"negative connector", "/api/v1/chargers/CP-1/connectors/-1/start", `{"idTag":"T"}`, "connectorId", nil},
		{"connector not int", "/api/v1/chargers/CP-1/connectors/x/start", `{"idTag":"T"}`, "connectorId", nil},
		{"no idTag", "/api/v1/chargers/CP-1/connectors/1/start", `{}`, "idTag", nil},
		{"idTag number", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":5}`, "idTag", nil},
		{"unknown field", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":"T","tag":"T"}`, `"tag"`, nil},
		{"profile not object", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":"T","chargingProfile":[1]}`, "chargingProfile", nil},
		{"key too long", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":"T"}`, "Idempotency-Key", []string{"Idempotency-Key", strings.Repeat("k", 256)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "POST", tc.path, tc.body, tc.header...), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.inDetail) {
				t.Errorf("detail = %q, want it to mention %q", p.Detail, tc.inDetail)
			}
		})
	}
}

func TestStartSessionTimeout(t *testing.T) {
	e := newEnv(t, httpapi.Options{StartTimeout: 50 * time.Millisecond})
	e.svc.blockStart = true // only the StartTimeout can end the request
	res := e.do(t, "POST", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":"T"}`)
	wantProblem(t, res, http.StatusGatewayTimeout, charging.ETIMEOUT)
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("a timeout was logged as an internal error:\n%s", e.logs)
	}
}

func TestStopSession(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	var s charging.Session
	want(t, e.do(t, "POST", "/api/v1/sessions/S-1/stop", ""), http.StatusAccepted, &s)
	if s.ID != "S-1" || e.svc.stopped != "S-1" {
		t.Errorf("stopped %q, returned %+v; want S-1", e.svc.stopped, s)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/sessions/S-9/stop", ""), http.StatusNotFound, charging.ENOTFOUND)
	e.svc.err["StopSession"] = charging.Errorf(charging.ECONFLICT, "session S-1 is not active")
	wantProblem(t, e.do(t, "POST", "/api/v1/sessions/S-1/stop", ""), http.StatusConflict, charging.ECONFLICT)
}

func TestGetSession(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	var got map[string]any
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1", ""), http.StatusOK, &got)
	if got["id"] != "S-1" || got["status"] != "active" || got["powerW"] != 7208.0 || got["energyWh"] != 1200.5 || got["transactionId"] != "7" {
		t.Errorf("session JSON = %v, want the charging.Session json tags", got)
	}
	if _, ok := got["IdempotencyKey"]; ok {
		t.Error("session JSON exposes the idempotency key")
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/sessions/S-9", ""), http.StatusNotFound, charging.ENOTFOUND)
}

func TestListSessions(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	var got struct {
		Items []charging.Session `json:"items"`
	}
	want(t, e.do(t, "GET", "/api/v1/sessions?chargerId=CP-1&connectorId=2&idTag=TAG-1&status=active,pending&limit=10&cursor=xyz", ""), http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0].ID != "S-1" {
		t.Errorf("items = %+v, want S-1", got.Items)
	}
	q := e.svc.sessionQuery
	if q.ChargerID != "CP-1" || q.ConnectorID != 2 || q.IDTag != "TAG-1" || q.Limit != 10 || q.Cursor != "xyz" ||
		fmt.Sprint(q.Status) != "[active pending]" {
		t.Errorf("query = %+v, want every parameter passed", q)
	}

	want(t, e.do(t, "GET", "/api/v1/sessions", ""), http.StatusOK, nil)
	if q := e.svc.sessionQuery; q.ConnectorID != 0 || q.Status != nil || q.Limit != 0 {
		t.Errorf("query = %+v, want zero filters", q)
	}

	for _, path := range []string{
		"/api/v1/sessions?status=running",
		"/api/v1/sessions?status=active,",
		"/api/v1/sessions?connectorId=-2",
		"/api/v1/sessions?connectorId=two",
	} {
		p := wantProblem(t, e.do(t, "GET", path, ""), http.StatusBadRequest, charging.EINVALID)
		name := "status"
		if strings.Contains(path, "connectorId") {
			name = "connectorId"
		}
		if !strings.Contains(p.Detail, name) {
			t.Errorf("%s: detail %q does not name %s", path, p.Detail, name)
		}
	}

	// A date range: from inclusive, to exclusive, RFC 3339 in any zone.
	want(t, e.do(t, "GET", "/api/v1/sessions?from=2026-12-01T00:00:00Z&to=2026-12-02T01:00:00%2B01:00", ""), http.StatusOK, nil)
	if q := e.svc.sessionQuery; !q.CreatedFrom.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) ||
		!q.CreatedBefore.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("query = %+v, want created from 2026-12-01 to 2026-12-02 UTC", q)
	}
	for _, tc := range []struct{ path, names string }{
		{"/api/v1/sessions?from=yesterday", "from"},
		{"/api/v1/sessions?to=2026-13-01T00:00:00Z", "to"},
		{"/api/v1/sessions?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "before"},
		{"/api/v1/sessions?chargerID=CP-1", `"chargerID"`}, // a typo must not list everything
		{"/api/v1/sessions?since=2026-12-01T00:00:00Z", `"since"`},
	} {
		p := wantProblem(t, e.do(t, "GET", tc.path, ""), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, tc.names) {
			t.Errorf("%s: detail %q does not name %s", tc.path, p.Detail, tc.names)
		}
	}
}

func TestListMeterValues(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	var got struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"nextCursor"`
	}
	want(t, e.do(t, "GET", "/api/v1/sessions/S-1/meter-values?limit=500&cursor=c1", ""), http.StatusOK, &got)
	if len(got.Items) != 1 || got.Items[0]["measurand"] != "Energy.Active.Import.Register" || got.Items[0]["unit"] != "Wh" || got.NextCursor != "c2" {
		t.Errorf("page = %+v, want one Wh sample and nextCursor c2", got)
	}
	if q := e.svc.meterQuery; q == nil || q.SessionID != "S-1" || q.Limit != 500 || q.Cursor != "c1" {
		t.Errorf("query = %+v, want S-1 limit 500 cursor c1", q)
	}

	e.svc.meterQuery = nil
	wantProblem(t, e.do(t, "GET", "/api/v1/sessions/S-9/meter-values", ""), http.StatusNotFound, charging.ENOTFOUND)
	if e.svc.meterQuery != nil {
		t.Error("ListMeterSamples called for an unknown session")
	}
}

func TestCommand(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, tc := range []struct {
		name   string
		result charging.CommandResult
		want   string
	}{
		{"answered", charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"Accepted"}`)},
			`{"status":"answered","response":{"status":"Accepted"}}`},
		{"callerror", charging.CommandResult{Status: charging.ResultCallError, Error: &charging.CallError{Code: "NotImplemented", Description: "no", Details: json.RawMessage(`{}`)}},
			`{"status":"callerror","error":{"code":"NotImplemented","description":"no","details":{}}}`},
		{"timeout", charging.CommandResult{Status: charging.ResultTimeout}, `{"status":"timeout"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.svc.result = tc.result
			res := e.do(t, "POST", "/api/v1/chargers/CP-1/commands/Reset", `{"type":"Soft"}`)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != tc.want {
				t.Errorf("got %d %s, want 200 %s", res.StatusCode, body, tc.want)
			}
			c := e.svc.commandCall
			if c.chargerID != "CP-1" || c.action != "Reset" || string(c.payload) != `{"type":"Soft"}` {
				t.Errorf("Command(%q, %q, %s), want CP-1 Reset {\"type\":\"Soft\"}", c.chargerID, c.action, c.payload)
			}
		})
	}

	for _, tc := range []struct{ name, path, body, inDetail string }{
		{"array payload", "/api/v1/chargers/CP-1/commands/Reset", `[1]`, "object"},
		{"string payload", "/api/v1/chargers/CP-1/commands/Reset", `"x"`, "object"},
		{"empty payload", "/api/v1/chargers/CP-1/commands/Reset", ``, "object"},
		{"broken payload", "/api/v1/chargers/CP-1/commands/Reset", `{"type":}`, "JSON"},
		{"bad action", "/api/v1/chargers/CP-1/commands/Re-set", `{}`, "action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "POST", tc.path, tc.body), http.StatusBadRequest, charging.EINVALID)
			if !strings.Contains(p.Detail, tc.inDetail) {
				t.Errorf("detail = %q, want it to mention %q", p.Detail, tc.inDetail)
			}
		})
	}

	e.svc.err["Command"] = charging.Errorf(charging.EUNAVAILABLE, "charger CP-1 is offline")
	p := wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-1/commands/Reset", `{}`), http.StatusConflict, charging.EUNAVAILABLE)
	if p.Detail != "charger CP-1 is offline" {
		t.Errorf("detail = %q, want the error's message", p.Detail)
	}
}

func TestProblemForEachErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
		detail string
	}{
		{charging.Errorf(charging.EINVALID, "bad id"), 400, charging.EINVALID, "bad id"},
		{charging.Errorf(charging.ENOTFOUND, "no CP"), 404, charging.ENOTFOUND, "no CP"},
		{charging.Errorf(charging.ECONFLICT, "connector 1 is busy"), 409, charging.ECONFLICT, "connector 1 is busy"},
		{charging.Errorf(charging.EUNAVAILABLE, "charger offline"), 409, charging.EUNAVAILABLE, "charger offline"},
		{charging.Errorf(charging.EREJECTED, "charger said Rejected"), 409, charging.EREJECTED, "charger said Rejected"},
		{charging.Errorf(charging.ETIMEOUT, "no answer in 30s"), 504, charging.ETIMEOUT, "no answer in 30s"},
		{charging.Errorf(charging.EUNPROCESSABLE, "key used for another start"), 422, charging.EUNPROCESSABLE, "key used for another start"},
		{fmt.Errorf("csms: start: %w", charging.Errorf(charging.EREJECTED, "wrapped")), 409, charging.EREJECTED, "wrapped"},
		{charging.Errorf(charging.EINTERNAL, "store broke"), 500, charging.EINTERNAL, "store broke"},
		{errors.New("sqlite: disk I/O error"), 500, charging.EINTERNAL, "internal error"},
		{charging.Errorf(charging.EUNAUTHENTICATED, "wrong password"), 401, charging.EUNAUTHENTICATED, "wrong password"},
		{charging.Errorf(charging.EFORBIDDEN, "profile downgrade"), 403, charging.EFORBIDDEN, "profile downgrade"},
		{charging.Errorf("weird", "unmapped code"), 500, charging.EINTERNAL, "internal error"},
	} {
		t.Run(tc.code+"/"+tc.detail, func(t *testing.T) {
			e := newEnv(t, httpapi.Options{})
			// A start, whose answers the document lists for every code:
			// the server's answers are checked against it (newEnvBus).
			e.svc.err["StartSession"] = tc.err
			p := wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-1/connectors/1/start", `{"idTag":"T"}`), tc.status, tc.code)
			if p.Detail != tc.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tc.detail)
			}
			logged := strings.Contains(e.logs.String(), "level=ERROR")
			if wantLogged := tc.status == 500; logged != wantLogged {
				t.Errorf("error logged = %v, want %v; log:\n%s", logged, wantLogged, e.logs)
			}
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, path := range []string{"/", "/api/v1/nope", "/api/v2/chargers", "/api/v1/chargers/CP-1/connectors"} {
		p := wantProblem(t, e.do(t, "GET", path, ""), http.StatusNotFound, charging.ENOTFOUND)
		if !strings.Contains(p.Detail, path) {
			t.Errorf("%s: detail %q does not name the path", path, p.Detail)
		}
	}
}

func TestWrongMethod(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/chargers", "GET, HEAD, POST"},
		{"PUT", "/api/v1/chargers/CP-1", "GET, HEAD, PATCH, DELETE"},
		{"GET", "/api/v1/chargers/CP-1/accept", "POST"},
		{"DELETE", "/api/v1/chargers/CP-1/certificates", "GET, HEAD, POST"},
		{"POST", "/api/v1/pki/ca.pem", "GET, HEAD"},
		{"GET", "/api/v1/chargers/CP-1/connectors/1/start", "POST"},
		{"GET", "/api/v1/chargers/CP-1/connectors/1", "PATCH"},
		{"PUT", "/api/v1/sessions/S-1/stop", "POST"},
		{"POST", "/api/v1/events", "GET, HEAD"},
		{"POST", "/readyz", "GET, HEAD"},
	} {
		res := e.do(t, tc.method, tc.path, "")
		if got := res.Header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, got, tc.allow)
		}
		wantProblem(t, res, http.StatusMethodNotAllowed, "method_not_allowed")
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	big := `{"type":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`
	wantProblem(t, e.do(t, "PATCH", "/api/v1/chargers/CP-1/connectors/1", big), http.StatusRequestEntityTooLarge, "too_large")
	wantProblem(t, e.do(t, "POST", "/api/v1/chargers/CP-1/commands/DataTransfer", big), http.StatusRequestEntityTooLarge, "too_large")
}

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.svc.panicIn = "GetCharger"
	p := wantProblem(t, e.do(t, "GET", "/api/v1/chargers/CP-1", ""), http.StatusInternalServerError, charging.EINTERNAL)
	if p.Detail != "internal error" {
		t.Errorf("detail = %q, want internal error", p.Detail)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "panic serving request") || !strings.Contains(logs, "GetCharger panicked") {
		t.Errorf("panic not logged; log:\n%s", logs)
	}
	// The server keeps serving.
	e.svc.panicIn = ""
	want(t, e.do(t, "GET", "/livez", ""), http.StatusOK, nil)
}

func TestRequestLogging(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-9", ""), http.StatusNotFound, nil)
	e.svc.panicIn = "GetCharger"
	want(t, e.do(t, "GET", "/api/v1/chargers/CP-1", ""), http.StatusInternalServerError, nil)
	logs := e.logs.String()
	for _, s := range []string{
		"level=DEBUG msg=\"http request\" method=GET path=/api/v1/chargers/CP-9 status=404 duration=",
		"path=/api/v1/chargers/CP-1 status=500",
	} {
		if !strings.Contains(logs, s) {
			t.Errorf("log lacks %q; log:\n%s", s, logs)
		}
	}
}

func TestOpenAPI(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	res := e.do(t, "GET", "/api/v1/openapi.yaml", "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("got %d %s, want 200 application/yaml", res.StatusCode, res.Header.Get("Content-Type"))
	}
	doc := string(body)
	if !strings.HasPrefix(doc, "openapi: 3.1") {
		t.Errorf("document starts %.20q, want openapi: 3.1", doc)
	}
}

func TestHeadOnGet(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	want(t, e.do(t, "HEAD", "/livez", ""), http.StatusOK, nil)
}

// TestClientCancelIsNotAnError checks that a client leaving mid-start is not
// logged as an internal error.
func TestClientCancelIsNotAnError(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.svc.blockStart = true
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v1/chargers/CP-1/connectors/1/start", strings.NewReader(`{"idTag":"T"}`))
	req.Header.Set("Authorization", "Bearer "+e.token)
	if res, err := e.srv.Client().Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("request succeeded with status %d, want the client to give up", res.StatusCode)
	}
	// Wait for the handler to finish and log.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.logs.String(), "http request") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("client cancel logged as an error:\n%s", e.logs)
	}
}

// TestReadyzChecks: in a cluster /readyz checks NATS and the router too,
// naming each; a failing one makes it 503 and its error goes to the log.
func TestReadyzChecks(t *testing.T) {
	var natsErr error
	e := newEnv(t, httpapi.Options{ReadyChecks: []httpapi.ReadyCheck{
		{Name: "nats", Check: func(context.Context) error { return natsErr }},
		{Name: "cluster", Check: func(context.Context) error { return nil }},
	}})
	res := e.do(t, "GET", "/readyz", "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "[+]nats ok") || !strings.Contains(string(body), "[+]cluster ok") {
		t.Errorf("readyz = %d %q, want 200 listing nats and cluster", res.StatusCode, body)
	}
	natsErr = errors.New("nats: no servers available for connection")
	res = e.do(t, "GET", "/readyz", "")
	body, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "[-]nats: not ready") || strings.Contains(string(body), "no servers") {
		t.Errorf("readyz with NATS down = %d %q, want 503 naming nats without the error", res.StatusCode, body)
	}
	if !strings.Contains(e.logs.String(), "no servers available") {
		t.Errorf("log lacks the NATS error; log:\n%s", e.logs)
	}
}
