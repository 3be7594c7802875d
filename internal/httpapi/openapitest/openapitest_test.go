package openapitest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/joule-ev/joule/internal/httpapi/openapitest"
)

const doc = `
openapi: 3.1.0
info: { title: things, version: "1" }
paths:
  /api/v1/things:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { type: object, required: [name], properties: { name: { type: string, minLength: 1 } } }
      responses:
        "201":
          description: The new thing.
          headers:
            Location: { required: true, schema: { type: string } }
          content: { application/json: { schema: { $ref: "#/components/schemas/Thing" } } }
        "400": { $ref: "#/components/responses/Problem" }
  /api/v1/things/{id}:
    get:
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses:
        "200": { description: The thing., content: { application/json: { schema: { $ref: "#/components/schemas/Thing" } } } }
        "404": { $ref: "#/components/responses/Problem" }
    delete:
      parameters: [{ name: id, in: path, required: true, schema: { type: string } }]
      responses:
        "204": { description: Deleted. }
  /api/v1/things.csv:
    get:
      responses:
        "200": { description: CSV., content: { text/csv: { schema: { type: string } } } }
  /api/v1/events:
    get:
      responses:
        "200": { description: Events., content: { text/event-stream: { schema: { type: string } } } }
components:
  responses:
    Problem:
      description: A problem.
      content: { application/problem+json: { schema: { $ref: "#/components/schemas/Problem" } } }
  schemas:
    Thing:
      type: object
      required: [id, name]
      properties:
        id: { type: string }
        name: { type: string }
        kind: { type: string, enum: [small, big] }
    Event:
      type: object
      required: [id, type]
      properties:
        id: { type: integer }
        type: { type: string, enum: [thing.made] }
    Problem:
      type: object
      required: [type, title, status, code]
      properties:
        type: { type: string }
        title: { type: string }
        status: { type: integer }
        code: { type: string }
`

const problem404 = `{"type":"p/not_found","title":"Not found","status":404,"code":"not_found"}`

