package csms

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Connected records a new connection. A charger that connects for the first
// time is registered (the embedded default admits every charger; its boot
// decides the registration status). The charger's cached live sessions are
// dropped: it may have charged through another node meanwhile.
func (s *Service) Connected(ctx context.Context, chargerID, ocppVersion string) error {
	unlock := s.lock(chargerID)
	defer unlock()
	s.forgetLive(chargerID, "")
	c, err := s.store.GetCharger(ctx, chargerID)
	isNew := charging.ErrorCode(err) == charging.ENOTFOUND
	if err != nil && !isNew {
		return err
	}
	now := s.utcNow()
	if isNew {
		// A charger Joule did not know, registered by the policy. The
		// check and the insert are one unit of work: a charger another
		// node (or an operator) created meanwhile is not overwritten.
		err = s.update(ctx, func(u *unit) error {
			cur, err := u.tx.GetCharger(ctx, chargerID)
			switch {
			case err == nil:
				c, isNew = cur, false
				return nil
			case charging.ErrorCode(err) != charging.ENOTFOUND:
				return err
			}
			c, isNew = s.newCharger(chargerID), true
			c.Online, c.OCPPVersion, c.LastSeenAt = true, ocppVersion, &now
			return u.tx.SaveCharger(ctx, c)
		})
		if err != nil {
			return err
		}
	}
	wasOnline := !isNew && c.Online
	if !isNew {
		// A known charger: its presence only (the store writes it with a
		// later batch); its boot, if one follows, writes the charger.
		c.Online, c.OCPPVersion, c.LastSeenAt = true, ocppVersion, &now
		err = s.store.SetChargerPresence(ctx, chargerID, charging.ChargerPresence{Online: true, OCPPVersion: ocppVersion, At: now})
		if err != nil {
			return err
		}
	}
	if isNew && c.Admission == charging.AdmissionPending {
		s.addPending(1)
	}
	s.cancelLater(chargerID, followUpBoot) // it was for the connection that booted
	s.publish(ctx, charging.Event{Type: charging.EventChargerConnected, ChargerID: chargerID, Charger: &c})
	switch {
	case ocppVersion == charging.OCPP15S:
		// 1.5 has no TriggerMessage to ask for the statuses.
	case ocppVersion == charging.OCPP16S && wasOnline:
		// A SOAP charger is "connected" again at its first message after
		// a minute's silence, which is most heartbeats: nothing was lost
		// unless it had gone offline.
	default:
		s.afterConnect(chargerID, now)
	}
	return nil
}

// newCharger returns a charger Joule did not know, admitted by the
// registration policy.
func (s *Service) newCharger(id string) charging.Charger {
	c := charging.Charger{ID: id, RegistrationStatus: charging.RegistrationPending, CreatedAt: s.utcNow(),
		Admission: charging.AdmissionAccepted}
	if s.registrationPolicy() == charging.RegistrationApprove {
		c.Admission = charging.AdmissionPending
	}
	return c
}

// Disconnected records the end of a connection. The gateway calls it once
// the connection is gone from its own registry; a charger the commander
// still reports connected has connected again meanwhile (in a cluster: to
// another node, whose Connected ran first), so it is neither marked
// offline nor are its sessions touched: only this node's state of the
// ended connection is dropped.
func (s *Service) Disconnected(ctx context.Context, chargerID string) error {
	unlock := s.lock(chargerID)
	defer unlock()
	s.sec.certCN.Delete(chargerID)
	s.forgetLive(chargerID, "")
	if s.cmd != nil && s.cmd.Connected(chargerID) {
		s.log.Info("a connection ended, but the charger is connected again (another node holds it): kept online", "charger", chargerID)
		return nil
	}
	c, err := s.store.GetCharger(ctx, chargerID)
	if err != nil {
		return err
	}
	now := s.utcNow()
	c.Online, c.LastSeenAt = false, &now
	if err := s.store.SetChargerPresence(ctx, chargerID, charging.ChargerPresence{At: now}); err != nil {
		return err
	}
	if err := s.offlineSessions(ctx, chargerID); err != nil {
		// The disconnection stands; only the sessions' live values lag.
		s.log.Warn("zero the live values of an offline charger's sessions", "charger", chargerID, "err", err)
	}
	s.publish(ctx, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: chargerID, Charger: &c})
	return nil
}

