package gateway

import (
	"context"
	"log/slog"
)

// connHandler adds a connection's charger id and OCPP version to each record
// when it is logged. log.With would build (and keep, for the connection's
// lifetime) a copy of the handler with the attributes pre-formatted: a few
// hundred bytes per idle charger for lines that are rarely written.
//
// With a quota, it also rate-limits the connection's Info and Warn records
// (see sampledlog.go): a charger flooding CALLs or bad frames cannot flood
// the log.
type connHandler struct {
	h       slog.Handler
	charger string
	ocpp    string    // "" before negotiation
	quota   *logQuota // nil: not rate-limited
}

func (g *Gateway) connLogger(chargerID, ocpp string) *slog.Logger {
	return slog.New(&connHandler{h: g.log.Handler(), charger: chargerID, ocpp: ocpp})
}

// sampledConnLogger is connLogger with a log quota of its own.
func (g *Gateway) sampledConnLogger(chargerID, ocpp string, q *logQuota) *slog.Logger {
	return slog.New(&connHandler{h: g.log.Handler(), charger: chargerID, ocpp: ocpp, quota: q})
}

func (c *connHandler) attrs() []slog.Attr {
	if c.ocpp == "" {
		return []slog.Attr{slog.String("charger", c.charger)}
	}
	return []slog.Attr{slog.String("charger", c.charger), slog.String("ocpp", c.ocpp)}
}

func (c *connHandler) Enabled(ctx context.Context, l slog.Level) bool { return c.h.Enabled(ctx, l) }

func (c *connHandler) Handle(ctx context.Context, r slog.Record) error {
	if c.quota != nil && limited(r.Level) {
		ok, dropped := c.quota.admit(recordTime(r))
		if !ok {
			return nil
		}
		if dropped > 0 {
			_ = c.handle(ctx, suppressedRecord(r.Time, dropped))
		}
	}
	return c.handle(ctx, r)
}

func (c *connHandler) handle(ctx context.Context, r slog.Record) error {
	// The connection's attributes come first, as with log.With.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(c.attrs()...)
	r.Attrs(func(a slog.Attr) bool { nr.AddAttrs(a); return true })
	return c.h.Handle(ctx, nr)
}

func (c *connHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return c.wrap(c.h.WithAttrs(c.attrs()).WithAttrs(as))
}

func (c *connHandler) WithGroup(name string) slog.Handler {
	return c.wrap(c.h.WithAttrs(c.attrs()).WithGroup(name))
}

// wrap keeps the quota on a derived handler, so that log.With(...) shares
// the connection's budget.
func (c *connHandler) wrap(h slog.Handler) slog.Handler {
	if c.quota == nil {
		return h
	}
	return &quotaHandler{h: h, q: c.quota}
}
