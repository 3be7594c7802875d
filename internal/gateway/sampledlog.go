package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// A flood of CALLs or bad frames from one socket, or of refused attempts
// from one address, must not flood the log: each connection, and each
// remote address for refusals, may write logQuotaRecords records per
// logQuotaWindow at Info and Warn. What is suppressed is counted and
// reported in one line when the next window opens, and at disconnection.
// Errors (ours to fix) always pass; Debug is an operator's explicit wish
// to see every frame, so it passes too.
const (
	logQuotaRecords = 10
	logQuotaWindow  = time.Minute
)

// logQuota is one connection's or one address's log budget.
type logQuota struct {
	mu      sync.Mutex
	start   time.Time // of the current window; guarded by mu
	n       int       // records let through in it; guarded by mu
	dropped int       // records suppressed and not yet reported; guarded by mu
}

// limited reports whether a record at level counts against a quota.
func limited(l slog.Level) bool { return l >= slog.LevelInfo && l < slog.LevelError }

// admit reports whether a record may be written at now; dropped, when not
// zero, is the number suppressed before it, to be reported first.
func (q *logQuota) admit(now time.Time) (ok bool, dropped int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.start.IsZero() || now.Sub(q.start) >= logQuotaWindow {
		q.start, q.n = now, 0
		dropped, q.dropped = q.dropped, 0
	}
	if q.n >= logQuotaRecords {
		q.dropped++
		return false, 0
	}
	q.n++
	return true, dropped
}

// flush returns and forgets the number of records suppressed so far.
func (q *logQuota) flush() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.dropped
	q.dropped = 0
	return n
}

// suppressedRecord is the line that reports suppressed records.
func suppressedRecord(t time.Time, n int) slog.Record {
	r := slog.NewRecord(t, slog.LevelWarn, "log records suppressed (rate limit)", 0)
	r.AddAttrs(slog.Int("suppressed", n))
	return r
}

// quotaHandler applies a logQuota to a handler; connHandler's WithAttrs
// and WithGroup return one, so a derived logger shares the budget.
type quotaHandler struct {
	h slog.Handler
	q *logQuota
}

func (h *quotaHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *quotaHandler) Handle(ctx context.Context, r slog.Record) error {
	if limited(r.Level) {
		ok, dropped := h.q.admit(recordTime(r))
		if !ok {
			return nil
		}
		if dropped > 0 {
			_ = h.h.Handle(ctx, suppressedRecord(r.Time, dropped))
		}
	}
	return h.h.Handle(ctx, r)
}

func (h *quotaHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &quotaHandler{h: h.h.WithAttrs(as), q: h.q}
}

func (h *quotaHandler) WithGroup(name string) slog.Handler {
	return &quotaHandler{h: h.h.WithGroup(name), q: h.q}
}

// recordTime is the record's time, or now when it has none.
func recordTime(r slog.Record) time.Time {
	if r.Time.IsZero() {
		return time.Now()
	}
	return r.Time
}

// logQuotas keeps a logQuota per key (a remote address). Quotas idle for a
// whole window are forgotten (their suppressed count was reported when
// they were last used, or is lost with them: a count of lines is not worth
// unbounded memory).
type logQuotas struct {
	mu     sync.Mutex
	quotas map[string]*logQuota // guarded by mu
	swept  time.Time            // guarded by mu
}

// get returns key's quota.
func (qs *logQuotas) get(key string, now time.Time) *logQuota {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if qs.quotas == nil {
		qs.quotas = map[string]*logQuota{}
	}
	if now.Sub(qs.swept) >= logQuotaWindow {
		qs.swept = now
		for k, q := range qs.quotas {
			q.mu.Lock()
			idle := now.Sub(q.start) >= 2*logQuotaWindow
			q.mu.Unlock()
			if idle {
				delete(qs.quotas, k)
			}
		}
	}
	q := qs.quotas[key]
	if q == nil {
		q = &logQuota{}
		qs.quotas[key] = q
	}
	return q
}