// Booted records a boot. The embedded default accepts every charger. The
// charger is read and written in one unit of work: an operator's change
// made meanwhile (on any node) is kept. Its cached live sessions are
// dropped, as on a connect.
func (s *Service) Booted(ctx context.Context, chargerID string, info charging.BootInfo) (charging.BootResult, error) {
	unlock := s.lock(chargerID)
	defer unlock()
	s.forgetLive(chargerID, "")
	var (
		c        charging.Charger
		now      time.Time
		mismatch bool
		isNew    bool
	)
	err := s.update(ctx, func(u *unit) error {
		var err error
		c, err = u.tx.GetCharger(ctx, chargerID)
		isNew = charging.ErrorCode(err) == charging.ENOTFOUND
		switch {
		case isNew:
			// Booted without Connected (a test, or a store that lost it).
			c = charging.Charger{ID: chargerID, RegistrationStatus: charging.RegistrationPending, CreatedAt: s.utcNow()}
		case err != nil:
			return err
		}
		now = s.utcNow()
		c.Vendor, c.Model, c.SerialNumber, c.FirmwareVersion = info.Vendor, info.Model, info.SerialNumber, info.FirmwareVersion
		c.ICCID, c.IMSI, c.MeterType, c.MeterSerialNumber = info.ICCID, info.IMSI, info.MeterType, info.MeterSerialNumber
		if info.SOAPAddress != "" {
			if err := charging.ValidSOAPAddress(info.SOAPAddress); err != nil {
				return err
			}
			c.SOAPAddress = info.SOAPAddress
		}
		c.RegistrationStatus = charging.RegistrationAccepted
		switch c.Admission {
		case charging.AdmissionPending:
			c.RegistrationStatus = charging.RegistrationPending
		case charging.AdmissionRejected:
			c.RegistrationStatus = charging.RegistrationRejected
		}
		mismatch = s.bootSerialMismatch(chargerID, info.SerialNumber)
		if mismatch {
			c.RegistrationStatus = charging.RegistrationRejected
		}
		c.LastBootAt, c.LastSeenAt = &now, &now
		c.Online = true
		return u.tx.SaveCharger(ctx, c)
	})
	if err != nil {
		return charging.BootResult{}, err
	}
	s.publish(ctx, charging.Event{Type: charging.EventChargerBooted, ChargerID: chargerID, Charger: &c})
	s.cancelLater(chargerID, followUpReconnect) // it booted: its StatusNotifications follow
	if mismatch {
		// 2.0.1 B01.FR.11/12: the certificate names another charger.
		s.SecurityEvent(charging.SecurityEvent{ChargerID: chargerID, Type: charging.SecInvalidCertificate,
			TechInfo: "BootNotification serialNumber is not the client certificate's CN"})
		s.later(chargerID, "close after certificate mismatch", func(context.Context) error {
			s.disconnect(chargerID, "serial number does not match the client certificate")
			return nil
		})
	}
	if c.RegistrationStatus != charging.RegistrationAccepted {
		// Pending: ask again soon (an operator may accept it any moment).
		return charging.BootResult{Status: c.RegistrationStatus, Interval: min(s.cfg.HeartbeatInterval, time.Minute), Now: now}, nil
	}
	s.afterBoot(chargerID)
	return charging.BootResult{Status: c.RegistrationStatus, Interval: s.cfg.HeartbeatInterval, Now: now}, nil
}

// Heartbeat records that the charger is alive.
func (s *Service) Heartbeat(ctx context.Context, chargerID string) (time.Time, error) {
	now := s.utcNow()
	return now, s.store.TouchCharger(ctx, chargerID, now)
}

