// Package inmem holds Joule's single-process implementations of domain
// contracts. Bus is the in-process charging.EventBus: it fans events out to
// subscribers without ever blocking the publisher, drops subscribers that
// fall behind, and keeps a short history so a reconnecting client can resume
// after the last event id it saw (SSE's Last-Event-ID).
//
// inmem imports charging and the standard library only; it must not import
// another adapter (sqlite, httpapi, natsbus, gateway, ...).
package inmem
