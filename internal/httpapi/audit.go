package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// auditRecord is what the audit entry of one call will say; handlers
// that sign someone in, or that know better what the call touched, fill
// it in (noteAudit).
type auditRecord struct {
	action    string
	principal *charging.Principal
	actorName string // who tried, when no principal (a failed sign-in's email)
	target    string
	detail    string
}

type auditKey struct{}

func withAudit(ctx context.Context, rec *auditRecord) context.Context {
	return context.WithValue(ctx, auditKey{}, rec)
}

// noteAudit lets a handler complete the call's audit entry.
func noteAudit(r *http.Request, fn func(*auditRecord)) {
	if rec, ok := r.Context().Value(auditKey{}).(*auditRecord); ok {
		fn(rec)
	}
}

// auditWriter writes the call's audit entry when the status is known,
// before the answer goes out: a client that got the answer can rely on
// the entry being stored.
type auditWriter struct {
	http.ResponseWriter
	s      *Server
	r      *http.Request
	rec    *auditRecord
	status int
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.s.audit(w.r, w.rec, code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish records a call whose handler wrote nothing (an implicit 200).
func (w *auditWriter) finish() {
	if w.status == 0 {
		w.status = http.StatusOK
		w.s.audit(w.r, w.rec, http.StatusOK)
	}
}

func outcome(status int) string {
	switch {
	case status < 400:
		return charging.OutcomeSuccess
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusTooManyRequests:
		return charging.OutcomeDenied
	case status < 500:
		return charging.OutcomeRejected
	}
	return charging.OutcomeError
}

// audit stores one entry. Calls without a principal are recorded only when
// a handler named who tried (sign-in, sign-up): anonymous noise is not.
func (s *Server) audit(r *http.Request, rec *auditRecord, status int) {
	e := charging.AuditEntry{
		ActorKind: charging.ActorAnonymous, ActorName: rec.actorName,
		Action: rec.action, Target: rec.target, RemoteAddr: clientAddr(r),
		Status: status, Outcome: outcome(status), Detail: rec.detail,
	}
	if p := rec.principal; p != nil {
		e.ActorKind, e.ActorID, e.ActorName, e.Role = p.Kind, p.ID, p.Name, p.Role
	} else if rec.actorName == "" {
		return
	}
	if e.Target == "" {
		e.Target = auditTarget(r)
	}
	if err := s.accounts.Audit(context.WithoutCancel(r.Context()), e); err != nil {
		s.log.Error("audit entry not stored", "action", e.Action, "actor", e.ActorKind+":"+e.ActorID, "status", status, "err", err)
	}
}

// auditTarget names the object of a call from the route's wildcards:
// "CP-1", "CP-1/2" (a connector), a session or user id. Capability tokens
// (diagnostics uploads) are never recorded.
func auditTarget(r *http.Request) string {
	var parts []string
	for _, name := range []string{"id", "connectorId", "idTag", "key", "jobId", "action"} {
		if v := r.PathValue(name); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, "/")
}
