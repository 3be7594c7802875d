package csms

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"net"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/charging"
)

// This file is charger identity: who may connect as which charger (Admit),
// the registration policy for ids Joule does not know, passwords and their
// rotation, the operator's decisions (register, accept, reject, delete),
// certificates and security events.

var _ charging.ChargerAdmitter = (*Service)(nil)
var _ charging.SecurityEvents = (*Service)(nil)

// disconnecter is implemented by commanders that can end a charger's
// connection (the gateway): an operator who rejects or deletes a charger
// ends it at once.
type disconnecter interface {
	Disconnect(chargerID, reason string) bool
}

// security holds the service's in-memory security state.
type security struct {
	// certCN holds, per charger, the CN of the client certificate its
	// current connection was admitted with (profile 3), for the boot's
	// serial number check (2.0.1 B01.FR.11).
	certCN sync.Map

	mu      sync.Mutex
	pending int  // chargers waiting for approval; guarded by mu
	counted bool // pending was counted from the store; guarded by mu
	// sampled is the flood guard of security events: per (charger,
	// source, type, remote host), when the last record was written and how
	// many occurrences came since. Guarded by mu.
	sampled map[string]*sample
	writes  chan struct{} // bounds concurrent background event writes
}

type sample struct {
	at         time.Time
	suppressed int
}

// securityWindow is how often one kind of security event from one source
// is recorded; occurrences in between are counted into the next record.
const securityWindow = 10 * time.Second

func (s *Service) registrationPolicy() string {
	if s.cfg.Registration == "" {
		return charging.RegistrationOpen
	}
	return s.cfg.Registration
}

// Admit decides whether a connection may speak for a charger, at the
// charger's security profile (A00.FR.002: another profile is refused; a
// profile below the highest it has used is refused, A05.FR.09). A charger
// Joule does not know follows the registration policy.
func (s *Service) Admit(ctx context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
	c, err := s.store.GetCharger(ctx, a.ChargerID)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return s.admitUnknown(ctx)
	}
	if err != nil {
		return charging.Admitted{}, err
	}
	if c.Admission == charging.AdmissionRejected {
		return charging.Admitted{}, charging.Errorf(charging.EFORBIDDEN, "charger %s was rejected by an operator", c.ID)
	}
	out := charging.Admitted{Profile: c.SecurityProfile, Known: true,
		Trusted: c.Admission != charging.AdmissionPending, OCPPVersionOverride: c.OCPPVersionOverride}
	switch c.SecurityProfile {
	case charging.ProfileNone:
	case charging.ProfileBasic, charging.ProfileTLS:
		if c.SecurityProfile == charging.ProfileTLS && !a.TLS {
			return charging.Admitted{}, charging.Errorf(charging.EFORBIDDEN, "charger %s uses security profile 2: connect with wss:// (TLS)", c.ID)
		}
		if err := s.checkPassword(ctx, c.ID, a); err != nil {
			return charging.Admitted{}, err
		}
	case charging.ProfileMTLS:
		if err := s.checkCertificate(c, a); err != nil {
			return charging.Admitted{}, err
		}
	default:
		return charging.Admitted{}, charging.Errorf(charging.EFORBIDDEN, "charger %s has an unknown security profile %d", c.ID, c.SecurityProfile)
	}
	if c.SecurityProfile < c.MinSecurityProfile {
		return charging.Admitted{}, charging.Errorf(charging.EFORBIDDEN, "charger %s has connected at security profile %d and may not go back to %d", c.ID, c.MinSecurityProfile, c.SecurityProfile)
	}
	if c.SecurityProfile > c.MinSecurityProfile {
		// The first connection at a higher profile: never lower again.
		if err := s.raiseProfileFloor(ctx, c.ID, c.SecurityProfile); err != nil {
			return charging.Admitted{}, err
		}
	}
	return out, nil
}

func (s *Service) admitUnknown(ctx context.Context) (charging.Admitted, error) {
	switch s.registrationPolicy() {
	case charging.RegistrationClosed:
		return charging.Admitted{}, charging.Errorf(charging.ENOTFOUND, "unknown charger: registration is closed")
	case charging.RegistrationApprove:
		n, err := s.pendingCount(ctx)
		if err != nil {
			return charging.Admitted{}, err
		}
		if n >= s.maxPending() {
			return charging.Admitted{}, charging.Errorf(charging.EUNAVAILABLE, "too many chargers are waiting for approval")
		}
	}
	return charging.Admitted{Profile: charging.ProfileNone}, nil
}

func (s *Service) maxPending() int {
	if s.cfg.MaxPendingChargers > 0 {
		return s.cfg.MaxPendingChargers
	}
	return 1000
}

