// Package openapitest checks the app API's answers against its OpenAPI
// document (httpapi.OpenAPIDocument), so that every test which calls the
// real server also keeps the document honest. It is for tests only; it
// imports kin-openapi, which the server itself never links.
//
// A Checker wraps a server's handler (Handler) or a client's transport
// (Transport). For each exchange on a documented path it finds the
// operation, then checks that the status is one the operation declares,
// the Content-Type one the status declares, the declared response headers
// and, for JSON bodies (application/json, application/problem+json), the
// body against the schema; each event of an event stream is checked
// against the Event schema (by Transport as the stream is read). Other
// bodies (text/csv, files) are checked for status, headers and Content-Type
// only. A request the
// server accepted (2xx) must also match the document: parameters and JSON
// body, so a `required` the server does not require is caught too.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// maxBody bounds the bytes of one body a Checker keeps; a longer body is
// checked for status and headers only.
const maxBody = 4 << 20

// Checker checks exchanges against one OpenAPI document. It is safe for
// concurrent use.
type Checker struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.SchemaRef
	event   *openapi3.SchemaRef // each data line of an event stream; nil: not checked
	notice  *openapi3.SchemaRef // a stream notice (event: reset, dropped): the other shape a data line may have
	checked atomic.Int64

	mu  sync.Mutex
	ops map[string]bool // "METHOD /path" of the operations answered; guarded by mu
}

