package ocpp16

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// gate refuses every CALL but BootNotification until the charger's
// registration is Accepted. OCPP 1.6 §4.2 (Boot Notification): a Charge
// Point whose boot was not Accepted SHALL NOT send other requests (while
// Pending it may answer the Central System's); Joule answers such a request
// with SecurityError, as OCPP 2.0.1 B02/B03 prescribe. A charger that
// reconnects without rebooting keeps the registration Joule stored.
func (s *Station) gate(ctx context.Context, action string) error {
	if action == "BootNotification" {
		return nil
	}
	s.mu.Lock()
	reg := s.reg
	s.mu.Unlock()
	if reg == "" {
		var err error
		if reg, err = s.events.Registration(ctx, s.id); err != nil {
			return ocppdomain.CallError(action, err)
		}
		s.mu.Lock()
		if s.reg == "" {
			s.reg = reg
		}
		reg = s.reg
		s.mu.Unlock()
	}
	if reg != charging.RegistrationAccepted {
		// A Station without a caller, or whose charger's version has no
		// TriggerMessage (OCPP 1.5 over SOAP), cannot ask: that charger
		// boots again at its own interval. The ask outlives this CALL's
		// context, which ends with a SOAP charger's HTTP request; the
		// caller's own timeout bounds it.
		if s.conn != nil && supports(s.conn, "TriggerMessage") {
			s.bootAsker.Ask(context.WithoutCancel(ctx), s.conn, s.log, reg, &TriggerMessageRequest{RequestedMessage: MessageTriggerBootNotification})
		}
		return ocppj.Errorf(ocppj.SecurityError, "%s before the BootNotification was Accepted (registration %s)", action, reg)
	}
	return nil
}

// setRegistration records the answer to a BootNotification.
func (s *Station) setRegistration(r charging.RegistrationStatus) {
	s.mu.Lock()
	s.reg, s.booted = r, r
	s.mu.Unlock()
}

// Registration returns the status of the last BootNotification answered on
// this connection, "" before the first. The registration Joule stored
// earlier, which gate uses for a charger that reconnects without booting,
// does not count: the gateway lifts its limits for strangers on an
// Accepted boot only. Safe to call from any goroutine.
func (s *Station) Registration() charging.RegistrationStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.booted
}