// pendingCount is the number of chargers waiting for approval, counted
// from the store once and kept up to date in memory.
func (s *Service) pendingCount(ctx context.Context) (int, error) {
	s.sec.mu.Lock()
	defer s.sec.mu.Unlock()
	if s.sec.counted {
		return s.sec.pending, nil
	}
	n, cursor := 0, ""
	for {
		page, err := s.store.ListChargers(ctx, charging.ChargerQuery{Admission: charging.AdmissionPending, Cursor: cursor, Limit: 100})
		if err != nil {
			return 0, err
		}
		n += len(page.Items)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	s.sec.pending, s.sec.counted = n, true
	return n, nil
}

func (s *Service) addPending(d int) {
	s.sec.mu.Lock()
	if s.sec.counted {
		s.sec.pending = max(0, s.sec.pending+d)
	}
	s.sec.mu.Unlock()
}

// checkPassword checks Basic credentials (profiles 1 and 2): the username
// is the charger id (A00.FR.204), the password the current one or the one
// Joule issued last. The first connection with the new one retires the old.
func (s *Service) checkPassword(ctx context.Context, id string, a charging.ConnectAttempt) error {
	if !a.BasicAuth {
		return charging.Errorf(charging.EUNAUTHENTICATED, "charger %s must authenticate (HTTP Basic)", id)
	}
	if a.Username != id {
		return charging.Errorf(charging.EUNAUTHENTICATED, "the Basic-auth username must be the charger id")
	}
	creds, err := s.store.GetCredentials(ctx, id)
	if err != nil {
		return err
	}
	cur := creds.Password != "" && charging.CheckPassword(creds.Password, a.Password)
	next := creds.NextPassword != "" && charging.CheckPassword(creds.NextPassword, a.Password)
	switch {
	case next:
		unlock := s.lock(id)
		defer unlock()
		// Checked and promoted in one unit: a password issued meanwhile
		// (on any node) is not overwritten.
		// The hash checked above is compared, not the password again: a
		// unit must be quick.
		checked := creds.NextPassword
		promoted := false
		err := s.update(ctx, func(u *unit) error {
			promoted = false
			creds, err := u.tx.GetCredentials(ctx, id)
			if err != nil {
				return err
			}
			if creds.NextPassword == "" || creds.NextPassword != checked {
				return nil // promoted by a concurrent connection
			}
			promoted = true
			return u.tx.SetCredentials(ctx, id, charging.Credentials{Password: creds.NextPassword})
		})
		if err != nil || !promoted {
			return err
		}
		s.SecurityEvent(charging.SecurityEvent{ChargerID: id, Type: charging.SecPasswordUsed, Remote: a.RemoteAddr,
			TechInfo: "the charger connected with its new password; the previous one no longer works"})
		return nil
	case cur:
		return nil
	}
	return charging.Errorf(charging.EUNAUTHENTICATED, "wrong password for charger %s", id)
}

// checkCertificate checks a profile 3 connection: a client certificate
// (verified by the TLS layer against Joule's client CAs) whose CN is the
// charger's id or its serial number (A00.FR.405, A00.FR.511), and whose O
// names the operator when one is configured (A00.FR.404).
func (s *Service) checkCertificate(c charging.Charger, a charging.ConnectAttempt) error {
	if !a.TLS || a.ClientCert == nil {
		return charging.Errorf(charging.EFORBIDDEN, "charger %s uses security profile 3: connect with a client certificate", c.ID)
	}
	cn := a.ClientCert.Subject.CommonName
	if cn != c.ID && (c.SerialNumber == "" || cn != c.SerialNumber) {
		return charging.Errorf(charging.EFORBIDDEN, "client certificate CN %q is neither charger %s's id nor its serial number", cn, c.ID)
	}
	if org := s.cfg.ClientCertOrg; org != "" && !slices.Contains(a.ClientCert.Subject.Organization, org) {
		return charging.Errorf(charging.EFORBIDDEN, "client certificate O must be %q", org)
	}
	s.sec.certCN.Store(c.ID, cn)
	return nil
}

func (s *Service) raiseProfileFloor(ctx context.Context, id string, profile int) error {
	unlock := s.lock(id)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		c, err := u.tx.GetCharger(ctx, id)
		if err != nil {
			return err
		}
		if c.MinSecurityProfile >= profile {
			return nil
		}
		c.MinSecurityProfile = profile
		return u.tx.SaveCharger(ctx, c)
	})
}

// SecurityEvent records one of Joule's own security events in the
// background (the gateway reports refusals this way, and must not wait).
// Floods are sampled: see securityWindow.
func (s *Service) SecurityEvent(e charging.SecurityEvent) {
	if e.Source == "" {
		e.Source = charging.SecuritySourceJoule
	}
	now := s.utcNow()
	if e.Timestamp.IsZero() {
		e.Timestamp = now
	}
	n, ok := s.sampleEvent(e, now)
	if !ok {
		return
	}
	e.Count = n
	select {
	case s.sec.writes <- struct{}{}:
	default:
		s.log.Warn("security event not recorded: too many being written", "charger", e.ChargerID, "type", e.Type)
		return
	}
	go func() {
		defer func() { <-s.sec.writes }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.addSecurityEvent(ctx, e); err != nil {
			s.log.Error("record security event", "charger", e.ChargerID, "type", e.Type, "err", err)
		}
	}()
}

// sampleEvent decides whether e is recorded now; n is how many
// occurrences the record stands for.
func (s *Service) sampleEvent(e charging.SecurityEvent, now time.Time) (n int, record bool) {
	host := e.Remote
	if h, _, err := net.SplitHostPort(e.Remote); err == nil {
		host = h
	}
	key := e.ChargerID + "\x00" + e.Source + "\x00" + e.Type + "\x00" + host
	s.sec.mu.Lock()
	defer s.sec.mu.Unlock()
	if s.sec.sampled == nil {
		s.sec.sampled = map[string]*sample{}
	}
	sm := s.sec.sampled[key]
	if sm != nil && now.Sub(sm.at) < securityWindow {
		sm.suppressed++
		return 0, false
	}
	if len(s.sec.sampled) > 10000 {
		for k, v := range s.sec.sampled {
			if now.Sub(v.at) >= securityWindow && v.suppressed == 0 {
				delete(s.sec.sampled, k)
			}
		}
	}
	n = 1
	if sm != nil {
		n += sm.suppressed
	}
	s.sec.sampled[key] = &sample{at: now}
	return n, true
}

