package ocppdomain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// CallError maps the error of handling a charger's CALL to what ocppj
// answers: a *ocppj.Error as it is, a domain EINVALID as
// PropertyConstraintViolation, ENOTFOUND and ECONFLICT as GenericError, and
// anything else (a store failure) as InternalError, so that the charger
// keeps and retries its transaction message.
func CallError(action string, err error) error {
	var oe *ocppj.Error
	if errors.As(err, &oe) {
		return oe
	}
	switch charging.ErrorCode(err) {
	case charging.EINVALID:
		return ocppj.Errorf(ocppj.PropertyConstraintViolation, "%s: %s", action, charging.ErrorMessage(err))
	case charging.ENOTFOUND, charging.ECONFLICT:
		return ocppj.Errorf(ocppj.GenericError, "%s: %s", action, charging.ErrorMessage(err))
	}
	return fmt.Errorf("%s: %w", action, err) // InternalError, logged by ocppj
}

// BootAsker asks a Pending charger, once per connection, to boot now with
// TriggerMessage BootNotification (1.6 §5.17; 2.0.1 B02 allows it while
// Pending), so that a charger that reconnects without rebooting to a CSMS
// that does not know it is not refused until its next reboot. A Rejected
// charger is left alone: it must wait for its retry interval (B03).
type BootAsker struct{ asked atomic.Bool }

// Ask sends trigger (the version's TriggerMessage request) from its own
// goroutine, never from the connection's read goroutine.
func (b *BootAsker) Ask(ctx context.Context, conn Caller, log *slog.Logger, reg charging.RegistrationStatus, trigger any) {
	if reg != charging.RegistrationPending || b.asked.Swap(true) {
		return
	}
	go func() {
		if _, err := conn.Call(ctx, "TriggerMessage", trigger); err != nil {
			log.Warn("could not ask the charger to boot", "err", err)
		}
	}()
}
