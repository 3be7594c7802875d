package csms

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// One inbound message, one atomic write. A use case that writes more than
// once (a StopTransaction ends its session, stores its transaction data
// and frees its reservation) runs all of it in one unit of work
// (charging.Store.Update): everything is durable before the charger gets
// its answer, or nothing is and the charger's retry finds the state as it
// was. What the unit does outside the store, events and the service's
// caches, waits until the unit committed.

// unit is one use case's unit of work: the store view it reads and writes
// through, and what to do once its writes are durable.
type unit struct {
	tx     charging.Tx
	events []charging.Event
	after  []func()
}

// publish queues an event, published once the unit committed.
func (u *unit) publish(e charging.Event) { u.events = append(u.events, e) }

// publishSession queues a session event.
func (u *unit) publishSession(typ string, ses charging.Session, samples []charging.MeterSample) {
	u.publish(charging.Event{
		Type: typ, ChargerID: ses.ChargerID, ConnectorID: ses.ConnectorID,
		SessionID: ses.ID, Session: &ses, Samples: samples,
	})
}

// then queues fn (a cache update), run once the unit committed.
func (u *unit) then(fn func()) { u.after = append(u.after, fn) }

// update runs fn as one unit of work, then its follow-ups and events.
// fn may run more than once (see charging.Store.Update): it starts from a
// fresh unit every time, and must not change anything but through u.
func (s *Service) update(ctx context.Context, fn func(u *unit) error) error {
	var u *unit
	err := s.store.Update(ctx, func(tx charging.Tx) error {
		u = &unit{tx: tx}
		return fn(u)
	})
	if err != nil {
		return err
	}
	for _, f := range u.after {
		f()
	}
	for _, e := range u.events {
		s.publish(ctx, e)
	}
	return nil
}
