package gateway

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// idMuxes are the two ways to mount the Gateway; their handler answers
// with the id chargerID reads from the request.
func idMuxes() (pattern, prefix *http.ServeMux) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handled", "1")
		w.Write([]byte(chargerID(r)))
	})
	pattern, prefix = http.NewServeMux(), http.NewServeMux()
	pattern.Handle("/ocpp/{chargerId}", echo)
	prefix.Handle("/ocpp/", echo)
	return pattern, prefix
}

// idFrom serves target (a request URI) on mux and returns the id the
// handler read; handled is false when the mux answered itself (a redirect
// to a cleaned path, or 404).
func idFrom(mux *http.ServeMux, u *url.URL) (id string, handled bool) {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
	return rec.Body.String(), rec.Header().Get("X-Handled") == "1"
}

func TestChargerID(t *testing.T) {
	pattern, prefix := idMuxes()
	for _, tc := range []struct{ target, want string }{
		{"/ocpp/CP-1", "CP-1"},
		{"/ocpp/Lades%C3%A4ule-7", "Ladesäule-7"},
		{"/ocpp/a%20b", "a b"},
		{"/ocpp/a%2Fb", "a/b"}, // one segment, as the pattern reads it; refused by ValidChargerID
		{"/ocpp/a%3Ab", "a:b"},
		{"/ocpp/%FF", "\xff"},
		{"/ocpp/a%252F", "a%2F"}, // unescaped once
	} {
		u, err := url.ParseRequestURI(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		for name, mux := range map[string]*http.ServeMux{"pattern": pattern, "prefix": prefix} {
			if got, ok := idFrom(mux, u); !ok || got != tc.want {
				t.Errorf("%s mount: %s names %q (handled %v), want %q", name, tc.target, got, ok, tc.want)
			}
		}
	}
}

// FuzzChargerID checks how the gateway reads the charger id from the path.
// Mounted at /ocpp/ it must read the same id as the /ocpp/{chargerId}
// pattern does wherever the pattern matches, and every id ValidChargerID
// accepts must be reachable: /ocpp/ + its escaped form names it.
func FuzzChargerID(f *testing.F) {
	for _, s := range []string{"CP-1", "Lades%C3%A4ule-7", "a%2Fb", "a%20b", "%FF", "a%252F", "", ".", "..", "%2E%2E",
		"a;b", "a%3Bb", "a?b", "a#b", "%", "%zz", "a/b", "CP-1/", "~user", "@", "%E2%80%8B", "%00"} {
		f.Add(s)
	}
	pattern, prefix := idMuxes()
	f.Fuzz(func(t *testing.T, seg string) {
		u, err := url.ParseRequestURI("/ocpp/" + seg)
		if err != nil {
			return // net/http answers 400 before any handler
		}
		want, onPattern := idFrom(pattern, u)
		got, onPrefix := idFrom(prefix, u)
		if onPattern && (!onPrefix || got != want) {
			t.Fatalf("%s: mounted at /ocpp/ the id is %q (handled %v); the pattern reads %q", u, got, onPrefix, want)
		}
		if onPrefix {
			esc := u.EscapedPath()
			if id, err := url.PathUnescape(esc[strings.LastIndexByte(esc, '/')+1:]); err == nil && got != id {
				t.Fatalf("%s: id %q, want the last segment unescaped, %q", u, got, id)
			}
		}

		// Any accepted id can be reached.
		id := seg
		if charging.ValidChargerID(id) != nil {
			return
		}
		u, err = url.ParseRequestURI("/ocpp/" + url.PathEscape(id))
		if err != nil {
			t.Fatalf("valid id %q: escaped path does not parse: %v", id, err)
		}
		for name, mux := range map[string]*http.ServeMux{"pattern": pattern, "prefix": prefix} {
			if got, ok := idFrom(mux, u); !ok || got != id {
				t.Fatalf("valid id %q at %s (%s mount): read %q (handled %v)", id, u, name, got, ok)
			}
		}
	})
}