func (s *Service) addSecurityEvent(ctx context.Context, e charging.SecurityEvent) error {
	e.ReceivedAt = s.utcNow()
	e.Timestamp = e.Timestamp.UTC()
	if e.Count < 1 {
		e.Count = 1
	}
	if err := s.store.AddSecurityEvent(ctx, e); err != nil {
		return err
	}
	if e.Source == charging.SecuritySourceJoule {
		s.log.Warn("security event", "charger", e.ChargerID, "type", e.Type, "remote", e.Remote, "count", e.Count, "info", e.TechInfo)
	}
	return nil
}

// SecurityEventReported stores a charger's SecurityEventNotification
// before it is answered. A charger repeating one type within the window
// is counted into its next record.
func (s *Service) SecurityEventReported(ctx context.Context, chargerID string, e charging.SecurityEvent) error {
	e.ChargerID, e.Source = chargerID, charging.SecuritySourceCharger
	now := s.utcNow()
	if e.Timestamp.IsZero() {
		e.Timestamp = now
	}
	n, ok := s.sampleEvent(e, now)
	if !ok {
		return nil
	}
	e.Count = n
	return s.addSecurityEvent(ctx, e)
}

// ListSecurityEvents returns security events, newest first. A charger id
// need not be registered: refused unknown ids and deleted chargers have
// events too.
func (s *Service) ListSecurityEvents(ctx context.Context, q charging.SecurityEventQuery) (charging.Page[charging.SecurityEvent], error) {
	if q.Source != "" && q.Source != charging.SecuritySourceCharger && q.Source != charging.SecuritySourceJoule {
		return charging.Page[charging.SecurityEvent]{}, charging.Errorf(charging.EINVALID, "source must be charger or joule, got %q", q.Source)
	}
	return s.store.ListSecurityEvents(ctx, q)
}

// RegisterCharger creates a charger an operator names, at a security
// profile; profiles 1 and 2 get a password (generated unless the operator
// gives the one the charger already has).
func (s *Service) RegisterCharger(ctx context.Context, r charging.ChargerRegistration) (charging.Charger, string, error) {
	if err := charging.ValidChargerID(r.ID); err != nil {
		return charging.Charger{}, "", err
	}
	if r.SecurityProfile < charging.ProfileNone || r.SecurityProfile > charging.ProfileMTLS {
		return charging.Charger{}, "", charging.Errorf(charging.EINVALID, "securityProfile must be 0, 1, 2 or 3, got %d", r.SecurityProfile)
	}
	switch r.OCPPVersionOverride {
	case "", charging.OCPP16, charging.OCPP201:
	default:
		return charging.Charger{}, "", charging.Errorf(charging.EINVALID, "ocppVersionOverride must be %q, %q or empty, got %q", charging.OCPP16, charging.OCPP201, r.OCPPVersionOverride)
	}
	usesPassword := r.SecurityProfile == charging.ProfileBasic || r.SecurityProfile == charging.ProfileTLS
	if r.Password != "" && !usesPassword {
		return charging.Charger{}, "", charging.Errorf(charging.EINVALID, "password: only security profiles 1 and 2 use a password")
	}
	if r.Password != "" {
		if err := charging.ValidPassword(r.Password); err != nil {
			return charging.Charger{}, "", err
		}
	}
	unlock := s.lock(r.ID)
	defer unlock()
	now := s.utcNow()
	c := charging.Charger{ID: r.ID, SecurityProfile: r.SecurityProfile, Admission: charging.AdmissionAccepted,
		OCPPVersionOverride: r.OCPPVersionOverride, CreatedAt: now, Connectors: []charging.Connector{}}
	generated := ""
	var creds charging.Credentials
	if usesPassword {
		pw := r.Password
		if pw == "" {
			pw = charging.NewPassword()
			generated = pw
		}
		creds.Password = charging.HashPassword([]byte(pw))
		c.PasswordSetAt = &now
	}
	// The check and the insert are one unit of work: a charger that
	// connected meanwhile (on any node) is not overwritten.
	err := s.update(ctx, func(u *unit) error {
		if _, err := u.tx.GetCharger(ctx, r.ID); err == nil {
			return charging.Errorf(charging.ECONFLICT, "charger %s exists", r.ID)
		} else if charging.ErrorCode(err) != charging.ENOTFOUND {
			return err
		}
		return u.tx.SaveChargerCredentials(ctx, c, creds)
	})
	if err != nil {
		return charging.Charger{}, "", err
	}
	c, err = s.store.GetCharger(ctx, c.ID)
	if err != nil {
		return charging.Charger{}, "", err
	}
	present(&c)
	s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: c.ID, Charger: &c})
	return c, generated, nil
}

// SetChargerPassword issues a password: generated (sent to the charger when
// it is connected) or the operator's own (the charger already has it; not
// sent). The old password stays valid until the charger connects with the
// new one.
func (s *Service) SetChargerPassword(ctx context.Context, chargerID, password string) (charging.PasswordResult, error) {
	if password != "" {
		if err := charging.ValidPassword(password); err != nil {
			return charging.PasswordResult{}, err
		}
	}
	return s.issuePassword(ctx, chargerID, password, func(c *charging.Charger) error {
		if c.SecurityProfile == charging.ProfileMTLS {
			return charging.Errorf(charging.ECONFLICT, "charger %s uses security profile 3 (client certificates), not a password", chargerID)
		}
		return nil
	})
}

