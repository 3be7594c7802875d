package csms

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// ReadConfiguration asks a charger for its configuration (keys: those
// keys; none: all of them), stores it as the last known configuration and
// returns what is now known.
func (s *Service) ReadConfiguration(ctx context.Context, chargerID string, keys []string) (charging.ChargerConfiguration, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.ChargerConfiguration{}, err
	}
	if err := s.readConfiguration(ctx, chargerID, keys); err != nil {
		return charging.ChargerConfiguration{}, err
	}
	return s.store.GetConfiguration(ctx, chargerID)
}

// refreshConfiguration reads the whole configuration of a charger known to
// be connected and stores it (the follow-up after a boot): no check that
// the charger exists and no read-back, which ReadConfiguration adds for
// the app.
func (s *Service) refreshConfiguration(ctx context.Context, chargerID string) error {
	return s.readConfiguration(ctx, chargerID, nil)
}

// readConfiguration sends GetConfiguration, records it and stores the answer.
func (s *Service) readConfiguration(ctx context.Context, chargerID string, keys []string) error {
	sc, err := s.stations(chargerID)
	if err != nil {
		return err
	}
	req := map[string]any{}
	if len(keys) > 0 {
		req["key"] = keys
	}
	rec, err := s.newRecord(ctx, chargerID, "GetConfiguration", req)
	if err != nil {
		return err
	}
	if err := s.store.SaveCommand(ctx, rec); err != nil {
		return err
	}
	start := time.Now()
	rep, sendErr := sc.GetConfiguration(ctx, chargerID, keys)
	rep = withoutSecrets(rep)
	s.settle(&rec, start, rep, sendErr)
	// The answer and the configuration it reports are one write.
	err = s.update(context.WithoutCancel(ctx), func(u *unit) error {
		if err := u.tx.SaveCommand(ctx, rec); err != nil {
			return err
		}
		if sendErr != nil {
			return nil
		}
		if err := u.tx.SaveConfiguration(ctx, s.configurationOf(chargerID, rep), len(keys) == 0); err != nil {
			return err
		}
		return s.rotationsReported(ctx, u, chargerID, rep.Keys)
	})
	if sendErr != nil {
		return sendErr // the command's own failure; its record is best effort, as in finish
	}
	return err
}

func (s *Service) saveConfiguration(ctx context.Context, chargerID string, rep charging.ConfigurationReport, all bool) error {
	return s.update(ctx, func(u *unit) error {
		if err := u.tx.SaveConfiguration(ctx, s.configurationOf(chargerID, rep), all); err != nil {
			return err
		}
		return s.rotationsReported(ctx, u, chargerID, rep.Keys)
	})
}

// rotationsReported records, through u, the connectors' phase rotations
// an OCPP 1.6 charger's ConnectorPhaseRotation key says (their Reported
// rotation; the operator's still wins). Its value is a list such as
// "0.RST, 1.RST, 2.RTS": connector 0's entry is the whole charger's, for
// connectors without one of their own. NotApplicable, Unknown and values
// Joule cannot read say nothing and change nothing.
func (s *Service) rotationsReported(ctx context.Context, u *unit, chargerID string, keys []charging.ConfigurationKey) error {
	var value *string
	for _, k := range keys {
		if strings.EqualFold(k.Key, "ConnectorPhaseRotation") {
			value = k.Value
		}
	}
	if value == nil {
		return nil
	}
	rot := parseConnectorPhaseRotation(*value)
	if len(rot) == 0 {
		return nil
	}
	c, err := u.tx.GetCharger(ctx, chargerID)
	if err != nil {
		return err
	}
	changed := false
	for _, k := range c.Connectors {
		r, ok := rot[k.ConnectorID]
		if !ok {
			r, ok = rot[0]
		}
		if !ok || k.ConnectorID == 0 || r == k.Reported.PhaseRotation {
			continue
		}
		k.Reported.PhaseRotation = r
		k.Resolve()
		if err := u.tx.SaveConnector(ctx, chargerID, k); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		if c, err = u.tx.GetCharger(ctx, chargerID); err != nil {
			return err
		}
		u.publish(charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	}
	return nil
}

// parseConnectorPhaseRotation reads a ConnectorPhaseRotation value into
// the rotation of each connector it names with one Joule can use (RST ...
// TSR); a bare value counts as connector 0's.
func parseConnectorPhaseRotation(v string) map[int]charging.PhaseRotation {
	out := map[int]charging.PhaseRotation{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		id, r := 0, item
		if n, rest, ok := strings.Cut(item, "."); ok {
			x, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil || x < 0 {
				continue
			}
			id, r = x, strings.TrimSpace(rest)
		}
		rot := charging.PhaseRotation(r)
		if len(rot) == 3 && rot.Valid() {
			out[id] = rot
		}
	}
	return out
}

// configurationOf is a charger's configuration as a report read it, now.
func (s *Service) configurationOf(chargerID string, rep charging.ConfigurationReport) charging.ChargerConfiguration {
	now := s.utcNow()
	return charging.ChargerConfiguration{ChargerID: chargerID, Keys: rep.Keys, UnknownKeys: rep.UnknownKeys, ReadAt: &now}
}

// GetConfiguration returns a charger's last known configuration.
func (s *Service) GetConfiguration(ctx context.Context, chargerID string) (charging.ChargerConfiguration, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.ChargerConfiguration{}, err
	}
	return s.store.GetConfiguration(ctx, chargerID)
}

