package charging

import (
	"context"
	"time"
)

// Event types published on the bus.
const (
	EventChargerConnected    = "charger.connected"
	EventChargerDisconnected = "charger.disconnected"
	EventChargerBooted       = "charger.booted"
	EventChargerUpdated      = "charger.updated"
	EventConnectorStatus     = "connector.status"
	EventSessionPending      = "session.pending"
	EventSessionStarted      = "session.started"
	EventSessionMeter        = "session.meter"
	EventSessionStopped      = "session.stopped"
	EventSessionFailed       = "session.failed"
	EventSessionUpdated      = "session.updated"
	EventSiteCreated         = "site.created"
	EventSiteUpdated         = "site.updated"
	EventSiteDeleted         = "site.deleted"
	// EventSiteLoad: Joule changed a site's allocation (Event.Load).
	EventSiteLoad = "site.load"
	// EventSiteMeter: a site meter reading (Event.Reading), pushed to the
	// API or read from a charger's connector-0 meter values (Samples).
	EventSiteMeter = "site.meter"
	// EventChargerMeter: meter values of a charger's connector 0 outside
	// any transaction (Samples).
	EventChargerMeter = "charger.meter"
)

// Event is something that happened, for apps that watch live.
type Event struct {
	ID          uint64     `json:"id"` // assigned by the bus, increasing
	Type        string     `json:"type"`
	Time        time.Time  `json:"time"`
	ChargerID   string     `json:"chargerId"` // "" for a site event
	ConnectorID int        `json:"connectorId,omitempty"`
	SessionID   string     `json:"sessionId,omitempty"`
	SiteID      string     `json:"siteId,omitempty"`
	Charger     *Charger   `json:"charger,omitempty"`
	Connector   *Connector `json:"connector,omitempty"`
	Session     *Session   `json:"session,omitempty"`
	Site        *Site      `json:"site,omitempty"` // site.created, site.updated
	// Samples are the meter samples of a session.meter event.
	Samples []MeterSample `json:"samples,omitempty"`
	// Load is a site.load event's allocation; Reading a site.meter event's.
	Load    *SiteLoad         `json:"load,omitempty"`
	Reading *SiteMeterReading `json:"reading,omitempty"`
}

// EventFilter selects events; empty fields match everything.
type EventFilter struct {
	ChargerID string
	SessionID string
}

// Match reports whether e passes the filter.
func (f EventFilter) Match(e Event) bool {
	return (f.ChargerID == "" || f.ChargerID == e.ChargerID) &&
		(f.SessionID == "" || f.SessionID == e.SessionID)
}

// EventBus fans events out to subscribers. Publish never blocks on a slow
// subscriber: a subscriber whose buffer is full is dropped (its channel is
// closed) so the charger path never waits for an app.
type EventBus interface {
	Publish(ctx context.Context, e Event)
	Subscribe(f EventFilter) Subscription
}

// Subscription is a live feed of events. Events is closed when the
// subscription is closed or dropped for being too slow.
type Subscription interface {
	Events() <-chan Event
	Close()
}