// issuePassword stores a new password (chosen, or generated when "") with
// what change does to the charger, in one write under the charger's lock,
// and sends a generated one to the charger. change may refuse.
func (s *Service) issuePassword(ctx context.Context, chargerID, chosen string, change func(*charging.Charger) error) (charging.PasswordResult, error) {
	pw := chosen
	if pw == "" {
		pw = charging.NewPassword()
	}
	h := charging.HashPassword([]byte(pw))
	err := func() error {
		unlock := s.lock(chargerID)
		defer unlock()
		return s.update(ctx, func(u *unit) error {
			c, err := u.tx.GetCharger(ctx, chargerID)
			if err != nil {
				return err
			}
			creds, err := u.tx.GetCredentials(ctx, chargerID)
			if err != nil {
				return err
			}
			if creds.Password == "" || c.SecurityProfile == charging.ProfileNone {
				// Nothing to keep: a charger without a password (or one that
				// used none) has only the new one.
				creds = charging.Credentials{Password: h}
			} else {
				creds.NextPassword = h
			}
			if err := change(&c); err != nil {
				return err
			}
			now := s.utcNow()
			c.PasswordSetAt = &now
			return u.tx.SaveChargerCredentials(ctx, c, creds)
		})
	}()
	if err != nil {
		return charging.PasswordResult{}, err
	}
	s.SecurityEvent(charging.SecurityEvent{ChargerID: chargerID, Type: charging.SecPasswordRotated,
		TechInfo: "an operator issued a new Basic-auth password"})
	res := charging.PasswordResult{Password: pw, Delivery: charging.DeliveryNotSent}
	if chosen == "" {
		res.Delivery = s.sendPassword(ctx, chargerID, pw)
	}
	return res, nil
}

// sendPassword sends a password to a connected charger and says how it went.
func (s *Service) sendPassword(ctx context.Context, chargerID, pw string) string {
	sc, ok := s.cmd.(charging.SecurityCommander)
	if !ok || !s.cmd.Connected(chargerID) {
		return charging.DeliveryOffline
	}
	var st charging.CommandStatus
	// The recorded request never holds the password.
	_, err := s.record(ctx, chargerID, "SetPassword", map[string]string{"password": redacted}, func(ctx context.Context) (any, error) {
		r, err := sc.SetPassword(ctx, chargerID, pw)
		st = r
		return statusAnswer{r}, err
	})
	switch charging.ErrorCode(err) {
	case "":
		return string(st)
	case charging.ETIMEOUT:
		return charging.DeliveryTimeout
	case charging.EUNAVAILABLE:
		return charging.DeliveryOffline
	}
	return charging.DeliveryFailed
}

// redacted stands for a secret in recorded commands.
const redacted = "(redacted)"

// AcceptCharger admits a charger: Admission Accepted, and a charger that
// used no authentication gets a password and profile 1 from its next
// connection (trust on first use). It is asked to boot again, so that it
// leaves Pending.
func (s *Service) AcceptCharger(ctx context.Context, chargerID string) (charging.Charger, *charging.PasswordResult, error) {
	var was charging.Admission
	accept := func(c *charging.Charger) error {
		was, c.Admission = c.Admission, charging.AdmissionAccepted
		if c.SecurityProfile == charging.ProfileNone {
			c.SecurityProfile = charging.ProfileBasic
		}
		return nil
	}
	c, err := s.GetCharger(ctx, chargerID)
	if err != nil {
		return charging.Charger{}, nil, err
	}
	var pw *charging.PasswordResult
	if c.SecurityProfile == charging.ProfileNone {
		// Admission, profile 1 and the password in one write.
		res, err := s.issuePassword(ctx, chargerID, "", accept)
		if err != nil {
			return charging.Charger{}, nil, err
		}
		pw = &res
	} else {
		err := func() error {
			unlock := s.lock(chargerID)
			defer unlock()
			return s.update(ctx, func(u *unit) error {
				c, err := u.tx.GetCharger(ctx, chargerID)
				if err != nil {
					return err
				}
				was, c.Admission = c.Admission, charging.AdmissionAccepted
				return u.tx.SaveCharger(ctx, c)
			})
		}()
		if err != nil {
			return charging.Charger{}, nil, err
		}
	}
	if was == charging.AdmissionPending {
		s.addPending(-1)
	}
	if was != charging.AdmissionAccepted {
		s.later(chargerID, "boot after acceptance", func(ctx context.Context) error {
			if !s.cmd.Connected(chargerID) {
				return nil
			}
			_, err := s.TriggerMessage(ctx, chargerID, "BootNotification", 0)
			return err
		})
	}
	c, err = s.GetCharger(ctx, chargerID)
	if err == nil {
		s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	}
	return c, pw, err
}

// RejectCharger refuses a charger: its connection ends, later ones are refused.
func (s *Service) RejectCharger(ctx context.Context, chargerID string) (charging.Charger, error) {
	var was charging.Admission
	var c charging.Charger
	err := func() error {
		unlock := s.lock(chargerID)
		defer unlock()
		return s.update(ctx, func(u *unit) error {
			var err error
			if c, err = u.tx.GetCharger(ctx, chargerID); err != nil {
				return err
			}
			was = c.Admission
			c.Admission = charging.AdmissionRejected
			c.RegistrationStatus = charging.RegistrationRejected
			return u.tx.SaveCharger(ctx, c)
		})
	}()
	if err != nil {
		return charging.Charger{}, err
	}
	if was == charging.AdmissionPending {
		s.addPending(-1)
	}
	s.disconnect(chargerID, "rejected by an operator")
	c, err = s.GetCharger(ctx, chargerID)
	if err == nil {
		s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	}
	return c, err
}

func (s *Service) disconnect(chargerID, reason string) {
	if d, ok := s.cmd.(disconnecter); ok {
		d.Disconnect(chargerID, reason)
	}
}

