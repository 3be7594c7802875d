package ocpp16

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
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
			return callError(action, err)
		}
		s.mu.Lock()
		if s.reg == "" {
			s.reg = reg
		}
		reg = s.reg
		s.mu.Unlock()
	}
	if reg != charging.RegistrationAccepted {
		s.askBoot(ctx, reg)
		return ocppj.Errorf(ocppj.SecurityError, "%s before the BootNotification was Accepted (registration %s)", action, reg)
	}
	return nil
}

// askBoot asks a Pending charger, once per connection, to boot now
// (TriggerMessage BootNotification), so that a charger that reconnects
// without rebooting to a Joule that does not know it is not refused until
// its next reboot. A Rejected charger is left alone: it must wait for its
// retry interval.
func (s *Station) askBoot(ctx context.Context, reg charging.RegistrationStatus) {
	s.mu.Lock()
	asked := s.bootAsked
	s.bootAsked = true
	s.mu.Unlock()
	if asked || reg != charging.RegistrationPending {
		return
	}
	go func() { // never Call from the read goroutine
		req := &TriggerMessageRequest{RequestedMessage: MessageTriggerBootNotification}
		if _, err := s.conn.Call(ctx, "TriggerMessage", req); err != nil {
			s.log.Warn("could not ask the charger to boot", "err", err)
		}
	}()
}

func (s *Station) setRegistration(r charging.RegistrationStatus) {
	s.mu.Lock()
	s.reg = r
	s.mu.Unlock()
}