// ValidationOptions are the strict checks a document must pass: kin-openapi's
// defaults (examples, defaults and patterns included) plus unknown schema
// formats and extensions next to a $ref, with every error reported.
func ValidationOptions() []openapi3.ValidationOption {
	return []openapi3.ValidationOption{
		openapi3.EnableMultiError(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.ProhibitExtensionsWithRef(),
	}
}

// Load parses an OpenAPI document and validates it (ValidationOptions).
func Load(ctx context.Context, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(ctx, ValidationOptions()...); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return doc, nil
}

// New returns a Checker for the document, which must be valid and have a
// Problem schema (the body of every error); its Event schema, if any, is
// what each data line of an event stream must match.
func New(ctx context.Context, data []byte) (*Checker, error) {
	doc, err := Load(ctx, data)
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	problem := doc.Components.Schemas["Problem"]
	if problem == nil {
		return nil, errors.New("the document has no Problem schema")
	}
	return &Checker{doc: doc, router: router, problem: problem, event: doc.Components.Schemas["Event"], notice: doc.Components.Schemas["StreamNotice"], ops: map[string]bool{}}, nil
}

// Document returns the loaded document.
func (c *Checker) Document() *openapi3.T { return c.doc }

// Checked returns how many answers the Checker has checked.
func (c *Checker) Checked() int64 { return c.checked.Load() }

// Unexercised returns the document's operations ("METHOD /path") that no
// checked answer exercised, sorted.
func (c *Checker) Unexercised() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if op := method + " " + path; !c.ops[op] {
				out = append(out, op)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Report writes how many answers were checked and how many operations
// none exercised; verbose lists those operations.
func (c *Checker) Report(w io.Writer, verbose bool) {
	left := c.Unexercised()
	fmt.Fprintf(w, "openapi: %d answers checked against the document; %d operations not exercised\n", c.Checked(), len(left))
	if verbose {
		for _, op := range left {
			fmt.Fprintf(w, "openapi: not exercised: %s\n", op)
		}
	}
}

// documented reports whether a path is the document's to describe: the
// API and the health endpoints. The web app, /ocpp and /metrics are not.
func documented(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/livez" || path == "/readyz"
}

// Exchange is one request and its answer.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte // nil when not kept
	Status      int
	Header      http.Header
	Body        []byte // nil when not kept
	BodyKept    bool   // false for a body too large to keep, or a stream
}

// Check checks one exchange. It returns nil for paths the document does
// not describe and for CORS preflights, which OpenAPI does not describe.
func (c *Checker) Check(ctx context.Context, x Exchange) error {
	r := x.Request
	if !documented(r.URL.Path) {
		return nil
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		return nil
	}
	c.checked.Add(1)
	method := r.Method
	if method == http.MethodHead {
		// ServeMux answers HEAD with the GET handler; the document lists GET.
		r = r.Clone(ctx)
		r.Method = http.MethodGet
	}
	route, params, err := c.router.FindRoute(r)
	switch {
	case errors.Is(err, routers.ErrPathNotFound), errors.Is(err, routers.ErrMethodNotAllowed):
		// Not in the document: fine only if the server does not serve it
		// either (a test of the 404 or 405 answer).
		want := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			want = http.StatusMethodNotAllowed
		}
		if x.Status != want {
			return fmt.Errorf("no operation in the document (%v), but the server answered %d", err, x.Status)
		}
		return c.checkProblem(x)
	case err != nil:
		return fmt.Errorf("find operation: %w", err)
	}
	c.mu.Lock()
	c.ops[route.Method+" "+route.Path] = true
	c.mu.Unlock()

	if x.Status/100 == 2 && method != http.MethodHead {
		if err := c.checkRequest(ctx, r, x, route, params); err != nil {
			return fmt.Errorf("the server accepted (%d) a request the document does not allow: %w", x.Status, err)
		}
	}

	if (x.Status == http.StatusInternalServerError || x.Status == http.StatusServiceUnavailable) && route.Operation.Responses.Status(x.Status) == nil {
		// Any operation may fail inside Joule, or find the disk full; the
		// document says so once (info.description) rather than in every
		// operation.
		if x.Status == http.StatusServiceUnavailable && !bytes.Contains(x.Body, []byte(`"code":"storage_full"`)) {
			return fmt.Errorf("an undeclared 503 must be a storage_full problem")
		}
		return c.checkProblem(x)
	}

	mt := mediaType(x.Header.Get("Content-Type"))
	jsonBody := mt == "application/json" || strings.HasSuffix(mt, "+json")
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 x.Status,
		Header:                 x.Header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			ExcludeResponseBody:   !jsonBody || !x.BodyKept || method == http.MethodHead,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(x.Body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return err
	}
	// ValidateResponse skips a few statuses (304, redirects) and, without
	// the body, the Content-Type: check those here.
	resp := route.Operation.Responses.Status(x.Status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	switch {
	case resp == nil:
		if x.Status != http.StatusNotModified {
			return fmt.Errorf("status %d is not declared", x.Status)
		}
	case len(resp.Value.Content) == 0:
		// A redirect's body is a note for humans (net/http writes a
		// line of HTML); clients ignore it.
		if x.BodyKept && len(x.Body) > 0 && x.Status/100 != 3 {
			return fmt.Errorf("status %d declares no content, but the answer has a %s body of %d bytes", x.Status, mt, len(x.Body))
		}
	case resp.Value.Content.Get(x.Header.Get("Content-Type")) == nil:
		return fmt.Errorf("Content-Type %q is not declared for status %d (declared: %s)",
			x.Header.Get("Content-Type"), x.Status, strings.Join(keys(resp.Value.Content), ", "))
	case mt == "text/event-stream" && x.BodyKept && c.event != nil:
		return c.checkEvents(x.Body)
	}
	return nil
}

// checkEvents checks each data line of an event stream against the Event
// schema (the document can only describe the stream as a string).
func (c *Checker) checkEvents(stream []byte) error {
	for line := range strings.Lines(string(stream)) {
		data, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "data: ")
		if !ok {
			continue
		}
		v, err := decodeJSON([]byte(data))
		if err == nil {
			err = c.event.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse())
			// The stream's own notices (event: reset, dropped) have their schema.
			if err != nil && c.notice != nil && c.notice.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()) == nil {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("event %.200s does not match the Event schema: %w", data, err)
		}
	}
	return nil
}

// checkRequest checks a request the server accepted. Its JSON body is
// checked when it was kept; other bodies (uploads) are not.
func (c *Checker) checkRequest(ctx context.Context, r *http.Request, x Exchange, route *routers.Route, params map[string]string) error {
	r = r.Clone(ctx)
	opts := &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults: true,
		MultiError:          true,
	}
	if mt := mediaType(r.Header.Get("Content-Type")); x.RequestBody == nil || (mt != "" && mt != "application/json") {
		opts.ExcludeRequestBody = true
	}
	r.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
	if len(x.RequestBody) > 0 && r.Header.Get("Content-Type") == "" {
		// The server reads JSON bodies whatever their Content-Type.
		r.Header.Set("Content-Type", "application/json")
	}
	return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route, Options: opts,
	})
}

// checkProblem checks an answer of the server's own for a route the
// document does not have: a problem of the right status.
func (c *Checker) checkProblem(x Exchange) error {
	if mt := mediaType(x.Header.Get("Content-Type")); mt != "application/problem+json" {
		return fmt.Errorf("Content-Type = %q, want application/problem+json", x.Header.Get("Content-Type"))
	}
	if !x.BodyKept {
		return nil
	}
	v, err := decodeJSON(x.Body)
	if err != nil {
		return err
	}
	if err := c.problem.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("problem does not match the Problem schema: %w", err)
	}
	return nil
}

