package csms

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/joule-ev/joule/internal/charging"
)

var _ charging.StationReports = (*Service)(nil)

// TransactionEvent applies a 2.0.1-style transaction event through the same
// use cases as 1.6's messages: the first event of a transaction starts it
// (TransactionStarted, which correlates a remote start by remoteStartId),
// its samples are meter values (MeterValues), Ended stops it
// (TransactionStopped). On top of that:
//   - (charger, transaction id, seqNo) is applied once: a repeat is answered
//     without change (the charger did not get our answer);
//   - a seqNo gap, an out-of-order seqNo and offline events are flagged on
//     the session, never refused;
//   - every event is stored with its trigger reason, offline flag, phases and
//     charging state, listed in the order of the charger's timestamps.
//
// The whole event is one unit of work, its key included: a failure
// anywhere stores nothing, and the charger's retry applies it afresh.
func (s *Service) TransactionEvent(ctx context.Context, chargerID string, e charging.TransactionEvent) (charging.TransactionEventResult, error) {
	if e.TransactionID == "" {
		return charging.TransactionEventResult{}, charging.Errorf(charging.EINVALID, "transactionId is empty")
	}
	if err := reportedConnector(e.ConnectorID, 0); err != nil {
		return charging.TransactionEventResult{}, err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	var res charging.TransactionEventResult
	err := s.update(ctx, func(u *unit) (err error) {
		res, err = s.transactionEvent(ctx, u, chargerID, e)
		return err
	})
	if err != nil {
		return charging.TransactionEventResult{}, err
	}
	return res, nil
}

// transactionEvent applies e inside u. The caller holds the charger's lock.
func (s *Service) transactionEvent(ctx context.Context, u *unit, chargerID string, e charging.TransactionEvent) (charging.TransactionEventResult, error) {
	var res charging.TransactionEventResult
	seen, err := u.tx.HasTransactionEvent(ctx, chargerID, e.TransactionID, e.SeqNo)
	if err != nil {
		return res, err
	}
	if seen {
		res.Duplicate = true
		if ses, err := u.tx.GetSessionByTransaction(ctx, chargerID, e.TransactionID); err == nil {
			res.SessionID = ses.ID
			if e.EventType == charging.TxEventEnded && ses.Cost != nil && ses.Cost.Final {
				res.TotalCost = charging.Decimal(ses.Cost.Total) // the same answer again
			}
		}
		if e.IDTag != "" {
			info, err := s.authorizeIn(ctx, u.tx, e.IDTag)
			if err != nil {
				return res, err
			}
			res.IDTagInfo = &info
		}
		return res, nil
	}
	prior, err := u.tx.ListTransactionEvents(ctx, chargerID, e.TransactionID)
	if err != nil {
		return res, err
	}
	ses, err := u.tx.GetSessionByTransaction(ctx, chargerID, e.TransactionID)
	known := err == nil
	if err != nil && charging.ErrorCode(err) != charging.ENOTFOUND {
		return res, err
	}
	ts := e.Timestamp.UTC()

	var flags []string
	switch {
	case e.EventType == charging.TxEventEnded:
		stop, ok := energyRegister(e.Samples, "Transaction.End")
		if !ok && known && ses.MeterStartWh != nil {
			stop = *ses.MeterStartWh + ses.EnergyWh // the last known reading
		}
		info, err := s.transactionStopped(ctx, u, chargerID, charging.TransactionStop{
			TransactionID: e.TransactionID, IDTag: e.IDTag, MeterStopWh: stop, Timestamp: ts,
			Reason: e.StoppedReason, Samples: withConnector(e.Samples, e.ConnectorID),
		})
		if err != nil {
			return res, err
		}
		if e.IDTag != "" {
			res.IDTagInfo = &info
		}
	case !known:
		start, ok := energyRegister(e.Samples, "Transaction.Begin")
		r, err := s.transactionStarted(ctx, u, chargerID, charging.TransactionStart{
			ConnectorID: e.ConnectorID, IDTag: e.IDTag, MeterStartWh: start, Timestamp: ts,
			ReservationID: e.ReservationID, RemoteStartID: e.RemoteStartID, TransactionID: e.TransactionID,
			PhasesUsed: e.NumberOfPhasesUsed,
		})
		if err != nil {
			return res, err
		}
		if e.IDTag != "" {
			res.IDTagInfo = &r.IDTagInfo
		}
		if !ok {
			flags = append(flags, "no energy register reading in the first transaction event: meterStartWh taken as 0")
		}
		if e.EventType != charging.TxEventStarted {
			flags = append(flags, fmt.Sprintf("first event of transaction %s was %s (seqNo %d), not Started", e.TransactionID, e.EventType, e.SeqNo))
		}
		if err := s.meterSamples(ctx, u, chargerID, e); err != nil {
			return res, err
		}
	default:
		if err := s.meterSamples(ctx, u, chargerID, e); err != nil {
			return res, err
		}
		if e.IDTag != "" {
			info, err := s.authorizeIn(ctx, u.tx, e.IDTag)
			if err != nil {
				return res, err
			}
			res.IDTagInfo = &info
		}
	}

	if len(prior) > 0 {
		maxSeq := prior[0].SeqNo
		for _, p := range prior {
			maxSeq = max(maxSeq, p.SeqNo)
		}
		switch {
		case e.SeqNo > maxSeq+1:
			flags = append(flags, fmt.Sprintf("transaction event seqNo gap: %d..%d missing before seqNo %d", maxSeq+1, e.SeqNo-1, e.SeqNo))
		case e.SeqNo < maxSeq:
			flags = append(flags, fmt.Sprintf("transaction event seqNo %d arrived after seqNo %d", e.SeqNo, maxSeq))
		}
	}
	ses, err = s.amendSession(ctx, u, chargerID, e, flags)
	if err != nil {
		return res, err
	}
	res.SessionID = ses.ID
	if e.EventType == charging.TxEventEnded && ses.Cost != nil && ses.Cost.Final {
		res.TotalCost = charging.Decimal(ses.Cost.Total)
	}
	err = u.tx.AddTransactionEvent(ctx, charging.TransactionEventRecord{
		ChargerID: chargerID, TransactionID: e.TransactionID, SeqNo: e.SeqNo, EventType: e.EventType,
		Timestamp: ts, TriggerReason: e.TriggerReason, Offline: e.Offline, NumberOfPhasesUsed: e.NumberOfPhasesUsed,
		ChargingState: e.ChargingState, StoppedReason: e.StoppedReason, SessionID: ses.ID, ReceivedAt: s.utcNow(),
	})
	if err != nil && charging.ErrorCode(err) != charging.ECONFLICT { // a concurrent repeat stored it first
		return res, err
	}
	return res, nil
}

// setPhasesUsed records the phases the charger says the vehicle uses:
// smart charging counts it on those only.
func setPhasesUsed(ses *charging.Session, n int) {
	changeSmart(ses, func(sm *charging.SessionSmart) { sm.PhasesUsed = n })
}

// meterSamples stores an event's samples as meter values of its transaction.
func (s *Service) meterSamples(ctx context.Context, u *unit, chargerID string, e charging.TransactionEvent) error {
	if len(e.Samples) == 0 {
		return nil
	}
	return s.meterValues(ctx, u, chargerID, charging.MeterReport{ConnectorID: e.ConnectorID, TransactionID: e.TransactionID, Samples: e.Samples})
}

// amendSession applies what a transaction event says beyond starts, stops
// and samples: flags, an id token that arrived after the start, a remote
// start attached to a running transaction.
func (s *Service) amendSession(ctx context.Context, u *unit, chargerID string, e charging.TransactionEvent, flags []string) (charging.Session, error) {
	ses, err := u.tx.GetSessionByTransaction(ctx, chargerID, e.TransactionID)
	if err != nil {
		return charging.Session{}, err
	}
	changed := false
	add := func(f string) {
		if !slices.Contains(ses.Flags, f) {
			ses.Flags = append(ses.Flags, f)
			changed = true
		}
	}
	for _, f := range flags {
		add(f)
	}
	if e.Offline {
		add("transaction events were recorded while the charger was offline")
	}
	if ses.IDTag == "" && e.IDTag != "" {
		ses.IDTag, changed = e.IDTag, true
	}
	if n := e.NumberOfPhasesUsed; n >= 1 && n <= 3 && e.EventType != charging.TxEventEnded && (ses.Smart == nil || ses.Smart.PhasesUsed != n) {
		// The vehicle's phases changed during the transaction (those of
		// its start are written with the start; after its end they do not
		// matter).
		setPhasesUsed(&ses, n)
		changed = true
	}
	if ses.ConnectorID == 0 && e.ConnectorID > 0 && ses.Status == charging.SessionActive {
		ses.ConnectorID, changed = e.ConnectorID, true
	}
	var failed *charging.Session
	if e.RemoteStartID != 0 && ses.RemoteStartID != e.RemoteStartID {
		// A remote start the charger attached to a transaction it had
		// already started (the cable was plugged in first, 2.0.1 F01/F02):
		// the transaction's session becomes the remote one, and the pending
		// session that waited for it fails, pointing to it.
		open, err := s.openSessionsIn(ctx, u.tx, chargerID, 0)
		if err != nil {
			return charging.Session{}, err
		}
		for _, o := range open {
			if o.ID != ses.ID && o.Status == charging.SessionPending && o.RemoteStartID == e.RemoteStartID {
				o.Status = charging.SessionFailed
				o.FailureReason = fmt.Sprintf("the charger attached the remote start to its running transaction %s (session %s)", e.TransactionID, ses.ID)
				o.UpdatedAt = s.utcNow()
				failed = &o
				if ses.IDTag == "" {
					ses.IDTag = o.IDTag
				}
			}
		}
		ses.RemoteStartID, ses.Origin, changed = e.RemoteStartID, charging.OriginRemote, true
	}
	if !changed {
		return ses, nil
	}
	if failed != nil {
		if err := u.tx.UpdateSession(ctx, *failed); err != nil {
			return charging.Session{}, err
		}
		u.publishSession(charging.EventSessionFailed, *failed, nil)
	}
	ses.UpdatedAt = s.utcNow()
	if err := u.tx.UpdateSession(ctx, ses); err != nil {
		return charging.Session{}, err
	}
	u.then(func() { s.forgetLive(chargerID, e.TransactionID) }) // read again, with its owner
	u.publishSession(charging.EventSessionUpdated, ses, nil)
	return ses, nil
}

// energyRegister finds the active import energy register in samples,
// preferring the given reading context (Transaction.Begin, Transaction.End)
// and a total over phases, else the latest reading.
func energyRegister(samples []charging.MeterSample, context string) (float64, bool) {
	var best *charging.MeterSample
	for i := range samples {
		x := &samples[i]
		if x.Measurand != charging.MeasurandEnergyActiveImportRegister || x.Phase != "" || x.Raw != "" {
			continue
		}
		switch {
		case best == nil,
			x.Context == context && best.Context != context,
			(x.Context == context) == (best.Context == context) && x.Timestamp.After(best.Timestamp):
			best = x
		}
	}
	if best == nil {
		return 0, false
	}
	return best.Value, true
}

func withConnector(samples []charging.MeterSample, connectorID int) []charging.MeterSample {
	for i := range samples {
		if samples[i].ConnectorID == 0 {
			samples[i].ConnectorID = connectorID
		}
	}
	return samples
}

// DeviceModelReported stores a part of the charger's device model and
// what it says about the charger's connectors (their Reported specs), in
// one unit of work. A connector the report names that the charger has not
// reported a status for yet is declared with status Unknown.
func (s *Service) DeviceModelReported(ctx context.Context, chargerID string, r charging.DeviceReport) error {
	now := s.utcNow()
	vs := r.Variables
	for i := range vs {
		vs[i].ChargerID = chargerID
		if vs[i].AttributeType == "" {
			vs[i].AttributeType = "Actual" // 2.0.1 VariableAttributeType: type defaults to Actual
		}
		vs[i].UpdatedAt = now
	}
	if len(r.Connectors) == 0 {
		return s.store.SaveVariables(ctx, vs)
	}
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		if err := u.tx.SaveVariables(ctx, vs); err != nil {
			return err
		}
		c, err := u.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		changed := false
		for _, cr := range r.Connectors {
			if reportedConnector(cr.ConnectorID, 1) != nil {
				continue // kept in the variables; not a connector Joule can have
			}
			k, ok := c.Connector(cr.ConnectorID)
			if !ok {
				k = charging.Connector{ConnectorID: cr.ConnectorID, Status: charging.StatusUnknown, UpdatedAt: now}
			}
			rep := mergeSpec(k.Reported, cr.Spec)
			if ok && rep == k.Reported {
				continue
			}
			k.Reported = rep
			k.Resolve()
			if err := u.tx.SaveConnector(ctx, chargerID, k); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return nil
		}
		c, err = u.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		present(&c)
		u.publish(charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
		return nil
	})
}