func validKey(key string) error {
	switch {
	case strings.TrimSpace(key) == "":
		return charging.Errorf(charging.EINVALID, "key is required")
	case len(key) > 50:
		return charging.Errorf(charging.EINVALID, "key %q is longer than 50 characters (OCPP CiString50)", key)
	}
	return nil
}

// ChangeConfiguration sets one configuration key on a charger. An
// Accepted or RebootRequired answer updates the last known configuration.
func (s *Service) ChangeConfiguration(ctx context.Context, chargerID, key, value string) (charging.CommandOutcome, error) {
	if err := validKey(key); err != nil {
		return charging.CommandOutcome{}, err
	}
	if err := refuseSecret(key); err != nil {
		return charging.CommandOutcome{}, err
	}
	if len(value) > 500 {
		return charging.CommandOutcome{}, charging.Errorf(charging.EINVALID, "value is longer than 500 characters (OCPP CiString500)")
	}
	out, err := s.simple(ctx, chargerID, "ChangeConfiguration", map[string]string{"key": key, "value": value},
		func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
			return sc.ChangeConfiguration(ctx, chargerID, key, value)
		})
	if err != nil {
		return out, err
	}
	return out, s.configurationChanged(ctx, chargerID, key, value, string(out.Status))
}

// configurationChanged records a ChangeConfiguration answer: the last
// known value, and the desired setting's status when it asked for that value.
func (s *Service) configurationChanged(ctx context.Context, chargerID, key, value, status string) error {
	// One unit: the desired setting is read and written together, so a
	// value the operator set meanwhile (on any node) is not overwritten.
	return s.update(ctx, func(u *unit) error {
		if status == "Accepted" || status == "RebootRequired" {
			v := value
			keys := []charging.ConfigurationKey{{Key: key, Value: &v}}
			if err := u.tx.SaveConfiguration(ctx, charging.ChargerConfiguration{ChargerID: chargerID, Keys: keys}, false); err != nil {
				return err
			}
			if err := s.rotationsReported(ctx, u, chargerID, keys); err != nil {
				return err
			}
		}
		return s.desiredAnswered(ctx, u.tx, chargerID, key, value, status)
	})
}

// desiredAnswered records, through tx, the charger's answer on the desired
// setting of key if it still asks for value.
func (s *Service) desiredAnswered(ctx context.Context, tx charging.Tx, chargerID, key, value, status string) error {
	desired, err := tx.ListDesiredSettings(ctx, chargerID)
	if err != nil {
		return err
	}
	for _, d := range desired {
		if strings.EqualFold(d.Key, key) && d.Value == value {
			now := s.utcNow()
			d.Status, d.AppliedAt, d.UpdatedAt = status, &now, now
			return tx.SaveDesiredSetting(ctx, d)
		}
	}
	return nil
}

// ListDesiredSettings returns the settings the operator wants a charger to have.
func (s *Service) ListDesiredSettings(ctx context.Context, chargerID string) ([]charging.DesiredSetting, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return nil, err
	}
	return s.store.ListDesiredSettings(ctx, chargerID)
}

// SetDesiredSetting records a setting the operator wants a charger to have.
// Joule applies it at every boot; when the charger is online it is applied
// at once too, and the returned setting carries the charger's answer.
func (s *Service) SetDesiredSetting(ctx context.Context, chargerID, key, value string) (charging.DesiredSetting, error) {
	if err := validKey(key); err != nil {
		return charging.DesiredSetting{}, err
	}
	if err := refuseSecret(key); err != nil {
		return charging.DesiredSetting{}, err
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.DesiredSetting{}, err
	}
	d := charging.DesiredSetting{ChargerID: chargerID, Key: key, Value: value, UpdatedAt: s.utcNow()}
	if err := s.store.SaveDesiredSetting(ctx, d); err != nil {
		return charging.DesiredSetting{}, err
	}
	if s.cmd.Connected(chargerID) {
		if err := s.applyOne(ctx, d); err != nil {
			return charging.DesiredSetting{}, err
		}
	}
	return s.desired(ctx, chargerID, key)
}

func (s *Service) desired(ctx context.Context, chargerID, key string) (charging.DesiredSetting, error) {
	all, err := s.store.ListDesiredSettings(ctx, chargerID)
	if err != nil {
		return charging.DesiredSetting{}, err
	}
	for _, d := range all {
		if strings.EqualFold(d.Key, key) {
			return d, nil
		}
	}
	return charging.DesiredSetting{}, charging.Errorf(charging.ENOTFOUND, "charger %s has no desired setting %s", chargerID, key)
}

// DeleteDesiredSetting stops applying a setting (the charger keeps its value).
func (s *Service) DeleteDesiredSetting(ctx context.Context, chargerID, key string) error {
	return s.store.DeleteDesiredSetting(ctx, chargerID, key)
}

// applyDesired sends every desired setting to the charger (after a boot).
func (s *Service) applyDesired(ctx context.Context, chargerID string) error {
	desired, err := s.store.ListDesiredSettings(ctx, chargerID)
	if err != nil {
		return err
	}
	for _, d := range desired {
		if err := s.applyOne(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// applyOne sends one desired setting and records the answer; a charger
// that could not be asked marks the setting failed.
func (s *Service) applyOne(ctx context.Context, d charging.DesiredSetting) error {
	_, err := s.ChangeConfiguration(ctx, d.ChargerID, d.Key, d.Value)
	switch charging.ErrorCode(err) {
	case "":
		return nil
	case charging.EINTERNAL:
		return err
	}
	return s.update(ctx, func(u *unit) error {
		return s.desiredAnswered(ctx, u.tx, d.ChargerID, d.Key, d.Value, charging.ResultFailed)
	})
}
