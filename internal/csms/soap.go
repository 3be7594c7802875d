package csms

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// SOAPChargerSeen records that an OCPP-S charger's own service listens at
// address (the wsa:From of its messages): Joule calls the charger there.
// The OCPP-S service calls it at every BootNotification and whenever a
// message names another address; an unchanged address writes nothing.
func (s *Service) SOAPChargerSeen(ctx context.Context, chargerID, address string) error {
	if err := charging.ValidSOAPAddress(address); err != nil {
		return err
	}
	unlock := s.lock(chargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		c, err := u.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		if c.SOAPAddress == address {
			return nil
		}
		c.SOAPAddress = address
		return u.tx.SaveCharger(ctx, c)
	})
}
