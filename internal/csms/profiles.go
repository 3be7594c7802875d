package csms

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// SaveChargingProfile validates and stores a profile; an ID of 0 gets the
// next free id. A stored profile is sent to chargers with
// ApplyChargingProfile (or a remote start, for a TxProfile).
func (s *Service) SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) (charging.ChargingProfile, error) {
	if p.TransactionID != "" {
		return charging.ChargingProfile{}, charging.Errorf(charging.EINVALID, "a stored profile has no transactionId; give sessionId when applying a TxProfile")
	}
	if p.ID == 0 {
		id, err := s.store.NextChargingProfileID(ctx)
		if err != nil {
			return charging.ChargingProfile{}, err
		}
		p.ID = id
	}
	if err := p.Validate(); err != nil {
		return charging.ChargingProfile{}, err
	}
	now := s.utcNow()
	p.CreatedAt, p.UpdatedAt = now, now
	// The creation time kept is read in the write's unit.
	err := s.update(ctx, func(u *unit) error {
		p := p
		if prev, err := u.tx.GetChargingProfile(ctx, p.ID); err == nil {
			p.CreatedAt = prev.CreatedAt
		}
		return u.tx.SaveChargingProfile(ctx, p)
	})
	if err != nil {
		return charging.ChargingProfile{}, err
	}
	return s.store.GetChargingProfile(ctx, p.ID)
}

// GetChargingProfile returns one stored profile.
func (s *Service) GetChargingProfile(ctx context.Context, id int) (charging.ChargingProfile, error) {
	return s.store.GetChargingProfile(ctx, id)
}

// ListChargingProfiles returns stored profiles ordered by id.
func (s *Service) ListChargingProfiles(ctx context.Context, q charging.ProfileQuery) (charging.Page[charging.ChargingProfile], error) {
	return s.store.ListChargingProfiles(ctx, q)
}

// ListInstalledProfiles returns the profiles a charger accepted, as Joule knows them.
func (s *Service) ListInstalledProfiles(ctx context.Context, chargerID string) ([]charging.InstalledProfile, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return nil, err
	}
	return s.store.ListInstalledProfiles(ctx, chargerID)
}

// ApplyChargingProfile sends a stored profile to a charger's connector
// (SetChargingProfile). A ChargePointMaxProfile goes to connector 0; a
// TxProfile is bound to the transaction of sessionID, an active session on
// that connector (OCPP 1.6 §3.13.3).
func (s *Service) ApplyChargingProfile(ctx context.Context, chargerID string, connectorID, profileID int, sessionID string) (charging.CommandOutcome, error) {
	p, err := s.store.GetChargingProfile(ctx, profileID)
	if err != nil {
		return charging.CommandOutcome{}, err
	}
	switch {
	case connectorID < 0:
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "connectorId must be 0 or more, got %d", connectorID)
	case p.Purpose == charging.PurposeChargePointMax && connectorID != 0:
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "a ChargePointMaxProfile applies to connector 0 (the whole charger)")
	case p.Purpose == charging.PurposeTx && (connectorID == 0 || sessionID == ""):
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "a TxProfile needs a connector above 0 and the sessionId of its active session")
	case p.Purpose != charging.PurposeTx && sessionID != "":
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "only a TxProfile is bound to a session")
	}
	if sessionID != "" {
		ses, err := s.store.GetSession(ctx, sessionID)
		if err != nil {
			return charging.CommandOutcome{}, err
		}
		if ses.ChargerID != chargerID || ses.ConnectorID != connectorID || ses.Status != charging.SessionActive {
			return charging.CommandOutcome{}, charging.Errorf(charging.ECONFLICT, "session %s is not active on connector %d of charger %s", sessionID, connectorID, chargerID)
		}
		p.TransactionID = ses.TransactionID
	}
	out, err := s.simple(ctx, chargerID, "SetChargingProfile", map[string]any{"connectorId": connectorID, "csChargingProfiles": p},
		func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
			// The domain changes before the answer is recorded: whoever reads
			// the history sees its effect.
			st, err := sc.SetChargingProfile(ctx, chargerID, connectorID, p)
			if err == nil && st == charging.CommandAccepted {
				err = s.installed(context.WithoutCancel(ctx), chargerID, connectorID, p)
			}
			return st, err
		})
	return out, err
}