// DeleteCharger removes a charger and ends its connection; its id is free
// again and its sessions stay.
func (s *Service) DeleteCharger(ctx context.Context, chargerID string) error {
	var was charging.Admission
	err := func() error {
		unlock := s.lock(chargerID)
		defer unlock()
		return s.update(ctx, func(u *unit) error {
			c, err := u.tx.GetCharger(ctx, chargerID)
			if err != nil {
				return err
			}
			was = c.Admission
			return u.tx.DeleteCharger(ctx, chargerID)
		})
	}()
	if err != nil {
		return err
	}
	if was == charging.AdmissionPending {
		s.addPending(-1)
	}
	s.sec.certCN.Delete(chargerID)
	s.forgetLive(chargerID, "")
	s.cancelLater(chargerID, followUpReconnect)
	s.disconnect(chargerID, "deleted by an operator")
	s.publish(ctx, charging.Event{Type: charging.EventChargerDisconnected, ChargerID: chargerID})
	return nil
}

// SetSecurityProfile sets the profile a charger must connect with. Profiles
// 1 and 2 need a password first; going below the highest profile the
// charger has used needs allowDowngrade, which also lowers that floor.
func (s *Service) SetSecurityProfile(ctx context.Context, chargerID string, profile int, allowDowngrade bool) (charging.Charger, error) {
	if profile < charging.ProfileNone || profile > charging.ProfileMTLS {
		return charging.Charger{}, charging.Errorf(charging.EINVALID, "securityProfile must be 0, 1, 2 or 3, got %d", profile)
	}
	err := func() error {
		unlock := s.lock(chargerID)
		defer unlock()
		return s.update(ctx, func(u *unit) error {
			c, err := u.tx.GetCharger(ctx, chargerID)
			if err != nil {
				return err
			}
			if err := setSecurityProfile(ctx, u.tx, &c, profile, allowDowngrade); err != nil {
				return err
			}
			return u.tx.SaveCharger(ctx, c)
		})
	}()
	if err != nil {
		return charging.Charger{}, err
	}
	c, err := s.GetCharger(ctx, chargerID)
	if err == nil {
		s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	}
	return c, err
}

// setSecurityProfile sets c's security profile, read through tx, if the
// rules allow it: going below MinSecurityProfile needs allowDowngrade
// (which lowers that floor too), and profiles 1 and 2 a password.
func setSecurityProfile(ctx context.Context, tx charging.Tx, c *charging.Charger, profile int, allowDowngrade bool) error {
	if profile == charging.ProfileMTLS && (c.OCPPVersion == charging.OCPP15S || c.OCPPVersion == charging.OCPP16S) {
		// It could never be admitted again: OCPP over SOAP has no
		// client-certificate profile.
		return charging.Errorf(charging.ECONFLICT, "charger %s speaks OCPP over SOAP, which has no security profile 3 (client certificates): use profile 2", c.ID)
	}
	if profile < c.MinSecurityProfile {
		if !allowDowngrade {
			return charging.Errorf(charging.ECONFLICT, "charger %s has connected at security profile %d; going back to %d needs allowDowngrade", c.ID, c.MinSecurityProfile, profile)
		}
		c.MinSecurityProfile = profile
	}
	if profile == charging.ProfileBasic || profile == charging.ProfileTLS {
		creds, err := tx.GetCredentials(ctx, c.ID)
		if err != nil {
			return err
		}
		if creds.Password == "" && creds.NextPassword == "" {
			return charging.Errorf(charging.ECONFLICT, "charger %s has no password: issue one before profile %d", c.ID, profile)
		}
	}
	c.SecurityProfile = profile
	return nil
}

// bootSerialMismatch applies 2.0.1 B01.FR.11/12 to a profile 3 charger
// admitted with a certificate whose CN is not its id: the boot's serial
// number must be that CN.
func (s *Service) bootSerialMismatch(chargerID, serial string) bool {
	v, ok := s.sec.certCN.Load(chargerID)
	if !ok {
		return false
	}
	cn := v.(string)
	return cn != chargerID && cn != serial
}

// securityCommander returns the security commands for a connected charger.
func (s *Service) securityCommander(chargerID string) (charging.SecurityCommander, error) {
	sc, ok := s.cmd.(charging.SecurityCommander)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "this node cannot send certificate and security commands")
	}
	if !s.cmd.Connected(chargerID) {
		return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", chargerID)
	}
	return sc, nil
}

// securityStatus sends a recorded security command whose answer is a status.
func (s *Service) securityStatus(ctx context.Context, chargerID, action string, req any, send func(context.Context, charging.SecurityCommander) (charging.CommandStatus, error)) (charging.CommandStatus, error) {
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return "", err
	}
	sc, err := s.securityCommander(chargerID)
	if err != nil {
		return "", err
	}
	var st charging.CommandStatus
	_, err = s.record(ctx, chargerID, action, req, func(ctx context.Context) (any, error) {
		r, err := send(ctx, sc)
		st = r
		return statusAnswer{r}, err
	})
	return st, err
}