// StatusChanged records a connector's status. Connector 0 (the charger as a
// whole) is stored like the others but not listed among the connectors.
func (s *Service) StatusChanged(ctx context.Context, chargerID string, r charging.StatusReport) error {
	if err := reportedConnector(r.ConnectorID, 0); err != nil {
		return err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	k := charging.Connector{ConnectorID: r.ConnectorID, Status: r.Status, ErrorCode: r.ErrorCode, Info: r.Info,
		VendorErrorCode: r.VendorErrorCode, UpdatedAt: s.utcNow()}
	// One unit, no read: the operator's fields come back from the write.
	err := s.update(ctx, func(u *unit) error {
		got, err := u.tx.SaveConnectorStatus(ctx, chargerID, k)
		if err != nil {
			return err
		}
		k = got
		return u.tx.TouchCharger(ctx, chargerID, k.UpdatedAt)
	})
	if err != nil {
		return err
	}
	s.publish(ctx, charging.Event{Type: charging.EventConnectorStatus, ChargerID: chargerID, ConnectorID: r.ConnectorID, Connector: &k})
	return nil
}

// Authorize answers whether an id tag may charge.
func (s *Service) Authorize(ctx context.Context, chargerID, idTag string) (charging.IDTagInfo, error) {
	return s.authorize(ctx, idTag)
}

// authorize looks the tag up: known tags answer their status (Expired past
// their expiry date); unknown tags are Accepted unless RejectUnknownIDTags.
func (s *Service) authorize(ctx context.Context, idTag string) (charging.IDTagInfo, error) {
	return s.authorizeIn(ctx, s.store, idTag)
}

// authorizeIn is authorize reading through tx (a unit of work's view).
func (s *Service) authorizeIn(ctx context.Context, tx charging.Tx, idTag string) (charging.IDTagInfo, error) {
	t, err := tx.GetIDTag(ctx, idTag)
	switch {
	case charging.ErrorCode(err) == charging.ENOTFOUND:
		if s.cfg.RejectUnknownIDTags {
			return charging.IDTagInfo{Status: charging.AuthInvalid}, nil
		}
		return charging.IDTagInfo{Status: charging.AuthAccepted}, nil
	case err != nil:
		return charging.IDTagInfo{}, err
	}
	info := charging.IDTagInfo{Status: t.Status, ExpiryDate: t.ExpiryDate, ParentIDTag: t.ParentIDTag}
	if info.Status == "" {
		info.Status = charging.AuthAccepted
	}
	if t.ExpiryDate != nil && !t.ExpiryDate.After(s.utcNow()) && info.Status == charging.AuthAccepted {
		info.Status = charging.AuthExpired
	}
	return info, nil
}

// TransactionStarted binds a charger's transaction to a session (see
// transactionStarted), in one unit of work.
func (s *Service) TransactionStarted(ctx context.Context, chargerID string, t charging.TransactionStart) (charging.TransactionStartResult, error) {
	if err := reportedConnector(t.ConnectorID, 1); err != nil {
		return charging.TransactionStartResult{}, err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	var res charging.TransactionStartResult
	err := s.update(ctx, func(u *unit) (err error) {
		res, err = s.transactionStarted(ctx, u, chargerID, t)
		return err
	})
	if err != nil {
		return charging.TransactionStartResult{}, err
	}
	return res, nil
}

// transactionStarted binds a charger's transaction to a session. The
// correlation, in order:
//  1. a repeat of an already bound start (same connector, idTag, meter start
//     and timestamp: the charger did not get our answer) gets the same
//     transaction id;
//  2. a pending remote start on that connector for that idTag, else one
//     that let the charger choose the connector (connector 0);
//  3. otherwise the transaction was started at the charger (RFID): a new
//     session.
//
// Open sessions still holding the connector are closed: the charger is the
// authority on what runs on its connector. The caller holds the charger's
// lock.
func (s *Service) transactionStarted(ctx context.Context, u *unit, chargerID string, t charging.TransactionStart) (charging.TransactionStartResult, error) {
	info, err := s.authorizeIn(ctx, u.tx, t.IDTag)
	if err != nil {
		return charging.TransactionStartResult{}, err
	}
	open, err := s.openSessionsIn(ctx, u.tx, chargerID, 0)
	if err != nil {
		return charging.TransactionStartResult{}, err
	}
	ts := t.Timestamp.UTC()
	for _, o := range open {
		if o.Status == charging.SessionActive && o.ConnectorID == t.ConnectorID && o.IDTag == t.IDTag &&
			o.MeterStartWh != nil && *o.MeterStartWh == t.MeterStartWh && o.StartedAt != nil && o.StartedAt.Equal(ts) &&
			(t.TransactionID == "" || t.TransactionID == o.TransactionID) {
			return charging.TransactionStartResult{TransactionID: o.TransactionID, SessionID: o.ID, IDTagInfo: info}, nil
		}
	}
	var bind *charging.Session
	if t.RemoteStartID != 0 { // 2.0.1: the remoteStartId names the session
		for i, o := range open {
			if bind == nil && o.Status == charging.SessionPending && o.RemoteStartID == t.RemoteStartID {
				bind = &open[i]
			}
		}
	}
	for _, want := range []int{t.ConnectorID, 0} {
		for i, o := range open {
			if bind == nil && o.Status == charging.SessionPending && o.ConnectorID == want && o.IDTag == t.IDTag && t.IDTag != "" {
				bind = &open[i]
			}
		}
	}
	// ConcurrentTx is "involved in another transaction": the sessions this
	// start supersedes on its own connector do not count.
	if info.Status == charging.AuthAccepted && bind == nil && t.IDTag != "" && s.hasActiveTag(open, t.IDTag, t.ConnectorID) {
		info.Status = charging.AuthConcurrentTx
	}

	txID := t.TransactionID
	if txID == "" {
		var err error
		if txID, err = s.newTransactionID(ctx, u, chargerID); err != nil {
			return charging.TransactionStartResult{}, err
		}
	}
	now := s.utcNow()
	// Free the connector of sessions the charger has evidently left behind.
	for _, o := range open {
		if o.ConnectorID != t.ConnectorID || (bind != nil && o.ID == bind.ID) {
			continue
		}
		if err := s.supersede(ctx, u, o, txID, ts); err != nil {
			return charging.TransactionStartResult{}, err
		}
	}
	var ses charging.Session
	if bind != nil {
		ses = *bind
	} else {
		ses = charging.Session{ID: newID(), ChargerID: chargerID, IDTag: t.IDTag, Origin: charging.OriginLocal, CreatedAt: now}
	}
	meterStart := t.MeterStartWh
	ses.ConnectorID, ses.TransactionID, ses.Status = t.ConnectorID, txID, charging.SessionActive
	ses.StartedAt, ses.MeterStartWh, ses.UpdatedAt = &ts, &meterStart, now
	ses.ReservationID = t.ReservationID
	reservation, flag, err := s.startReservation(ctx, u.tx, chargerID, t)
	if err != nil {
		return charging.TransactionStartResult{}, err
	}
	if flag != "" {
		ses.Flags = append(ses.Flags, flag)
	}
	if t.RemoteStartID != 0 {
		ses.RemoteStartID = t.RemoteStartID
	}
	if n := t.PhasesUsed; n >= 1 && n <= 3 {
		setPhasesUsed(&ses, n)
	}
	if info.Status != charging.AuthAccepted && t.IDTag != "" { // 2.0.1 may start before any id token
		ses.Flags = append(ses.Flags, fmt.Sprintf("started with idTag %s", info.Status))
	}
	if ses.Tariff == nil {
		// Started at the charger, or an app start priced as free: the
		// tariff of the connector it runs on.
		owner, err := ownerOf(ctx, u.tx, &ses)
		if err != nil {
			return charging.TransactionStartResult{}, err
		}
		if err := s.priceNew(ctx, u.tx, &ses, owner); err != nil {
			return charging.TransactionStartResult{}, err
		}
	} else {
		runningCost(&ses, ts) // an app start's tariff, from the transaction's start
	}
	if bind != nil {
		err = u.tx.UpdateSession(ctx, ses)
	} else {
		err = u.tx.CreateSession(ctx, ses)
	}
	if err != nil {
		return charging.TransactionStartResult{}, err
	}
	if err := s.useReservation(ctx, u.tx, reservation, ses.ID); err != nil {
		return charging.TransactionStartResult{}, err
	}
	u.publishSession(charging.EventSessionStarted, ses, nil)
	return charging.TransactionStartResult{TransactionID: txID, SessionID: ses.ID, IDTagInfo: info}, nil
}

// newTransactionID hands out the next 1.6 transaction id that the charger
// has no session of: a StopTransaction for a transaction Joule never saw
// (forged, or from before a database restore) is kept under the charger's
// id, and the sequence must not give that id to a real transaction too.
func (s *Service) newTransactionID(ctx context.Context, u *unit, chargerID string) (string, error) {
	for range 1000 {
		n, err := u.tx.NextTransactionID(ctx)
		if err != nil {
			return "", err
		}
		id := strconv.FormatInt(n, 10)
		_, err = u.tx.GetSessionByTransaction(ctx, chargerID, id)
		switch {
		case charging.ErrorCode(err) == charging.ENOTFOUND:
			return id, nil
		case err != nil:
			return "", err
		}
		s.log.Warn("transaction id already used by a stop Joule never saw start; skipping it", "charger", chargerID, "tx", id)
	}
	return "", charging.Errorf(charging.EINTERNAL, "no free transaction id for charger %s in 1000 tries", chargerID)
}

func (s *Service) hasActiveTag(open []charging.Session, idTag string, except int) bool {
	// Only tags Joule knows are checked: auto-accepted unknown tags (the
	// embedded default's app tags) may charge on several connectors.
	return slices.ContainsFunc(open, func(o charging.Session) bool {
		return o.Status == charging.SessionActive && o.IDTag == idTag && o.Origin == charging.OriginLocal && o.ConnectorID != except
	})
}

// supersede closes a session that still holds a connector on which the
// charger started another transaction.
func (s *Service) supersede(ctx context.Context, u *unit, o charging.Session, txID string, at time.Time) error {
	flag := "no StopTransaction received; superseded by transaction " + txID
	if o.Status == charging.SessionPending {
		flag = "the connector was taken by transaction " + txID
	}
	return s.closeSession(ctx, u, o, charging.ClosedByJoule, flag, at)
}

// MeterValues stores samples and updates the live values of their session,
// in one unit of work. Samples of an unknown transaction are stored without
// a session and flagged in the log; they are never refused.
func (s *Service) MeterValues(ctx context.Context, chargerID string, m charging.MeterReport) error {
	if err := reportedConnector(m.ConnectorID, 0); err != nil {
		return err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error { return s.meterValues(ctx, u, chargerID, m) })
}

// meterValues appends m's samples to the meter log and sets its session's
// live values. The caller holds the charger's lock.
func (s *Service) meterValues(ctx context.Context, u *unit, chargerID string, m charging.MeterReport) error {
	ses, cached := s.cachedSession(chargerID, m.TransactionID)
	if !cached {
		if m.TransactionID != "" {
			got, err := u.tx.GetSessionByTransaction(ctx, chargerID, m.TransactionID)
			switch {
			case err == nil:
				ses = &got
			case charging.ErrorCode(err) != charging.ENOTFOUND:
				return err
			default:
				s.log.Warn("meter values for an unknown transaction", "charger", chargerID, "tx", m.TransactionID)
			}
		} else if m.ConnectorID > 0 {
			open, err := s.openSessionsIn(ctx, u.tx, chargerID, m.ConnectorID)
			if err != nil {
				return err
			}
			for i := range open {
				if open[i].Status == charging.SessionActive {
					ses = &open[i]
				}
			}
		}
	}
	samples := m.Samples
	for i := range samples {
		samples[i].ChargerID, samples[i].ConnectorID = chargerID, m.ConnectorID
		samples[i].TransactionID = m.TransactionID
		if ses != nil {
			samples[i].SessionID = ses.ID
			samples[i].TransactionID = ses.TransactionID
			samples[i].ConnectorID = cmp.Or(m.ConnectorID, ses.ConnectorID) // 2.0.1 Updated events may omit the EVSE
		}
	}
	if err := u.tx.AddMeterSamples(ctx, samples, nil); err != nil {
		return err
	}
	if ses == nil && m.ConnectorID == 0 && len(samples) > 0 {
		// The charger's own meter (a site meter, say): smart charging
		// reads it from the bus.
		u.publish(charging.Event{Type: charging.EventChargerMeter, ChargerID: chargerID, Samples: samples})
	}
	if ses == nil || ses.Status != charging.SessionActive {
		// Finished sessions keep their final values.
		if len(samples) > 0 && samples[0].SessionID != "" {
			u.publish(charging.Event{Type: charging.EventSessionMeter, ChargerID: chargerID, ConnectorID: m.ConnectorID, SessionID: samples[0].SessionID, Samples: samples})
		}
		return nil
	}
	live := *ses
	applyLive(&live, samples)
	runningCost(&live, latestSample(samples, s.utcNow()))
	live.UpdatedAt = s.liveTime(ses)
	if err := u.tx.SetSessionLive(ctx, live.Live()); err != nil {
		return err
	}
	u.then(func() {
		s.rememberLive(&live)
		s.costUpdated(live)
		if reachedHold(&live) {
			s.stopAtHold(live)
		}
	})
	u.publishSession(charging.EventSessionMeter, live, samples)
	return nil
}

// latestSample returns the newest timestamp of samples, or def when there
// are none.
func latestSample(samples []charging.MeterSample, def time.Time) time.Time {
	var latest time.Time
	for _, x := range samples {
		if x.Timestamp.After(latest) {
			latest = x.Timestamp
		}
	}
	if latest.IsZero() {
		return def
	}
	return latest
}

// liveTime is when live values computed now from ses are: now, but always
// after ses was written, since live values overlay only a session written
// before them (a 2.0.1 Started with samples writes the session and its
// first live values in one unit, within the same microsecond).
func (s *Service) liveTime(ses *charging.Session) time.Time {
	t := s.utcNow()
	if !t.After(ses.UpdatedAt) {
		t = ses.UpdatedAt.Add(time.Microsecond)
	}
	return t
}

// applyLive updates a session's live values from the latest samples.
// Per-phase values are combined when no total is sent: power sums the
// phases, current and voltage take the phases' mean.
func applyLive(ses *charging.Session, samples []charging.MeterSample) {
	var latest time.Time
	for _, x := range samples {
		if x.Timestamp.After(latest) {
			latest = x.Timestamp
		}
	}
	type agg struct {
		total    *float64
		sum      float64
		n        int
		register bool
	}
	vals := map[string]*agg{}
	for _, x := range samples {
		if !x.Timestamp.Equal(latest) || x.Raw != "" && x.Value == 0 {
			continue
		}
		switch x.Location {
		case "", "Outlet", "EV", "Cable":
		default:
			continue // Inlet or Body: not what the car gets
		}
		a := vals[x.Measurand]
		if a == nil {
			a = &agg{}
			vals[x.Measurand] = a
		}
		if x.Phase == "" {
			v := x.Value
			a.total = &v
		} else if x.Phase != "N" {
			a.sum += x.Value
			a.n++
		}
	}
	get := func(m string, sum bool) (float64, bool) {
		a := vals[m]
		switch {
		case a == nil:
			return 0, false
		case a.total != nil:
			return *a.total, true
		case a.n == 0:
			return 0, false
		case sum:
			return a.sum, true
		default:
			return a.sum / float64(a.n), true
		}
	}
	if v, ok := get(charging.MeasurandPowerActiveImport, true); ok {
		ses.PowerW = v
	}
	if v, ok := get(charging.MeasurandEnergyActiveImportRegister, true); ok && ses.MeterStartWh != nil {
		ses.EnergyWh = math.Round(math.Max(0, v-*ses.MeterStartWh)*1000) / 1000 // to the mWh: no float noise
	}
	if v, ok := get(charging.MeasurandCurrentImport, false); ok {
		ses.CurrentA = &v
	}
	if v, ok := get(charging.MeasurandVoltage, false); ok {
		ses.VoltageV = &v
	}
	if v, ok := get(charging.MeasurandSoC, false); ok {
		ses.SoCPercent = &v
	}
}

// TransactionStopped finishes the transaction's session (see
// transactionStopped), in one unit of work.
func (s *Service) TransactionStopped(ctx context.Context, chargerID string, t charging.TransactionStop) (charging.IDTagInfo, error) {
	unlock := s.lock(chargerID)
	defer unlock()
	var info charging.IDTagInfo
	err := s.update(ctx, func(u *unit) (err error) {
		info, err = s.transactionStopped(ctx, u, chargerID, t)
		return err
	})
	if err != nil {
		return charging.IDTagInfo{}, err
	}
	return info, nil
}

// transactionStopped finishes the transaction's session with
// energyWh = meterStop - meterStart, and stores its transaction data. A
// stop for a transaction Joule does not know is kept as a finished, flagged
// session; a repeated stop is answered without change. The caller holds
// the charger's lock.
func (s *Service) transactionStopped(ctx context.Context, u *unit, chargerID string, t charging.TransactionStop) (charging.IDTagInfo, error) {
	info := charging.IDTagInfo{Status: charging.AuthAccepted}
	if t.IDTag != "" {
		var err error
		if info, err = s.authorizeIn(ctx, u.tx, t.IDTag); err != nil {
			return charging.IDTagInfo{}, err
		}
	}
	now := s.utcNow()
	ts := t.Timestamp.UTC()
	ses, err := u.tx.GetSessionByTransaction(ctx, chargerID, t.TransactionID)
	isNew := false
	switch {
	case charging.ErrorCode(err) == charging.ENOTFOUND:
		ses = charging.Session{
			ID: newID(), ChargerID: chargerID, IDTag: t.IDTag, TransactionID: t.TransactionID,
			Origin: charging.OriginLocal, CreatedAt: now,
			Flags: []string{"StopTransaction for a transaction Joule never saw start"},
		}
		isNew = true
	case err != nil:
		return charging.IDTagInfo{}, err
	case ses.Status == charging.SessionFinished && ses.ClosedBy != "":
		// Joule or an operator closed it as lost; the charger's own stop
		// wins: its final reading replaces the last known one.
		ses.Flags = append(ses.Flags, fmt.Sprintf("the charger's stop arrived after the session was closed by %s; its final reading replaces the last known one", ses.ClosedBy))
		ses.ClosedBy = ""
	case ses.Status == charging.SessionFinished:
		return info, nil // a repeat: the charger did not get our answer
	}
	ses.Status = charging.SessionFinished
	ses.StoppedAt = &ts
	stop := t.MeterStopWh
	ses.MeterStopWh = &stop
	if ses.MeterStartWh != nil {
		ses.EnergyWh = stop - *ses.MeterStartWh
		if ses.EnergyWh < 0 {
			ses.Flags = append(ses.Flags, fmt.Sprintf("meterStop %v is below meterStart %v", stop, *ses.MeterStartWh))
			ses.EnergyWh = 0
		}
	}
	ses.StopReason = t.Reason
	switch {
	case ses.StopReason != "":
	case t.ReasonUnstated && ses.StopRequestedAt != nil:
		// OCPP 1.5 has no reason: Joule had asked the charger to stop.
		ses.StopReason = "Remote"
	case t.ReasonUnstated && !isNew:
		// The stop may come before the charger's answer to Joule's
		// remote stop was recorded (over SOAP they travel on separate
		// HTTP requests): the command history says whether one was sent.
		remote, err := remoteStopSent(ctx, u.tx, ses)
		if err != nil {
			return charging.IDTagInfo{}, err
		}
		ses.StopReason = "Local"
		if remote {
			ses.StopReason = "Remote"
		}
	default:
		ses.StopReason = "Local" // OCPP 1.6 StopTransaction.req: an absent reason means Local
	}
	ses.PowerW = 0
	ses.UpdatedAt = now
	samples := t.Samples
	for i := range samples {
		samples[i].ChargerID, samples[i].SessionID, samples[i].TransactionID = chargerID, ses.ID, ses.TransactionID
		if samples[i].ConnectorID == 0 {
			samples[i].ConnectorID = ses.ConnectorID
		}
	}
	// The final cost, from the meter log and this message's transaction
	// data, in the same unit: the stop and its price are one write.
	if err := s.finalCost(ctx, u.tx, &ses, samples); err != nil {
		return charging.IDTagInfo{}, err
	}
	if ses.Payment != nil {
		u.then(s.kickPayments)
	}
	if isNew {
		// The session and its transaction data in the same unit: a stop
		// that is acknowledged is stored whole.
		if err := u.tx.CreateSession(ctx, ses); err != nil {
			return charging.IDTagInfo{}, err
		}
		err = u.tx.AddMeterSamples(ctx, samples, nil)
	} else {
		err = u.tx.AddMeterSamples(ctx, samples, &ses)
	}
	if err != nil {
		return charging.IDTagInfo{}, err
	}
	u.then(func() {
		s.forgetLive(chargerID, t.TransactionID)
		s.forgetCost(chargerID, t.TransactionID)
		s.holdStops.Delete(ses.ID)
	})
	u.publishSession(charging.EventSessionStopped, ses, samples)
	return info, nil
}

// FirmwareStatus and DiagnosticsStatus are in firmware.go.

// reportedConnector checks a connector (or EVSE) id a charger reported:
// at least min (0 is the charger as a whole, where the message allows it),
// and at most OCPP's 32-bit integer limit. A bad one is EINVALID, which the
// adapters answer with a PropertyConstraintViolation, before anything is
// read or written.
func reportedConnector(id, min int) error {
	if id < min || id > math.MaxInt32 {
		return charging.Errorf(charging.EINVALID, "connectorId must be %d or more (and at most %d), got %d", min, math.MaxInt32, id)
	}
	return nil
}

// stationStatus records a firmware, diagnostics or log status
// notification as one unit of work: the charger's last status (set) and
// the history of the newest of its jobs that match. A status about a job
// Joule did not start (a generic command, a trigger) only sets the
// charger's status.
func stationStatus[J any](s *Service, ctx context.Context, chargerID string, set func(*charging.Charger),
	list func(charging.Tx, context.Context, string) ([]J, error), save func(charging.Tx, context.Context, J) error,
	match func(*J) bool, change func(*J)) error {
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		c, err := u.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		set(&c)
		if err := u.tx.SaveCharger(ctx, c); err != nil {
			return err
		}
		u.publish(charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
		_, err = changeJob(ctx, u.tx, chargerID, list, save, match, change)
		if charging.ErrorCode(err) == charging.ENOTFOUND {
			return nil
		}
		return err
	})
}

// DataTransfer answers vendor-specific data. Joule implements no vendor
// extension, so every vendor is unknown (OCPP 1.6 DataTransfer.conf).
func (s *Service) DataTransfer(ctx context.Context, chargerID string, d charging.DataTransfer) (charging.DataTransferResult, error) {
	s.log.Info("data transfer from charger", "charger", chargerID, "vendor_id", d.VendorID, "message_id", d.MessageID, "bytes", len(d.Data))
	return charging.DataTransferResult{Status: "UnknownVendorId"}, nil
}

// RemoteStartAnswered records a remote start sent as a generic command: an
// accepted one opens a pending session so that the charger's transaction
// binds to it, unless that transaction already arrived.
func (s *Service) RemoteStartAnswered(ctx context.Context, chargerID string, r charging.RemoteStart, status charging.CommandStatus) error {
	if status != charging.CommandAccepted {
		return nil
	}
	unlock := s.lock(chargerID)
	defer unlock()
	// The check and the insert are one unit of work: a transaction the
	// charger started meanwhile (handled on any node) is seen.
	return s.update(ctx, func(u *unit) error {
		open, err := s.openSessionsIn(ctx, u.tx, chargerID, r.ConnectorID)
		if err != nil {
			return err
		}
		now := s.utcNow()
		for _, o := range open {
			if o.IDTag == r.IDTag && (o.Status == charging.SessionPending || now.Sub(o.CreatedAt) < time.Minute) {
				return nil
			}
		}
		ses := charging.Session{
			ID: newID(), ChargerID: chargerID, ConnectorID: r.ConnectorID, IDTag: r.IDTag,
			Status: charging.SessionPending, Origin: charging.OriginRemote, CreatedAt: now, UpdatedAt: now,
			RemoteStartID: r.RemoteStartID,
		}
		if err := u.tx.CreateSession(ctx, ses); err != nil {
			return err
		}
		u.publishSession(charging.EventSessionPending, ses, nil)
		return nil
	})
}

// RemoteStopAnswered records a remote stop sent as a generic command.
func (s *Service) RemoteStopAnswered(ctx context.Context, chargerID, transactionID string, status charging.CommandStatus) error {
	ses, err := s.store.GetSessionByTransaction(ctx, chargerID, transactionID)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if status != charging.CommandAccepted {
		return s.remoteStopRefused(ctx, ses.ID)
	}
	_, err = s.markStopRequested(ctx, ses.ID)
	return err
}

// remoteStopRefused corrects the reason of a stop without one (OCPP 1.5)
// that arrived while Joule's remote stop awaited its answer and was
// counted Remote: the charger refused that stop, so it stopped on its own.
// Only a 1.5 charger's stops have an inferred reason.
func (s *Service) remoteStopRefused(ctx context.Context, id string) error {
	first, err := s.store.GetSession(ctx, id)
	if err != nil {
		return err
	}
	unlock := s.lock(first.ChargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		ses, err := u.tx.GetSession(ctx, id)
		if err != nil {
			return err
		}
		if ses.Status != charging.SessionFinished || ses.StopReason != "Remote" || ses.StopRequestedAt != nil {
			return nil
		}
		if c, err := u.tx.GetCharger(ctx, ses.ChargerID); err != nil || c.OCPPVersion != charging.OCPP15S {
			return err // a version with stop reasons: the charger's own word stands
		}
		ses.StopReason = "Local"
		ses.UpdatedAt = s.utcNow()
		if err := u.tx.UpdateSession(ctx, ses); err != nil {
			return err
		}
		u.publishSession(charging.EventSessionUpdated, ses, nil)
		return nil
	})
}

