// Package natsbus is the cluster-wide charging.EventBus: several Joule
// nodes share one NATS JetStream stream, so an event published on any node
// reaches the SSE subscribers of every node, and a client may resume with
// Last-Event-ID on any node.
//
// # Stream and subjects
//
// One stream (Options.Stream, default JOULE_EVENTS) holds every event
// under <prefix>.> (Options.SubjectPrefix, default joule.events). An event
// is published on <prefix>.c.<charger>, where <charger> is the charger id
// in unpadded base64url (charger ids may hold '.', '*', '>' or spaces,
// which NATS subjects do not allow) and "_" for events without a charger
// (site events). The stream keeps events for Options.MaxAge (default 24h)
// within MaxBytes/MaxMsgs, discarding the oldest. New creates the stream or
// updates its limits; several nodes may call it at once.
//
// # Ids and ordering
//
// An event's id is its stream sequence: ids are the same on every node,
// increase in the order the stream stored the events, and survive node
// restarts. The payload is JSON (the same encoding clients get), wrapped
// with the fields JSON leaves out (Session.IdempotencyKey); an event JSON
// cannot carry (a NaN or infinite float from a charger's meter value)
// falls back to gob, so it is not lost.
//
// # Publishing
//
// Publish encodes the event and puts it on a bounded queue; it never
// waits for NATS. One goroutine per Bus publishes the queue in order with
// JetStream async publishes (at most Options.MaxInFlight unacknowledged),
// so events published by one goroutine of this node are stored in that
// order. When the queue is full (NATS down for long, or far too slow) the
// event is dropped and logged; an unacknowledged publish times out after
// Options.PublishTimeout and is logged. Events are never retried: a retry
// could store an event twice or out of order.
//
// # Subscribing
//
// Each Bus runs one ordered JetStream consumer over the whole stream,
// starting after the stream's last sequence at New. Every message it
// delivers is decoded once and fanned out in-process to the matching
// subscribers (filters are applied locally), under one lock, so every
// subscriber sees events in stream order, each once. A subscriber whose
// buffer is full is dropped (its channel closed), never blocking the
// fan-out, as in inmem. The ordered consumer recreates itself after a
// NATS outage and continues after the last sequence it delivered; when the
// stream no longer holds the next events (they expired meanwhile) the bus
// sees a gap in the sequences and drops every subscriber, whose clients
// then resume and are told to reload.
//
// # Resuming (Last-Event-ID)
//
// ResumeFrom(f, after) asks the stream for its first and last sequence:
// the resume is complete when after+1 >= first and after <= last. If it is
// not (older than the history, or never issued) the subscription is live
// only and the client reloads its state; there is no partial replay. If it
// is, and this node has delivered events after it (up to the handover
// point H, this node's LastID at subscription), a catch-up goroutine reads
// (after, H] from the stream with a short-lived ephemeral consumer
// (filtered by subject when the filter names a charger) while live events
// above H are queued for the subscriber; when the read is done the queue
// is handed over and the subscriber goes live, with no gap and no
// duplicate. If the node has not yet seen `after` (another node published
// it a moment ago) the subscriber simply skips live events up to it.
//
// # When NATS is down
//
// Publish still returns at once; events queue up to Options.PublishQueue
// and then are dropped (logged). Subscribers stay open and get nothing
// until the ordered consumer is back, then get the events stored
// meanwhile, in order. ResumeFrom cannot read the stream's state and
// answers complete=false (the client reloads). Ping fails, so readiness
// reports the node not ready.
package natsbus
