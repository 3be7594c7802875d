package httpapi_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/joule-ev/joule/internal/httpapi"
	"github.com/joule-ev/joule/internal/httpapi/openapitest"
)

// apiDoc checks every answer of every test server (newEnvBus) against
// the served OpenAPI document; it is loaded once per test binary.
var apiDoc = sync.OnceValues(func() (*openapitest.Checker, error) {
	return openapitest.New(context.Background(), httpapi.OpenAPIDocument())
})

// openAPISummary loads the document before any test (so that no test's
// deadline pays for it), runs the tests, then says how many answers were
// checked against it.
type openAPISummary struct{ m *testing.M }

func (s openAPISummary) Run() int {
	_, _ = apiDoc() // an error is reported by the first test that needs it
	code := s.m.Run()
	if c, err := apiDoc(); err == nil {
		c.Report(os.Stdout, testing.Verbose())
	}
	return code
}

func checker(t testing.TB) *openapitest.Checker {
	t.Helper()
	c, err := apiDoc()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return c
}

// TestOpenAPIValid validates the served document against the OpenAPI 3.1
// specification, strictly (openapitest.ValidationOptions), and names
// every error.
func TestOpenAPIValid(t *testing.T) {
	_, err := openapitest.Load(context.Background(), httpapi.OpenAPIDocument())
	var me openapi3.MultiError
	switch {
	case errors.As(err, &me):
		for _, e := range me {
			t.Errorf("openapi.yaml: %v", e)
		}
	case err != nil:
		t.Errorf("openapi.yaml: %v", err)
	}
}

// TestOpenAPIRoutes: every route the server serves is an operation of the
// document, and every operation is a route the server serves.
func TestOpenAPIRoutes(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	doc := checker(t).Document()
	served := map[string]bool{}
	for _, r := range e.api.Routes() {
		served[r] = true
		method, path, _ := strings.Cut(r, " ")
		if item := doc.Paths.Value(path); item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if r := method + " " + path; !served[r] {
				t.Errorf("openapi.yaml has %s, which the server does not serve", r)
			}
		}
	}
}
