package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/joule-ev/joule/web"
)

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerFiles(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<main id="main"`},
		{"/app.css", "text/css; charset=utf-8", ":root"},
		{"/js/main.js", "text/javascript; charset=utf-8", "navigate"},
		{"/sw.js", "text/javascript; charset=utf-8", "joule-shell-"},
		{"/manifest.webmanifest", "application/manifest+json", `"start_url"`},
		{"/icons/joule.svg", "image/svg+xml", "<svg"},
		{"/icons/connectors.svg", "image/svg+xml", `id="CHAdeMO"`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := get(t, h, "GET", tc.path)
			b := body(t, r)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.StatusCode)
			}
			if got := r.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if r.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if !strings.Contains(b, tc.contains) {
				t.Errorf("body does not contain %q", tc.contains)
			}
		})
	}
}

// Deep links are the app's routes: they get the shell, and the app's router
// draws the page.
func TestHandlerDeepLinks(t *testing.T) {
	h := web.Handler()
	shell := body(t, get(t, h, "GET", "/"))
	for _, p := range []string{
		"/chargers/CP-1", "/chargers/CP.with.dots", "/sessions/s_01ABC", "/history",
		"/operator", "/operator/", "/operator/chargers", "/operator/chargers/CP-1", "/operator/sessions",
		"/signin", "/signup", "/account", "/operator/signin", "/operator/users", "/operator/account",
	} {
		r := get(t, h, "GET", p)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status = %d, want 200", p, r.StatusCode)
			continue
		}
		if got := body(t, r); got != shell {
			t.Errorf("GET %s: body is not the shell", p)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy = %q, want default-src 'self'", p, csp)
		}
	}
}

func TestHandlerNotFound(t *testing.T) {
	h := web.Handler()
	for _, p := range []string{"/js/", "/js", "/icons/", "/nope.js", "/favicon.ico", "/js/missing.js", "/../embed.go", "/app/index.html"} {
		if r := get(t, h, "GET", p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", p, r.StatusCode)
		}
	}
	if r := get(t, h, "POST", "/"); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: status = %d, Allow = %q; want 405, GET, HEAD", r.StatusCode, r.Header.Get("Allow"))
	}
}

// A path that could be a page but is none gets the shell as a 404: the
// app's router draws its "Page not found" with a link home.
func TestHandlerNotFoundPage(t *testing.T) {
	h := web.Handler()
	shell := body(t, get(t, h, "GET", "/"))
	for _, p := range []string{"/nope", "/no/such/page", "/Operator", "/settings/"} {
		r := get(t, h, "GET", p)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", p, r.StatusCode)
		}
		if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type = %q, want the shell's", p, ct)
		}
		if got := body(t, r); got != shell {
			t.Errorf("GET %s: body is not the shell", p)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy = %q, want default-src 'self'", p, csp)
		}
	}
	if r := get(t, h, "HEAD", "/nope"); r.StatusCode != http.StatusNotFound || body(t, r) != "" {
		t.Errorf("HEAD /nope: status = %d, want 404 with no body", r.StatusCode)
	}
	// Never for a missing file or an API path.
	for _, p := range []string{"/api/v1/nope", "/api", "/js/nope", "/icons/x"} {
		r := get(t, h, "GET", p)
		if b := body(t, r); r.StatusCode != http.StatusNotFound || strings.Contains(b, "<main") {
			t.Errorf("GET %s: status = %d, body %.40q; want a plain 404", p, r.StatusCode, b)
		}
	}
}

func TestHandlerConditional(t *testing.T) {
	h := web.Handler()
	r := get(t, h, "GET", "/app.css")
	etag := r.Header.Get("ETag")
	if r2 := get(t, h, "GET", "/app.css", "If-None-Match", etag); r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status = %d, want 304", etag, r2.StatusCode)
	}
	if r3 := get(t, h, "HEAD", "/app.css"); r3.StatusCode != http.StatusOK || body(t, r3) != "" {
		t.Errorf("HEAD: status = %d, want 200 with no body", r3.StatusCode)
	}
}

// The service worker's cache name carries a hash of the files, and every
// file it precaches exists.
func TestServiceWorker(t *testing.T) {
	h := web.Handler()
	sw := body(t, get(t, h, "GET", "/sw.js"))
	if strings.Contains(sw, "__VERSION__") {
		t.Error("sw.js still contains __VERSION__; want it replaced by the content hash")
	}
	start := strings.Index(sw, "const SHELL = [")
	end := strings.Index(sw[start:], "];")
	if start < 0 || end < 0 {
		t.Fatal("sw.js has no SHELL list")
	}
	shell := map[string]bool{}
	for _, f := range strings.Split(sw[start+len("const SHELL = ["):start+end], ",") {
		p := strings.Trim(strings.TrimSpace(f), `"`)
		if p == "" {
			continue
		}
		shell[p] = true
		if r := get(t, h, "GET", p); r.StatusCode != http.StatusOK {
			t.Errorf("sw.js precaches %s: status = %d, want 200", p, r.StatusCode)
		}
	}
	// Every module is precached, or the app opened offline fails to load.
	mods, err := os.ReadDir("app/js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		if p := "/js/" + m.Name(); !shell[p] {
			t.Errorf("sw.js does not precache %s", p)
		}
	}
}

func TestManifest(t *testing.T) {
	h := web.Handler()
	var m struct {
		Name     string
		StartURL string `json:"start_url"`
		Display  string
		Icons    []struct{ Src string }
	}
	if err := json.Unmarshal([]byte(body(t, get(t, h, "GET", "/manifest.webmanifest"))), &m); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	if m.Name == "" || m.StartURL != "/" || m.Display != "standalone" || len(m.Icons) == 0 {
		t.Errorf("manifest = %+v, want a name, start_url /, display standalone and icons", m)
	}
	for _, i := range m.Icons {
		if r := get(t, h, "GET", i.Src); r.StatusCode != http.StatusOK {
			t.Errorf("icon %s: status = %d, want 200", i.Src, r.StatusCode)
		}
	}
}