// installed records a profile the charger accepted.
func (s *Service) installed(ctx context.Context, chargerID string, connectorID int, p charging.ChargingProfile) error {
	return s.store.InstallProfile(ctx, charging.InstalledProfile{
		ChargerID: chargerID, ConnectorID: connectorID, ProfileID: p.ID, Purpose: p.Purpose,
		StackLevel: p.StackLevel, TransactionID: p.TransactionID, InstalledAt: s.utcNow(),
	})
}

// ClearChargingProfiles sends ClearChargingProfile; an Accepted answer
// removes the matching profiles from what Joule knows is installed.
func (s *Service) ClearChargingProfiles(ctx context.Context, chargerID string, f charging.ProfileFilter) (charging.CommandOutcome, error) {
	switch f.Purpose {
	case "", charging.PurposeChargePointMax, charging.PurposeTxDefault, charging.PurposeTx:
	default:
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "purpose must be ChargePointMaxProfile, TxDefaultProfile or TxProfile, got %q", f.Purpose)
	}
	out, err := s.simple(ctx, chargerID, "ClearChargingProfile", f,
		func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
			st, err := sc.ClearChargingProfile(ctx, chargerID, f)
			if err == nil && st == charging.CommandAccepted {
				_, err = s.store.UninstallProfiles(context.WithoutCancel(ctx), chargerID, f)
			}
			return st, err
		})
	return out, err
}

// CompositeSchedule asks a charger for the schedule its installed profiles
// make for a connector over the next durationS seconds.
func (s *Service) CompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	switch {
	case connectorID < 0:
		return charging.CompositeSchedule{}, charging.Errorf(charging.EINVALID, "connectorId must be 0 or more, got %d", connectorID)
	case durationS < 1:
		return charging.CompositeSchedule{}, charging.Errorf(charging.EINVALID, "durationS must be 1 or more, got %d", durationS)
	case unit != "" && unit != charging.UnitAmperes && unit != charging.UnitWatts:
		return charging.CompositeSchedule{}, charging.Errorf(charging.EINVALID, "chargingRateUnit must be A or W, got %q", unit)
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.CompositeSchedule{}, err
	}
	sc, err := s.stations(chargerID)
	if err != nil {
		return charging.CompositeSchedule{}, err
	}
	req := map[string]any{"connectorId": connectorID, "duration": durationS}
	if unit != "" {
		req["chargingRateUnit"] = unit
	}
	var cs charging.CompositeSchedule
	_, err = s.record(ctx, chargerID, "GetCompositeSchedule", req, func(ctx context.Context) (any, error) {
		r, err := sc.GetCompositeSchedule(ctx, chargerID, connectorID, durationS, unit)
		cs = r
		return r, err
	})
	return cs, err
}

// startProfile returns the stored TxProfile a start request names, if any.
func (s *Service) startProfile(ctx context.Context, r charging.StartRequest) (*charging.ChargingProfile, error) {
	if r.ChargingProfileID == 0 {
		return nil, nil
	}
	if len(r.ChargingProfile) > 0 {
		return nil, charging.Errorf(charging.EINVALID, "give chargingProfile or chargingProfileId, not both")
	}
	p, err := s.store.GetChargingProfile(ctx, r.ChargingProfileID)
	if err != nil {
		return nil, err
	}
	if p.Purpose != charging.PurposeTx {
		return nil, charging.Errorf(charging.EINVALID, "charging profile %d is a %s; a remote start takes a TxProfile", p.ID, p.Purpose)
	}
	return &p, nil
}

// resendProfiles re-sends the profiles a charger had before it rebooted
// (chargers may lose them; OCPP 1.6 asks the Central System to restore
// them). TxProfiles ended with their transactions and are dropped; a
// profile the charger now rejects is no longer installed.
func (s *Service) resendProfiles(ctx context.Context, chargerID string) error {
	installed, err := s.store.ListInstalledProfiles(ctx, chargerID)
	if err != nil {
		return err
	}
	for _, ip := range installed {
		drop := ip.Purpose == charging.PurposeTx
		if !drop {
			p, err := s.store.GetChargingProfile(ctx, ip.ProfileID)
			switch {
			case charging.ErrorCode(err) == charging.ENOTFOUND:
				drop = true
			case err != nil:
				return err
			default:
				out, err := s.ApplyChargingProfile(ctx, chargerID, ip.ConnectorID, p.ID, "")
				if err != nil {
					return err
				}
				drop = out.Status != charging.CommandAccepted
			}
		}
		if drop {
			if _, err := s.store.UninstallProfiles(ctx, chargerID, charging.ProfileFilter{ID: ip.ProfileID}); err != nil {
				return err
			}
		}
	}
	return nil
}