func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	return v, nil
}

func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(ct)
	}
	return mt
}

func keys(c openapi3.Content) []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Handler returns next, with every answer checked; each mismatch is
// reported to t with the method, path and status.
func (c *Checker) Handler(t testing.TB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !documented(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		var reqBody *capBuffer
		if r.Body != nil && r.Body != http.NoBody {
			reqBody = &capBuffer{}
			r.Body = teeBody{Reader: io.TeeReader(r.Body, reqBody), Closer: r.Body}
		}
		rec := &recorder{ResponseWriter: w}
		orig := r.Clone(r.Context())
		next.ServeHTTP(rec, r)
		if reqBody != nil {
			// What the handler left unread, as net/http would discard it.
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody+1))
		}
		x := Exchange{Request: orig, Status: rec.status, Header: rec.header, Body: rec.body.Bytes(), BodyKept: !rec.body.over}
		if !rec.wrote {
			x.Status, x.Header = http.StatusOK, w.Header().Clone()
		}
		if reqBody != nil && !reqBody.over {
			x.RequestBody = reqBody.Bytes()
		}
		if err := c.Check(context.Background(), x); err != nil {
			t.Errorf("openapi: %s %s: %d: %v", orig.Method, orig.URL.RequestURI(), x.Status, err)
		}
	})
}

// Transport returns a RoundTripper that sends through next and checks
// every answer; report gets each mismatch, with the method, path and
// status in its text, and nothing when the answer matches. An event
// stream is checked when its headers arrive; any other body is read
// whole and handed on unchanged.
func (c *Checker) Transport(next http.RoundTripper, report func(r *http.Request, err error)) http.RoundTripper {
	return transport{c: c, next: next, report: report}
}

type transport struct {
	c      *Checker
	next   http.RoundTripper
	report func(*http.Request, error)
}

func (tr transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !documented(r.URL.Path) {
		return tr.next.RoundTrip(r)
	}
	var reqBody []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := tr.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	x := Exchange{Request: r, RequestBody: reqBody, Status: resp.StatusCode, Header: resp.Header}
	if mediaType(resp.Header.Get("Content-Type")) == "text/event-stream" {
		// Checked event by event as the caller reads the stream.
		resp.Body = &eventReader{ReadCloser: resp.Body, check: func(line []byte) {
			if err := tr.c.checkEvents(line); err != nil {
				tr.report(r, fmt.Errorf("openapi: %s %s: %w", r.Method, r.URL.RequestURI(), err))
			}
		}}
	} else {
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		if err != nil {
			resp.Body.Close()
			return nil, err
		}
		if len(b) <= maxBody {
			x.Body, x.BodyKept = b, true
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	}
	if err := tr.c.Check(r.Context(), x); err != nil {
		tr.report(r, fmt.Errorf("openapi: %s %s: %d: %w", r.Method, r.URL.RequestURI(), x.Status, err))
	}
	return resp, nil
}

// eventReader hands each whole line of an event stream to check as the
// stream is read.
type eventReader struct {
	io.ReadCloser
	check func(line []byte)
	buf   []byte // the line read so far
}

func (e *eventReader) Read(p []byte) (int, error) {
	n, err := e.ReadCloser.Read(p)
	e.buf = append(e.buf, p[:n]...)
	for {
		i := bytes.IndexByte(e.buf, '\n')
		if i < 0 {
			break
		}
		e.check(e.buf[:i+1])
		e.buf = e.buf[i+1:]
	}
	if len(e.buf) > maxBody {
		e.buf = nil // not an event stream's line: stop keeping it
	}
	return n, err
}

// recorder passes an answer on and keeps its status, headers and (up to
// maxBody) body. Unwrap lets http.ResponseController reach Flush and the
// deadlines of the writer beneath.
type recorder struct {
	http.ResponseWriter
	status int
	header http.Header
	wrote  bool
	body   capBuffer
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.header, w.wrote = code, w.ResponseWriter.Header().Clone(), true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	_, _ = w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// capBuffer keeps the first maxBody bytes written to it and notes more.
type capBuffer struct {
	bytes.Buffer
	over bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if b.over || b.Len()+len(p) > maxBody {
		b.over = true
		b.Reset()
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

type teeBody struct {
	io.Reader
	io.Closer
}