// SignCertificate answers a charger's certificate signing request. Joule
// signs it with its CA when the CSR names the charger (CN = its id or
// serial number), then sends CertificateSigned after the answer.
func (s *Service) SignCertificate(ctx context.Context, chargerID string, r charging.CertificateRequest) (charging.CommandStatus, error) {
	if s.cfg.Signer == nil || (r.Type != "" && r.Type != charging.CertChargePoint) {
		reason := "Joule has no CA to sign with"
		if s.cfg.Signer != nil {
			reason = "Joule signs only charging station certificates, not " + r.Type
		}
		s.SecurityEvent(charging.SecurityEvent{ChargerID: chargerID, Type: charging.SecCSRRejected, TechInfo: reason})
		return charging.CommandRejected, nil
	}
	c, err := s.store.GetCharger(ctx, chargerID)
	if err != nil {
		return "", err
	}
	allowed := []string{chargerID}
	if c.SerialNumber != "" && c.SerialNumber != chargerID {
		allowed = append(allowed, c.SerialNumber)
	}
	chain, err := s.cfg.Signer.SignCSR(r.CSR, allowed)
	if err != nil {
		if charging.ErrorCode(err) != charging.EINVALID {
			return "", err
		}
		s.SecurityEvent(charging.SecurityEvent{ChargerID: chargerID, Type: charging.SecCSRRejected, TechInfo: truncate(charging.ErrorMessage(err), 255)})
		return charging.CommandRejected, nil
	}
	s.later(chargerID, "certificate signed", func(ctx context.Context) error {
		st, err := s.securityStatus(ctx, chargerID, "CertificateSigned", map[string]string{"certificateChain": chain},
			func(ctx context.Context, sc charging.SecurityCommander) (charging.CommandStatus, error) {
				return sc.CertificateSigned(ctx, chargerID, chain, charging.CertChargePoint)
			})
		if err != nil {
			return err
		}
		s.SecurityEvent(charging.SecurityEvent{ChargerID: chargerID, Type: charging.SecCertificateSigned,
			TechInfo: "CertificateSigned answered " + string(st)})
		return nil
	})
	return charging.CommandAccepted, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// CACertificate is the PEM of the CA that signs chargers' certificates.
func (s *Service) CACertificate(context.Context) (string, error) {
	if s.cfg.Signer == nil {
		return "", charging.Errorf(charging.ENOTFOUND, "Joule has no certificate authority configured")
	}
	return s.cfg.Signer.CACertificatePEM(), nil
}

var certTypes = map[string]bool{charging.CertCentralSystemRoot: true, charging.CertManufacturerRoot: true,
	charging.CertV2GRoot: true, charging.CertMORoot: true}

// InstallCertificate installs a root certificate on a charger (M05).
func (s *Service) InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (charging.CommandStatus, error) {
	if !certTypes[certType] {
		return "", charging.Errorf(charging.EINVALID, "certificateType must be one of CentralSystemRootCertificate, ManufacturerRootCertificate, V2GRootCertificate, MORootCertificate; got %q", certType)
	}
	if err := validCertificatePEM(certPEM); err != nil {
		return "", err
	}
	return s.securityStatus(ctx, chargerID, "InstallCertificate", map[string]string{"certificateType": certType, "certificate": certPEM},
		func(ctx context.Context, sc charging.SecurityCommander) (charging.CommandStatus, error) {
			return sc.InstallCertificate(ctx, chargerID, certType, certPEM)
		})
}

func validCertificatePEM(p string) error {
	if len(p) > 5500 {
		return charging.Errorf(charging.EINVALID, "certificate must be at most 5500 characters (OCPP), got %d", len(p))
	}
	rest := []byte(p)
	n := 0
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type != "CERTIFICATE" {
			return charging.Errorf(charging.EINVALID, "certificate: a PEM block of type %q is not a certificate", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return charging.Errorf(charging.EINVALID, "certificate: %v", err)
		}
		n++
	}
	if n == 0 {
		return charging.Errorf(charging.EINVALID, "certificate must be a PEM-encoded X.509 certificate")
	}
	return nil
}

// GetInstalledCertificateIDs asks a charger which certificates it has.
func (s *Service) GetInstalledCertificateIDs(ctx context.Context, chargerID string, types []string) (charging.InstalledCertificates, error) {
	for _, t := range types {
		if !certTypes[t] && t != charging.CertV2G && t != charging.CertChargePoint {
			return charging.InstalledCertificates{}, charging.Errorf(charging.EINVALID, "unknown certificateType %q", t)
		}
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.InstalledCertificates{}, err
	}
	sc, err := s.securityCommander(chargerID)
	if err != nil {
		return charging.InstalledCertificates{}, err
	}
	var out charging.InstalledCertificates
	_, err = s.record(ctx, chargerID, "GetInstalledCertificateIds", map[string]any{"certificateType": types}, func(ctx context.Context) (any, error) {
		r, err := sc.GetInstalledCertificateIDs(ctx, chargerID, types)
		out = r
		return r, err
	})
	if out.Certificates == nil {
		out.Certificates = []charging.CertificateHashData{}
	}
	return out, err
}

// DeleteCertificate removes an installed certificate from a charger (M04).
func (s *Service) DeleteCertificate(ctx context.Context, chargerID string, h charging.CertificateHashData) (charging.CommandStatus, error) {
	switch h.HashAlgorithm {
	case "SHA256", "SHA384", "SHA512":
	default:
		return "", charging.Errorf(charging.EINVALID, "hashAlgorithm must be SHA256, SHA384 or SHA512, got %q", h.HashAlgorithm)
	}
	for name, v := range map[string]string{"issuerNameHash": h.IssuerNameHash, "issuerKeyHash": h.IssuerKeyHash, "serialNumber": h.SerialNumber} {
		if v == "" || len(v) > 128 {
			return "", charging.Errorf(charging.EINVALID, "%s must be 1 to 128 characters", name)
		}
	}
	return s.securityStatus(ctx, chargerID, "DeleteCertificate", h,
		func(ctx context.Context, sc charging.SecurityCommander) (charging.CommandStatus, error) {
			return sc.DeleteCertificate(ctx, chargerID, h)
		})
}

// RenewCertificate asks a charger to send a certificate signing request now.
func (s *Service) RenewCertificate(ctx context.Context, chargerID string) (charging.CommandStatus, error) {
	return s.ExtendedTriggerMessage(ctx, chargerID, "SignChargePointCertificate", 0)
}

var extendedTriggers = map[string]bool{"BootNotification": true, "LogStatusNotification": true, "FirmwareStatusNotification": true,
	"Heartbeat": true, "MeterValues": true, "SignChargePointCertificate": true, "StatusNotification": true}

// ExtendedTriggerMessage asks a charger to send a message now, including
// the security extension's (SignChargePointCertificate, LogStatusNotification).
func (s *Service) ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	if !extendedTriggers[message] {
		return "", charging.Errorf(charging.EINVALID, "requestedMessage %q is not an ExtendedTriggerMessage message", message)
	}
	if connectorID < 0 {
		return "", charging.Errorf(charging.EINVALID, "connectorId must be 0 or more, got %d", connectorID)
	}
	req := map[string]any{"requestedMessage": message}
	if connectorID > 0 {
		req["connectorId"] = connectorID
	}
	return s.securityStatus(ctx, chargerID, "ExtendedTriggerMessage", req,
		func(ctx context.Context, sc charging.SecurityCommander) (charging.CommandStatus, error) {
			return sc.ExtendedTriggerMessage(ctx, chargerID, message, connectorID)
		})
}