// mergeSpec returns old with the fields a report gave set.
func mergeSpec(old, r charging.ConnectorSpec) charging.ConnectorSpec {
	old.ConnectorType = cmp.Or(r.ConnectorType, old.ConnectorType)
	old.Format = cmp.Or(r.Format, old.Format)
	old.PowerType = cmp.Or(r.PowerType, old.PowerType)
	old.MaxPowerW = cmp.Or(r.MaxPowerW, old.MaxPowerW)
	old.PhaseRotation = cmp.Or(r.PhaseRotation, old.PhaseRotation)
	return old
}

// ChargerEventsReported stores what a charger notified.
func (s *Service) ChargerEventsReported(ctx context.Context, chargerID string, es []charging.ChargerEvent) error {
	now := s.utcNow()
	for i := range es {
		es[i].ChargerID, es[i].ReceivedAt = chargerID, now
		if es[i].Timestamp.IsZero() {
			es[i].Timestamp = now
		}
		es[i].Timestamp = es[i].Timestamp.UTC()
	}
	return s.store.AddChargerEvents(ctx, es)
}

// Registration returns the charger's registration status; a charger Joule
// does not know yet is Pending.
func (s *Service) Registration(ctx context.Context, chargerID string) (charging.RegistrationStatus, error) {
	c, err := s.store.GetCharger(ctx, chargerID)
	switch {
	case charging.ErrorCode(err) == charging.ENOTFOUND:
		return charging.RegistrationPending, nil
	case err != nil:
		return "", err
	case c.RegistrationStatus == "":
		return charging.RegistrationPending, nil
	}
	return c.RegistrationStatus, nil
}

