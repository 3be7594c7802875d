package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"github.com/joule-ev/joule/internal/charging"
	"net/http"
	"time"
)

// readyTimeout bounds the readiness check of the service.
const readyTimeout = 2 * time.Second

// GET /livez: the process serves HTTP. It checks no dependency, so a dead
// database never makes an orchestrator restart the process (and drop every
// charger connection).
func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// GET /readyz: 200 when the service is ready and the server is not shutting
// down, 503 otherwise. The status code is the answer; the body lists the
// checks for humans. Failure details go to the log, not to the caller.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.shuttingDown() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("[-]shutdown: shutting down\n"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		if charging.ErrorCode(err) == charging.ESTORAGEFULL {
			w.Header().Set("Retry-After", storageRetryAfter)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("[-]storage: the disk is full\n"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("[-]service: not ready\n"))
		return
	}
	body := "[+]service ok\n"
	for _, c := range s.opts.ReadyChecks {
		if err := c.Check(ctx); err != nil {
			s.log.Warn("not ready", "check", c.Name, "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(body + "[-]" + c.Name + ": not ready\n"))
			return
		}
		body += "[+]" + c.Name + " ok\n"
	}
	_, _ = w.Write([]byte(body + "[+]shutdown: not shutting down\nok\n"))
}

//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPIDocument returns the OpenAPI document served at
// GET /api/v1/openapi.yaml (tests check the API's answers against it).
func OpenAPIDocument() []byte { return bytes.Clone(openAPIDoc) }

// GET /api/v1/openapi.yaml
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml") // RFC 9512
	_, _ = w.Write(openAPIDoc)
}
