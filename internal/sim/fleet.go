package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RunFleet runs n chargers configured like base, with ids idPrefix+%04d
// (SIM-0001, SIM-0002, ...), until ctx is done. It returns once every
// charger has stopped. With base.OCPPVersion OCPPMixed the chargers
// alternate: odd numbers speak 1.6, even numbers 2.0.1; with base.Kind
// KindMixed, odd numbers are AC, even numbers DC.
func RunFleet(ctx context.Context, base Config, n int, idPrefix string) error {
	if n <= 0 {
		return fmt.Errorf("sim: fleet of %d chargers", n)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		cfg := base
		cfg.ID = fmt.Sprintf("%s%04d", idPrefix, i+1)
		if base.OCPPVersion == OCPPMixed {
			cfg.OCPPVersion = []string{OCPP16, OCPP201}[i%2]
		}
		if base.Kind == KindMixed {
			cfg.Kind = []string{KindAC, KindDC}[i%2]
		}
		ch := New(cfg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ch.Run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
