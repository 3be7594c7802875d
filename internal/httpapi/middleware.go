package httpapi

import (
	"errors"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// statusWriter records the status a handler wrote. Unwrap lets
// http.ResponseController reach the underlying writer's Flush and deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs every request at Debug with its method, path, status and
// duration. It wraps recoverPanics, so a panic is logged with status 500.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.status
			if !sw.wrote {
				status = http.StatusOK // net/http's answer when a handler writes nothing
			}
			s.log.Debug("http request", "method", r.Method, "path", redactPath(r.URL.Path),
				"status", status, "duration", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// recoverPanics turns a handler panic into an Error log with the stack and a
// 500 problem, or an aborted connection when the handler had already begun
// its answer. http.ErrAbortHandler is re-raised: it is net/http's way of
// aborting a response on purpose.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", redactPath(r.URL.Path),
				"panic", v, "stack", string(debug.Stack()))
			if sw.wrote {
				// Part of the answer is out: abort the connection so the
				// client cannot take a truncated body for a whole one.
				panic(http.ErrAbortHandler)
			}
			s.problem(sw, r, http.StatusInternalServerError, charging.EINTERNAL, "internal error")
		}()
		next.ServeHTTP(sw, r)
	})
}

// redactPath hides the capability token of a diagnostics upload URL, so
// that logs never hold a credential.
func redactPath(p string) string {
	const prefix = "/api/v1/diagnostics-uploads/"
	if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
		return prefix + "…"
	}
	return p
}