func newChecker(t *testing.T) *openapitest.Checker {
	t.Helper()
	c, err := openapitest.New(context.Background(), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheck(t *testing.T) {
	c := newChecker(t)
	json, problem, csv := "application/json", "application/problem+json", "text/csv; charset=utf-8"
	for _, tc := range []struct {
		name, method, path, reqBody string
		status                      int
		ct, body, location          string
		want                        string // a part of the error; "" none
	}{
		{"ok", "GET", "/api/v1/things/1", "", 200, json, `{"id":"1","name":"a"}`, "", ""},
		{"required field missing", "GET", "/api/v1/things/1", "", 200, json, `{"id":"1"}`, "", "name"},
		{"enum", "GET", "/api/v1/things/1", "", 200, json, `{"id":"1","name":"a","kind":"huge"}`, "", "kind"},
		{"undeclared status", "GET", "/api/v1/things/1", "", 409, problem, problem404, "", "status is not supported"},
		{"undeclared Content-Type", "GET", "/api/v1/things/1", "", 200, "text/plain", "a", "", "text/plain"},
		{"declared problem", "GET", "/api/v1/things/1", "", 404, problem, problem404, "", ""},
		{"problem not matching", "GET", "/api/v1/things/1", "", 404, problem, `{"title":"x"}`, "", "type"},
		{"any operation may fail inside", "GET", "/api/v1/things/1", "", 500, problem, `{"type":"p/internal","title":"Internal error","status":500,"code":"internal"}`, "", ""},
		{"a 500 that is no problem", "GET", "/api/v1/things/1", "", 500, "text/plain", "oops", "", "problem+json"},
		{"a declared header missing", "POST", "/api/v1/things", `{"name":"a"}`, 201, json, `{"id":"1","name":"a"}`, "", "Location"},
		{"created", "POST", "/api/v1/things", `{"name":"a"}`, 201, json, `{"id":"1","name":"a"}`, "/api/v1/things/1", ""},
		{"accepted an invalid request", "POST", "/api/v1/things", `{}`, 201, json, `{"id":"1","name":"a"}`, "/api/v1/things/1", "accepted"},
		{"refused an invalid request", "POST", "/api/v1/things", `{}`, 400, problem, problem404, "", ""},
		{"no content", "DELETE", "/api/v1/things/1", "", 204, "", "", "", ""},
		{"content where none is declared", "DELETE", "/api/v1/things/1", "", 204, json, `{}`, "", "declares no content"},
		{"a CSV body is not parsed", "GET", "/api/v1/things.csv", "", 200, csv, "id\n1\n", "", ""},
		{"events", "GET", "/api/v1/events", "", 200, "text/event-stream", "retry: 2000\n\n: ping\n\nid: 1\nevent: thing.made\ndata: {\"id\":1,\"type\":\"thing.made\"}\n\n", "", ""},
		{"an event not matching", "GET", "/api/v1/events", "", 200, "text/event-stream", "id: 1\nevent: x\ndata: {\"id\":1,\"type\":\"x\"}\n\n", "", "Event schema"},
		{"unknown route, 404", "GET", "/api/v1/nope", "", 404, problem, problem404, "", ""},
		{"unknown route served", "GET", "/api/v1/nope", "", 200, json, `{}`, "", "no operation"},
		{"unknown method, 405", "PUT", "/api/v1/things/1", "", 405, problem, `{"type":"p/m","title":"Method not allowed","status":405,"code":"method_not_allowed"}`, "", ""},
		{"unknown method served", "PUT", "/api/v1/things/1", "", 200, json, `{}`, "", "no operation"},
		{"not the document's path", "GET", "/metrics", "", 200, "text/plain", "x 1", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			if tc.location != "" {
				h.Set("Location", tc.location)
			}
			x := openapitest.Exchange{Request: r, Status: tc.status, Header: h, Body: []byte(tc.body), BodyKept: true}
			if tc.reqBody != "" {
				x.RequestBody = []byte(tc.reqBody)
			}
			err := c.Check(context.Background(), x)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// thingServer answers GET /api/v1/things/{id} with body and a 404 for
// anything else.
func thingServer(body string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, problem404)
	})
	return mux
}

func TestTransportChecksEvents(t *testing.T) {
	c := newChecker(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "retry: 2000\n\nid: 1\nevent: thing.made\ndata: {\"id\":1,\"type\":\"thing.made\"}\n\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, "id: 2\nevent: x\ndata: {\"id\":2,\"type\":\"x\"}\n\n")
	}))
	defer srv.Close()
	var reported []string
	client := &http.Client{Transport: c.Transport(http.DefaultTransport, func(_ *http.Request, err error) {
		reported = append(reported, err.Error())
	})}
	res, err := client.Get(srv.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	if len(reported) != 0 {
		t.Fatalf("reported %q before the stream was read, want nothing", reported)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"type":"x"`) {
		t.Errorf("stream through the transport = %q, want both events", b)
	}
	if len(reported) != 1 || !strings.Contains(reported[0], `"type":"x"`) {
		t.Errorf("reported %q, want the second event only", reported)
	}
}

func TestHandlerAndTransport(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		wantErr    bool
	}{
		{"matches", `{"id":"1","name":"a"}`, false},
		{"does not match", `{"id":1}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChecker(t)
			rec := &recorder{TB: t}
			srv := httptest.NewServer(c.Handler(rec, thingServer(tc.body)))
			defer srv.Close()
			var reported []error
			client := &http.Client{Transport: c.Transport(http.DefaultTransport, func(_ *http.Request, err error) {
				reported = append(reported, err)
			})}
			for _, path := range []string{"/api/v1/things/1", "/api/v1/nope"} {
				res, err := client.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if path == "/api/v1/things/1" && string(b) != tc.body {
					t.Errorf("body through the transport = %q, want %q", b, tc.body)
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if got := len(rec.errs) > 0; got != tc.wantErr || len(rec.errs) > 1 {
				t.Errorf("Handler reported %q, want an error: %v (one at most)", rec.errs, tc.wantErr)
			}
			if got := len(reported) > 0; got != tc.wantErr || len(reported) > 1 {
				t.Errorf("Transport reported %v, want an error: %v (one at most)", reported, tc.wantErr)
			}
			if n := c.Checked(); n != 4 {
				t.Errorf("Checked = %d, want 4 (two answers, each seen by Handler and Transport)", n)
			}
			if got, want := c.Unexercised(), []string{"DELETE /api/v1/things/{id}", "GET /api/v1/events", "GET /api/v1/things.csv", "POST /api/v1/things"}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Unexercised = %v, want %v", got, want)
			}
		})
	}
}
