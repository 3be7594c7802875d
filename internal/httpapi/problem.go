package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/joule-ev/joule/internal/charging"
)

// ProblemTypeBase prefixes a problem's code to make its type URI.
const ProblemTypeBase = "https://joule.dev/problems/"

// Problem codes the HTTP edge adds to the charging codes.
const (
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "too_large"
)

// Problem is an RFC 9457 problem details object, the body of every error
// response (Content-Type application/problem+json). Code repeats the last
// segment of Type so apps can switch on it without parsing the URI.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

// httpStatus maps each charging error code to its HTTP status; this is the
// only place the API does so.
var httpStatus = map[string]int{
	charging.EINVALID:     http.StatusBadRequest,
	charging.ENOTFOUND:    http.StatusNotFound,
	charging.ECONFLICT:    http.StatusConflict, // connector busy, session not active, security downgrade
	charging.EUNAVAILABLE: http.StatusConflict, // charger offline
	charging.EREJECTED:    http.StatusConflict, // charger answered Rejected
	charging.ETIMEOUT:     http.StatusGatewayTimeout,
	charging.EINTERNAL:    http.StatusInternalServerError,
	// An Idempotency-Key reused for a different request.
	charging.EUNPROCESSABLE: http.StatusUnprocessableEntity,
	// A call without valid credentials, a role that may not call the route,
	// too many sign-in attempts (Retry-After says when to try again).
	charging.EUNAUTHENTICATED: http.StatusUnauthorized,
	charging.EFORBIDDEN:       http.StatusForbidden,
	charging.ERATELIMITED:     http.StatusTooManyRequests,
	// The disk is full: nothing was written (Retry-After says when to try again).
	charging.ESTORAGEFULL: http.StatusServiceUnavailable,
	// A declined card or a wallet without enough balance.
	charging.EPAYMENT: http.StatusPaymentRequired,
}

// storageRetryAfter is the Retry-After of a storage_full problem, seconds.
const storageRetryAfter = "60"

var problemTitle = map[string]string{
	charging.EINVALID:       "Invalid request",
	charging.ENOTFOUND:      "Not found",
	charging.ECONFLICT:      "Conflict",
	charging.EUNAVAILABLE:   "Charger unavailable",
	charging.EREJECTED:      "Rejected by the charger",
	charging.ETIMEOUT:       "Charger did not answer",
	charging.EINTERNAL:      "Internal error",
	charging.EUNPROCESSABLE: "Unprocessable request",
	codeMethodNotAllowed:    "Method not allowed",
	codeTooLarge:            "Request body too large",

	charging.EUNAUTHENTICATED: "Unauthenticated",
	charging.EFORBIDDEN:       "Forbidden",
	charging.ERATELIMITED:     "Too many attempts",
	charging.ESTORAGEFULL:     "Storage full",
	charging.EPAYMENT:         "Payment required",
}

// fail writes err as a problem. Internal errors are logged here, and only
// here; their details stay in the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := charging.ErrorCode(err)
	detail := charging.ErrorMessage(err)
	if code == charging.EINTERNAL {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			// Our own StartTimeout (or the client's deadline) ran out
			// before the service answered: the charger was too slow.
			code, detail = charging.ETIMEOUT, "the charger did not answer in time"
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			// The client went away; nobody reads the answer.
			s.log.Debug("request cancelled by client", "method", r.Method, "path", redactPath(r.URL.Path), "err", err)
		default:
			s.log.Error("internal error", "method", r.Method, "path", redactPath(r.URL.Path), "err", err)
		}
	}
	if code == charging.ESTORAGEFULL {
		s.log.Error("storage full", "method", r.Method, "path", redactPath(r.URL.Path), "err", err)
		w.Header().Set("Retry-After", storageRetryAfter)
	}
	status, ok := httpStatus[code]
	if !ok {
		s.log.Error("unknown error code", "code", code, "method", r.Method, "path", redactPath(r.URL.Path), "err", err)
		status, code, detail = http.StatusInternalServerError, charging.EINTERNAL, "internal error"
	}
	s.problem(w, r, status, code, detail)
}

// invalid writes a 400 problem with detail.
func (s *Server) invalid(w http.ResponseWriter, r *http.Request, detail string) {
	s.problem(w, r, http.StatusBadRequest, charging.EINVALID, detail)
}

func (s *Server) problem(w http.ResponseWriter, _ *http.Request, status int, code, detail string) {
	title := problemTitle[code]
	if title == "" {
		title = http.StatusText(status)
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("Location")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{
		Type:   ProblemTypeBase + code,
		Title:  title,
		Status: status,
		Detail: detail,
		Code:   code,
	})
}
