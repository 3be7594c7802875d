package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// Smart charging's routes: site limits through the site, a grid signal,
// a site meter, the load and its history, a session's priority; every bad
// request is a problem that names what is wrong, and drivers see none of
// it.
func TestSmartChargingAPI(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	x := e.createSite(t, `{"name":"Yard","gridLimit":{"value":32,"unit":"A"},"reserve":{"value":4,"unit":"A"}}`)
	if x.GridLimit == nil || x.GridLimit.Value != 32 || x.Reserve == nil || x.Reserve.Value != 4 || x.GridSignal != nil {
		t.Fatalf("created site = %+v", x)
	}
	path := "/api/v1/sites/" + x.ID
	for _, tc := range []struct{ body, names string }{
		{`{"gridLimit":{"value":32,"unit":"kA"}}`, "gridLimit.unit"},
		{`{"gridLimit":{"value":-1,"unit":"A"}}`, "gridLimit.value"},
		{`{"gridLimit":{"value":32,"unit":"A","phases":3}}`, "phases"},
		{`{"reserve":{"value":40,"unit":"A"}}`, "reserve"},
		{`{"gridLimit":null}`, "reserve needs a gridLimit"},
		{`{"meter":{"source":"modbus"}}`, "meter.source"},
		{`{"meter":{"source":"charger"}}`, "meter.chargerId"},
		{`{"gridSignal":{"limit":5,"unit":"A"}}`, "gridSignal"},
	} {
		p := wantProblem(t, e.do(t, "PATCH", path, tc.body), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, tc.names) {
			t.Errorf("PATCH %s: detail %q does not name %q", tc.body, p.Detail, tc.names)
		}
	}
	var got charging.Site
	want(t, e.do(t, "PATCH", path, `{"gridLimit":{"value":22000,"unit":"W"},"reserve":null,"meter":{"source":"api"}}`), http.StatusOK, &got)
	if got.GridLimit == nil || got.GridLimit.Unit != "W" || got.Reserve != nil || got.Meter == nil || got.Meter.Source != "api" {
		t.Fatalf("patched = %+v", got)
	}

	// A grid signal.
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, tc := range []struct{ body, names string }{
		{`{"unit":"A"}`, "limit is required"},
		{`{"limit":16}`, "unit is required"},
		{`{"limit":16,"unit":"V"}`, "unit"},
		{`{"limit":-2,"unit":"A"}`, "limit"},
		{`{"limit":16,"unit":"A","until":"tomorrow"}`, "until"},
		{`{"limit":16,"unit":"A","until":"2020-01-01T00:00:00Z"}`, "until must be in the future"},
		{`{"limit":16,"unit":"A","why":"peak"}`, "why"},
	} {
		p := wantProblem(t, e.do(t, "PUT", path+"/grid-limit", tc.body), http.StatusBadRequest, charging.EINVALID)
		if !strings.Contains(p.Detail, tc.names) {
			t.Errorf("PUT grid-limit %s: detail %q does not name %q", tc.body, p.Detail, tc.names)
		}
	}
	want(t, e.do(t, "PUT", path+"/grid-limit", `{"limit":16,"unit":"A","until":"`+until.Format(time.RFC3339)+`"}`), http.StatusOK, &got)
	if g := got.GridSignal; g == nil || g.Limit != 16 || g.Until == nil || !g.Until.Equal(until) || g.SetAt.IsZero() {
		t.Fatalf("signal = %+v", got.GridSignal)
	}
	var l charging.SiteLoad
	want(t, e.do(t, "GET", path+"/load", ""), http.StatusOK, &l)
	if l.SiteID != x.ID || l.LimitA != 16 || l.NormalLimitA < 31.8 || l.NormalLimitA > 31.9 || l.GridSignal == nil || l.Sessions == nil {
		t.Fatalf("load = %+v, want 16 A under the signal, 31.9 A normally", l)
	}
	var ended charging.Site
	want(t, e.do(t, "DELETE", path+"/grid-limit", ""), http.StatusOK, &ended)
	if ended.GridSignal != nil || ended.GridLimit == nil {
		t.Fatalf("site after DELETE = %+v, want its limit without a signal", ended)
	}
	// No signal without a limit.
	bare := e.createSite(t, `{"name":"Bare"}`)
	p := wantProblem(t, e.do(t, "PUT", "/api/v1/sites/"+bare.ID+"/grid-limit", `{"limit":16,"unit":"A"}`), http.StatusConflict, charging.ECONFLICT)
	if !strings.Contains(p.Detail, "gridLimit") {
		t.Errorf("signal on a site without a limit: %q", p.Detail)
	}
	wantProblem(t, e.do(t, "PUT", "/api/v1/sites/nope/grid-limit", `{"limit":16,"unit":"A"}`), http.StatusNotFound, charging.ENOTFOUND)

	// The site meter.
	for _, tc := range []struct {
		body   string
		status int
		names  string
	}{
		{`{}`, http.StatusBadRequest, "currentA is required"},
		{`{"currentA":[1,2]}`, http.StatusBadRequest, "currentA"},
		{`{"currentA":[1,2,-3]}`, http.StatusBadRequest, "currentA[2]"},
		{`{"currentA":[1,2,3],"at":"2020-01-01T00:00:00Z"}`, http.StatusBadRequest, "at must be within"},
	} {
		p := wantProblem(t, e.do(t, "POST", path+"/meter", tc.body), tc.status, charging.EINVALID)
		if !strings.Contains(p.Detail, tc.names) {
			t.Errorf("POST meter %s: detail %q does not name %q", tc.body, p.Detail, tc.names)
		}
	}
	want(t, e.do(t, "POST", path+"/meter", `{"currentA":[10,11,12]}`), http.StatusNoContent, nil)
	wantProblem(t, e.do(t, "POST", "/api/v1/sites/"+bare.ID+"/meter", `{"currentA":[10,11,12]}`), http.StatusConflict, charging.ECONFLICT)

	// The history (nothing recorded yet) and its parameters.
	var hist struct{ Items []charging.SiteLoadSample }
	want(t, e.do(t, "GET", path+"/load/history", ""), http.StatusOK, &hist)
	if hist.Items == nil {
		t.Error("history items = null, want []")
	}
	wantProblem(t, e.do(t, "GET", path+"/load/history?from=yesterday", ""), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "GET", path+"/load/history?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", ""), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "GET", path+"/load?x=1", ""), http.StatusBadRequest, charging.EINVALID)

	// A session's priority.
	wantProblem(t, e.do(t, "PATCH", "/api/v1/sessions/S-1", `{}`), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "PATCH", "/api/v1/sessions/S-1", `{"priority":1}`), http.StatusBadRequest, charging.EINVALID)
	wantProblem(t, e.do(t, "PATCH", "/api/v1/sessions/S-404", `{"priority":true}`), http.StatusNotFound, charging.ENOTFOUND)

	// Drivers see none of it.
	_, driver := e.signupDriver(t, "d@example.com")
	for _, r := range []struct{ method, path, body string }{
		{"GET", path + "/load", ""},
		{"GET", path + "/load/history", ""},
		{"PUT", path + "/grid-limit", `{"limit":1,"unit":"A"}`},
		{"DELETE", path + "/grid-limit", ""},
		{"POST", path + "/meter", `{"currentA":[1,1,1]}`},
		{"PATCH", "/api/v1/sessions/S-1", `{"priority":true}`},
	} {
		if res := e.do(t, r.method, r.path, r.body, driver...); res.StatusCode != http.StatusForbidden {
			t.Errorf("driver %s %s = %d, want 403", r.method, r.path, res.StatusCode)
		}
	}
}