// newRequestID returns a positive requestId for GetLog and signed firmware
// updates (random: unique enough per charger, never reused in practice).
func newRequestID() int {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int(binary.BigEndian.Uint32(b[:])&0x7fffffff) | 1
}

// RequestLog sends GetLog with a single-use upload URL and tracks it as a
// diagnostics job with the log type.
func (s *Service) RequestLog(ctx context.Context, chargerID string, r charging.LogRequest, uploadURL func(token string) string) (charging.DiagnosticsJob, error) {
	if r.LogType != "DiagnosticsLog" && r.LogType != "SecurityLog" {
		return charging.DiagnosticsJob{}, charging.Errorf(charging.EINVALID, "logType must be DiagnosticsLog or SecurityLog, got %q", r.LogType)
	}
	if err := validRetries(r.Retries, r.RetryIntervalS); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	if r.OldestTimestamp != nil && r.LatestTimestamp != nil && r.LatestTimestamp.Before(*r.OldestTimestamp) {
		return charging.DiagnosticsJob{}, charging.Errorf(charging.EINVALID, "latestTimestamp is before oldestTimestamp")
	}
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	sc, err := s.securityCommander(chargerID)
	if err != nil {
		return charging.DiagnosticsJob{}, err
	}
	token := newToken()
	r.Location = uploadURL(token)
	if err := transferURL("upload location", r.Location); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	r.RequestID = newRequestID()
	job := charging.DiagnosticsJob{ID: newID(), ChargerID: chargerID, Token: token, Location: r.Location,
		StartTime: r.OldestTimestamp, StopTime: r.LatestTimestamp, Retries: r.Retries, RetryIntervalS: r.RetryIntervalS,
		LogType: r.LogType, RequestID: r.RequestID,
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: s.utcNow()}
	if err := s.store.SaveDiagnosticsJob(ctx, job); err != nil {
		return charging.DiagnosticsJob{}, err
	}
	var res charging.LogResult
	// LogRequest leaves the location (its token is a secret) out of JSON.
	cmdID, sendErr := s.record(ctx, chargerID, "GetLog", r, func(ctx context.Context) (any, error) {
		out, err := sc.GetLog(ctx, chargerID, r)
		res = out
		return out, err
	})
	out, err := s.updateDiagnosticsJob(context.WithoutCancel(ctx), chargerID, job.ID, func(j *charging.DiagnosticsJob) {
		j.CommandID, j.FileName = cmdID, res.FileName
		switch {
		case sendErr != nil:
			j.Status, j.Error = charging.JobFailed, charging.ErrorMessage(sendErr)
		case res.Status != charging.CommandAccepted && res.Status != "AcceptedCanceled":
			j.Status, j.Error = charging.JobFailed, "the charger answered "+string(res.Status)
		}
	})
	if sendErr != nil {
		return out, sendErr
	}
	return out, err
}

// finalLog are the LogStatusNotification statuses that end a log upload.
var finalLog = map[string]bool{"Uploaded": true, "UploadFailure": true, "BadMessage": true, "NotSupportedOperation": true,
	"PermissionDenied": true, charging.JobFailed: true}

// LogStatus records a log upload's progress on its job (by requestId, else
// the charger's latest log job).
func (s *Service) LogStatus(ctx context.Context, chargerID, status string, requestID int) error {
	return stationStatus(s, ctx, chargerID, func(c *charging.Charger) { c.DiagnosticsStatus = status },
		charging.Tx.ListDiagnosticsJobs, charging.Tx.SaveDiagnosticsJob,
		func(j *charging.DiagnosticsJob) bool {
			return j.LogType != "" && (requestID == 0 || j.RequestID == requestID)
		},
		func(j *charging.DiagnosticsJob) {
			appendStatus(status, &j.History, &j.Status, finalLog, charging.JobStatus{Status: status, At: s.utcNow()})
		})
}