// remoteStopSent reports whether Joule sent a RemoteStopTransaction for
// the session's transaction that the charger has not refused: still
// pending, or answered Accepted. Typed stops record the transaction id as
// a string, generic ones as the OCPP payload's integer; both match.
func remoteStopSent(ctx context.Context, tx charging.Tx, ses charging.Session) (bool, error) {
	page, err := tx.ListCommands(ctx, charging.CommandQuery{ChargerID: ses.ChargerID, Action: "RemoteStopTransaction", Limit: 20})
	if err != nil {
		return false, err
	}
	for _, rec := range page.Items {
		if rec.RequestedAt.Before(ses.CreatedAt) {
			break // newest first: older commands are for earlier sessions
		}
		var req struct {
			TransactionID json.RawMessage `json:"transactionId"`
		}
		if json.Unmarshal(rec.Request, &req) != nil || strings.Trim(string(req.TransactionID), `"`) != ses.TransactionID {
			continue
		}
		switch rec.Status {
		case charging.ResultPending:
			return true, nil
		case charging.ResultAnswered:
			var ans struct {
				Status string `json:"status"`
			}
			if json.Unmarshal(rec.Response, &ans) == nil && ans.Status == string(charging.CommandAccepted) {
				return true, nil
			}
		}
	}
	return false, nil
}
