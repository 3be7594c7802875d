package postgres

// Stubs of the core area, replaced by their implementation.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var _ = time.Now
var _ json.RawMessage
var _ context.Context

func (s *Store) CreateIDTag(_ context.Context, _ charging.IDTag) (r0 error) {
	return notYet("CreateIDTag")
}

func (s *Store) CreateSession(_ context.Context, _ charging.Session) (r0 error) {
	return notYet("CreateSession")
}

func (s *Store) CreateSite(_ context.Context, _ charging.Site) (r0 error) {
	return notYet("CreateSite")
}

func (s *Store) DeleteIDTag(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteIDTag")
}

func (s *Store) DeleteSite(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteSite")
}

func (s *Store) GetCharger(_ context.Context, _ string) (r0 charging.Charger, r1 error) {
	return r0, notYet("GetCharger")
}

func (s *Store) GetIDTag(_ context.Context, _ string) (r0 charging.IDTag, r1 error) {
	return r0, notYet("GetIDTag")
}

func (s *Store) GetSession(_ context.Context, _ string) (r0 charging.Session, r1 error) {
	return r0, notYet("GetSession")
}

func (s *Store) GetSessionByIdempotencyKey(_ context.Context, _ string) (r0 charging.Session, r1 error) {
	return r0, notYet("GetSessionByIdempotencyKey")
}

func (s *Store) GetSessionByTransaction(_ context.Context, _ string, _ string) (r0 charging.Session, r1 error) {
	return r0, notYet("GetSessionByTransaction")
}

func (s *Store) GetSite(_ context.Context, _ string) (r0 charging.Site, r1 error) {
	return r0, notYet("GetSite")
}

func (s *Store) ListChargers(_ context.Context, _ charging.ChargerQuery) (r0 charging.Page[charging.Charger], r1 error) {
	return r0, notYet("ListChargers")
}

func (s *Store) ListIDTags(_ context.Context, _ charging.IDTagQuery) (r0 charging.Page[charging.IDTag], r1 error) {
	return r0, notYet("ListIDTags")
}

func (s *Store) ListSessions(_ context.Context, _ charging.SessionQuery) (r0 charging.Page[charging.Session], r1 error) {
	return r0, notYet("ListSessions")
}

func (s *Store) ListSites(_ context.Context, _ charging.SiteQuery) (r0 charging.Page[charging.Site], r1 error) {
	return r0, notYet("ListSites")
}

func (s *Store) NextTransactionID(_ context.Context) (r0 int64, r1 error) {
	return r0, notYet("NextTransactionID")
}

func (s *Store) SaveCharger(_ context.Context, _ charging.Charger) (r0 error) {
	return notYet("SaveCharger")
}

func (s *Store) SaveChargerDetails(_ context.Context, _ string, _ charging.ChargerDetails) (r0 error) {
	return notYet("SaveChargerDetails")
}

func (s *Store) SaveConnector(_ context.Context, _ string, _ charging.Connector) (r0 error) {
	return notYet("SaveConnector")
}

func (s *Store) SaveConnectorStatus(_ context.Context, _ string, _ charging.Connector) (r0 charging.Connector, r1 error) {
	return r0, notYet("SaveConnectorStatus")
}

func (s *Store) SaveIDTag(_ context.Context, _ charging.IDTag) (r0 error) {
	return notYet("SaveIDTag")
}

func (s *Store) SaveSite(_ context.Context, _ charging.Site) (r0 error) {
	return notYet("SaveSite")
}

func (s *Store) SetAllOffline(_ context.Context) (r0 error) {
	return notYet("SetAllOffline")
}

func (s *Store) SetChargerPresence(_ context.Context, _ string, _ charging.ChargerPresence) (r0 error) {
	return notYet("SetChargerPresence")
}

func (s *Store) TouchCharger(_ context.Context, _ string, _ time.Time) (r0 error) {
	return notYet("TouchCharger")
}

func (s *Store) UpdateSession(_ context.Context, _ charging.Session) (r0 error) {
	return notYet("UpdateSession")
}
