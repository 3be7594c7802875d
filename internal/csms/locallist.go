package csms

import (
	"context"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// maintenance returns the local-list and firmware commander for a connected charger.
func (s *Service) maintenance(chargerID string) (charging.StationMaintenance, error) {
	sm, ok := s.cmd.(charging.StationMaintenance)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "this node cannot send local list and firmware commands")
	}
	if !s.cmd.Connected(chargerID) {
		return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", chargerID)
	}
	return sm, nil
}

// SendLocalList sends a charger a local authorization list update under a
// new list version Joule allocates. entries nil sends every stored id tag;
// in a Differential update an entry without status removes the id tag.
// The charger's list version is recorded when it answers Accepted.
func (s *Service) SendLocalList(ctx context.Context, chargerID, updateType string, entries []charging.LocalListEntry) (charging.LocalListOutcome, error) {
	if updateType != charging.LocalListFull && updateType != charging.LocalListDifferential {
		return charging.LocalListOutcome{}, charging.Errorf(charging.EINVALID, "updateType must be Full or Differential, got %q", updateType)
	}
	if entries == nil {
		var err error
		if entries, err = s.storedEntries(ctx); err != nil {
			return charging.LocalListOutcome{}, err
		}
	} else if err := validEntries(updateType, entries); err != nil {
		return charging.LocalListOutcome{}, err
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.LocalListOutcome{}, err
	}
	sm, err := s.maintenance(chargerID)
	if err != nil {
		return charging.LocalListOutcome{}, err
	}
	version, err := s.store.NextLocalListVersion(ctx)
	if err != nil {
		return charging.LocalListOutcome{}, err
	}
	u := charging.LocalListUpdate{Version: version, UpdateType: updateType, Entries: entries}
	var status charging.CommandStatus
	id, err := s.record(ctx, chargerID, "SendLocalList", u, func(ctx context.Context) (any, error) {
		st, err := sm.SendLocalList(ctx, chargerID, u)
		status = st
		return statusAnswer{st}, err
	})
	out := charging.LocalListOutcome{CommandOutcome: charging.CommandOutcome{CommandID: id, Status: status}, Version: version, Entries: len(entries)}
	if err != nil {
		return out, err
	}
	return out, s.localListAnswered(context.WithoutCancel(ctx), chargerID, u, string(status))
}

// localListAnswered records a SendLocalList answer: an Accepted list
// version becomes the charger's.
func (s *Service) localListAnswered(ctx context.Context, chargerID string, u charging.LocalListUpdate, status string) error {
	if status != string(charging.CommandAccepted) {
		return nil
	}
	return s.store.SaveLocalListVersion(ctx, chargerID, u.Version, s.utcNow())
}

// storedEntries returns every stored id tag as a local list entry.
func (s *Service) storedEntries(ctx context.Context) ([]charging.LocalListEntry, error) {
	out := []charging.LocalListEntry{}
	q := charging.IDTagQuery{Limit: 1000}
	for {
		p, err := s.store.ListIDTags(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, t := range p.Items {
			out = append(out, charging.LocalListEntry{IDTag: t.IDTag, Status: t.Status, ExpiryDate: t.ExpiryDate, ParentIDTag: t.ParentIDTag})
		}
		if p.NextCursor == "" {
			return out, nil
		}
		q.Cursor = p.NextCursor
	}
}

// validEntries checks an explicit list against OCPP 1.6 SendLocalList.req.
func validEntries(updateType string, entries []charging.LocalListEntry) error {
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		switch {
		case strings.TrimSpace(e.IDTag) == "":
			return charging.Errorf(charging.EINVALID, "entries[%d].idTag is required", i)
		case charging.IDTagTooLong(e.IDTag) || charging.IDTagTooLong(e.ParentIDTag):
			return charging.Errorf(charging.EINVALID, "entries[%d]: idTag and parentIdTag must be at most 20 characters (OCPP IdToken)", i)
		case seen[strings.ToLower(e.IDTag)]:
			return charging.Errorf(charging.EINVALID, "entries[%d]: idTag %s is listed twice", i, e.IDTag)
		case e.Status == "" && updateType == charging.LocalListFull:
			return charging.Errorf(charging.EINVALID, "entries[%d]: a Full update needs a status for every idTag", i)
		}
		switch e.Status {
		case "", charging.AuthAccepted, charging.AuthBlocked, charging.AuthExpired, charging.AuthInvalid, charging.AuthConcurrentTx:
		default:
			return charging.Errorf(charging.EINVALID, "entries[%d].status must be Accepted, Blocked, Expired, Invalid or ConcurrentTx, got %q", i, e.Status)
		}
		seen[strings.ToLower(e.IDTag)] = true
	}
	return nil
}

// GetLocalListVersion asks a charger for its list version, records the
// answer and returns what Joule now knows of the charger's list.
func (s *Service) GetLocalListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.LocalListVersion{}, err
	}
	sm, err := s.maintenance(chargerID)
	if err != nil {
		return charging.LocalListVersion{}, err
	}
	var version int
	if _, err := s.record(ctx, chargerID, "GetLocalListVersion", struct{}{}, func(ctx context.Context) (any, error) {
		v, err := sm.GetLocalListVersion(ctx, chargerID)
		version = v
		return map[string]int{"listVersion": v}, err
	}); err != nil {
		return charging.LocalListVersion{}, err
	}
	if err := s.store.SaveReportedLocalListVersion(context.WithoutCancel(ctx), chargerID, version, s.utcNow()); err != nil {
		return charging.LocalListVersion{}, err
	}
	return s.localListVersion(ctx, chargerID)
}

func (s *Service) localListVersion(ctx context.Context, chargerID string) (charging.LocalListVersion, error) {
	all, err := s.store.ListLocalListVersions(ctx)
	if err != nil {
		return charging.LocalListVersion{}, err
	}
	for _, v := range all {
		if v.ChargerID == chargerID {
			return v, nil
		}
	}
	return charging.LocalListVersion{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
}

// ListLocalListVersions returns every charger's list version and whether it is behind.
func (s *Service) ListLocalListVersions(ctx context.Context) ([]charging.LocalListVersion, error) {
	return s.store.ListLocalListVersions(ctx)
}