// NeedsDeviceReport reports whether the charger's device model is unknown.
func (s *Service) NeedsDeviceReport(ctx context.Context, chargerID string) (bool, error) {
	has, err := s.store.HasVariables(ctx, chargerID)
	return !has, err
}

// ListVariables returns the device model a charger reported.
func (s *Service) ListVariables(ctx context.Context, q charging.VariableQuery) (charging.Page[charging.Variable], error) {
	if _, err := s.store.GetCharger(ctx, q.ChargerID); err != nil {
		return charging.Page[charging.Variable]{}, err
	}
	return s.store.ListVariables(ctx, q)
}

// ListChargerEvents returns what a charger notified, newest first.
func (s *Service) ListChargerEvents(ctx context.Context, q charging.ChargerEventQuery) (charging.Page[charging.ChargerEvent], error) {
	if _, err := s.store.GetCharger(ctx, q.ChargerID); err != nil {
		return charging.Page[charging.ChargerEvent]{}, err
	}
	return s.store.ListChargerEvents(ctx, q)
}

// SetOCPPVersionOverride makes the charger use one subprotocol from its
// next connection on ("" lets it choose again).
func (s *Service) SetOCPPVersionOverride(ctx context.Context, chargerID, version string) (charging.Charger, error) {
	switch version {
	case "", charging.OCPP16, charging.OCPP201:
	default:
		return charging.Charger{}, charging.Errorf(charging.EINVALID, "ocppVersionOverride must be %q, %q or empty, got %q", charging.OCPP16, charging.OCPP201, version)
	}
	if err := s.store.SetOCPPVersionOverride(ctx, chargerID, version); err != nil {
		return charging.Charger{}, err
	}
	c, err := s.GetCharger(ctx, chargerID)
	if err != nil {
		return charging.Charger{}, err
	}
	s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	return c, nil
}
