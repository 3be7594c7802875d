package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RunFleet runs n chargers configured like base, with ids idPrefix+%04d
// (SIM-0001, SIM-0002, ...), until ctx is done. It returns once every
// charger has stopped.
func RunFleet(ctx context.Context, base Config, n int, idPrefix string) error {
	if n <= 0 {
		return fmt.Errorf("sim: fleet of %d chargers", n)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		cfg := base
		cfg.ID = fmt.Sprintf("%s%04d", idPrefix, i+1)
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
