package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// MaxLimit is the largest page size a list accepts.
const MaxLimit = 1000

// badRequest is a request the API refuses before calling the service.
// status is 400 unless the body was too large (413).
type badRequest struct {
	status int
	code   string
	detail string
}

func (e *badRequest) Error() string { return e.detail }

func invalidf(format string, args ...any) *badRequest {
	return &badRequest{status: http.StatusBadRequest, code: charging.EINVALID, detail: fmt.Sprintf(format, args...)}
}

// reject writes a badRequest, or any other error through fail.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, err error) {
	var br *badRequest
	if errors.As(err, &br) {
		s.problem(w, r, br.status, br.code, br.detail)
		return
	}
	s.fail(w, r, err)
}

// readBody reads at most MaxBodyBytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &badRequest{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
				detail: fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
		}
		return nil, invalidf("reading request body: %v", err)
	}
	return b, nil
}

// decodeJSON decodes a request body holding exactly one JSON object into v,
// refusing unknown fields; errors name what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeObject(b, v)
}

// decodeSecretJSON is decodeJSON for bodies that may hold a password: a
// syntax error is reported without encoding/json's text, which quotes the
// offending character (a piece of the secret, inside a string).
func decodeSecretJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	if !json.Valid(b) {
		if len(bytes.TrimSpace(b)) == 0 {
			return invalidf("request body is empty; want a JSON object")
		}
		return invalidf("request body is not valid JSON")
	}
	return decodeObject(b, v)
}

// decodeObject decodes b, exactly one JSON object, into v, refusing
// unknown fields.
func decodeObject(b []byte, v any) error {
	if err := requireObject(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// requireObject checks that b is one JSON object and nothing else.
func requireObject(b []byte) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return invalidf("request body is empty; want a JSON object")
	}
	if t[0] != '{' {
		return invalidf("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidf("request body has data after the JSON object")
	}
	return nil
}

// jsonError turns a decoding error into a 400 naming the problem.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return invalidf("request body is not valid JSON (at byte %d): %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return invalidf("field %q must be %s, not %s", typ.Field, jsonKind(typ.Type.String()), typ.Value)
		}
		return invalidf("request body must be a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalidf("request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for DisallowUnknownFields.
		return invalidf("unknown field %s in request body", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return invalidf("request body: %v", err)
	}
}

// jsonKind names a Go type the way an API user thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "float"), strings.Contains(goType, "int"):
		return "a number"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	case strings.Contains(goType, "RawMessage"), strings.Contains(goType, "map"), strings.Contains(goType, "struct"):
		return "an object"
	case strings.HasPrefix(strings.TrimPrefix(goType, "*"), "[]"):
		return "an array"
	}
	return goType
}

// queryLimit parses ?limit= (absent: 0, the store's default).
func queryLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, invalidf("limit must be an integer from 1 to %d, got %q", MaxLimit, v)
	}
	return n, nil
}

// knownParams refuses a query parameter the route does not know: a typo
// (?chargerID=) must not silently widen a list to everything.
func knownParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return invalidf("unknown query parameter %q (this route knows %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

// queryTime parses an optional RFC 3339 query parameter; zero when absent.
func queryTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, invalidf("%s must be an RFC 3339 time such as 2026-12-01T00:00:00Z, got %q", name, v)
	}
	return t, nil
}

// bodyTime parses an optional RFC 3339 time from a request body field
// decoded as a string; unlike decoding into time.Time, its error names the
// field (encoding/json does not say which field an UnmarshalJSON failed on).
func bodyTime(field string, v *string) (*time.Time, error) {
	if v == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return nil, invalidf("%s must be an RFC 3339 time such as 2026-12-01T02:00:00Z, got %s", field, quote(*v))
	}
	return &t, nil
}

// connectorParam parses a connector id: an integer >= min.
func connectorParam(name, v string, min int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		return 0, invalidf("%s must be an integer >= %d, got %q", name, min, v)
	}
	return n, nil
}

var sessionStatuses = []charging.SessionStatus{
	charging.SessionPending, charging.SessionActive, charging.SessionFinished, charging.SessionFailed,
}

// queryStatuses parses ?status=active,pending.
func queryStatuses(q url.Values) ([]charging.SessionStatus, error) {
	v := q.Get("status")
	if v == "" {
		return nil, nil
	}
	var out []charging.SessionStatus
	for _, p := range strings.Split(v, ",") {
		st := charging.SessionStatus(strings.TrimSpace(p))
		ok := false
		for _, known := range sessionStatuses {
			ok = ok || st == known
		}
		if !ok {
			return nil, invalidf("status %q is not one of pending, active, finished, failed", st)
		}
		out = append(out, st)
	}
	return out, nil
}

// paymentStatuses are the values of the paymentStatus filter.
var paymentStatuses = []charging.PaymentStatus{charging.PaymentAuthorized, charging.PaymentUnpaid, charging.PaymentCaptured,
	charging.PaymentReleased, charging.PaymentRefunded, charging.PaymentFailed}

// queryPaymentStatuses reads paymentStatus: one or several, comma-separated.
func queryPaymentStatuses(q url.Values) ([]charging.PaymentStatus, error) {
	v := q.Get("paymentStatus")
	if v == "" {
		return nil, nil
	}
	var out []charging.PaymentStatus
	for _, p := range strings.Split(v, ",") {
		st := charging.PaymentStatus(strings.TrimSpace(p))
		if !slices.Contains(paymentStatuses, st) {
			return nil, invalidf("paymentStatus %q is not one of authorized, unpaid, captured, released, refunded, failed", st)
		}
		out = append(out, st)
	}
	return out, nil
}

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// page is the JSON shape of a list (charging.Page has no JSON tags).
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func toPage[T any](p charging.Page[T]) page[T] {
	items := p.Items
	if items == nil {
		items = []T{} // [] rather than null
	}
	return page[T]{Items: items, NextCursor: p.NextCursor}
}