// UpdateFirmwareSigned sends a signed firmware update and tracks it as a
// firmware job.
func (s *Service) UpdateFirmwareSigned(ctx context.Context, chargerID, firmwareID string, u charging.FirmwareUpdate, sf charging.SignedFirmware) (charging.FirmwareJob, error) {
	if err := transferURL("location", u.Location); err != nil {
		return charging.FirmwareJob{}, err
	}
	if err := validRetries(u.Retries, u.RetryIntervalS); err != nil {
		return charging.FirmwareJob{}, err
	}
	if err := validCertificatePEM(sf.SigningCertificate); err != nil {
		return charging.FirmwareJob{}, charging.Errorf(charging.EINVALID, "signingCertificate: %s", charging.ErrorMessage(err))
	}
	if sf.Signature == "" || len(sf.Signature) > 800 {
		return charging.FirmwareJob{}, charging.Errorf(charging.EINVALID, "signature must be 1 to 800 characters (base64)")
	}
	if u.RetrieveDate.IsZero() {
		u.RetrieveDate = s.utcNow()
	}
	u.RetrieveDate = u.RetrieveDate.UTC()
	if _, err := s.store.GetCharger(ctx, chargerID); err != nil {
		return charging.FirmwareJob{}, err
	}
	sc, err := s.securityCommander(chargerID)
	if err != nil {
		return charging.FirmwareJob{}, err
	}
	sf.RequestID = newRequestID()
	job := charging.FirmwareJob{ID: newID(), ChargerID: chargerID, FirmwareID: firmwareID, FirmwareUpdate: u, Signed: &sf,
		Status: charging.JobRequested, History: []charging.JobStatus{}, CreatedAt: s.utcNow()}
	if err := s.store.SaveFirmwareJob(ctx, job); err != nil {
		return charging.FirmwareJob{}, err
	}
	var st charging.CommandStatus
	cmdID, sendErr := s.record(ctx, chargerID, "SignedUpdateFirmware", struct {
		charging.FirmwareUpdate
		charging.SignedFirmware
	}{u, sf}, func(ctx context.Context) (any, error) {
		r, err := sc.SignedUpdateFirmware(ctx, chargerID, u, sf)
		st = r
		return statusAnswer{r}, err
	})
	out, err := s.updateFirmwareJob(context.WithoutCancel(ctx), chargerID, job.ID, func(j *charging.FirmwareJob) {
		j.CommandID = cmdID
		switch {
		case sendErr != nil:
			j.Status, j.Error = charging.JobFailed, charging.ErrorMessage(sendErr)
		case st != charging.CommandAccepted && st != "AcceptedCanceled":
			j.Status, j.Error = charging.JobFailed, "the charger answered "+string(st)
		}
	})
	if sendErr != nil {
		return out, sendErr
	}
	return out, err
}

// finalSignedFirmware are the SignedFirmwareStatusNotification statuses
// that end a signed update.
var finalSignedFirmware = map[string]bool{"Installed": true, "InstallationFailed": true, "DownloadFailed": true,
	"InvalidSignature": true, "InstallVerificationFailed": true, "InvalidCertificate": true, "RevokedCertificate": true,
	charging.JobFailed: true}

// SignedFirmwareStatus records a signed firmware update's progress on its
// job (by requestId, else the charger's latest signed job).
func (s *Service) SignedFirmwareStatus(ctx context.Context, chargerID, status string, requestID int) error {
	return stationStatus(s, ctx, chargerID, func(c *charging.Charger) { c.FirmwareStatus = status },
		charging.Tx.ListFirmwareJobs, charging.Tx.SaveFirmwareJob,
		func(j *charging.FirmwareJob) bool {
			return j.Signed != nil && (requestID == 0 || j.Signed.RequestID == requestID)
		},
		func(j *charging.FirmwareJob) {
			appendStatus(status, &j.History, &j.Status, finalSignedFirmware, charging.JobStatus{Status: status, At: s.utcNow()})
		})
}

// secretKeys are configuration keys and variables that hold secrets: they
// are set through SetChargerPassword (hashed, never stored in clear), not
// as configuration.
var secretKeys = map[string]bool{"AuthorizationKey": true, "BasicAuthPassword": true}

// refuseSecret refuses a configuration write of a secret.
func refuseSecret(key string) error {
	if secretKeys[key] {
		return charging.Errorf(charging.EINVALID, "%s is the charger's password: issue one with the charger password operation, which keeps only its hash", key)
	}
	return nil
}

// withoutSecrets drops the values of secret keys from a configuration a
// charger reported (AuthorizationKey is write-only, but a charger may
// still answer it): they are neither recorded nor stored.
func withoutSecrets(r charging.ConfigurationReport) charging.ConfigurationReport {
	for i, k := range r.Keys {
		if secretKeys[k.Key] && k.Value != nil {
			keys := slices.Clone(r.Keys)
			keys[i].Value = nil
			r.Keys = keys
		}
	}
	return r
}

// commandSecret returns the secret a generic command would set (a
// ChangeConfiguration of AuthorizationKey, a SetVariables of
// BasicAuthPassword), or "".
func commandSecret(action string, payload json.RawMessage) string {
	switch action {
	case "ChangeConfiguration":
		var m struct {
			Key string `json:"key"`
		}
		if json.Unmarshal(payload, &m) == nil && secretKeys[m.Key] {
			return m.Key
		}
	case "SetVariables":
		var m struct {
			SetVariableData []struct {
				Variable struct {
					Name string `json:"name"`
				} `json:"variable"`
			} `json:"setVariableData"`
		}
		if json.Unmarshal(payload, &m) == nil {
			for _, d := range m.SetVariableData {
				if secretKeys[d.Variable.Name] {
					return d.Variable.Name
				}
			}
		}
	}
	return ""
}
