package csms

import (
	"context"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// DefaultFollowUpDelay is how long Joule waits after a charger connects or
// boots before it sends its own follow-up commands. The answer to a
// BootNotification is written after Booted returns; OCPP 1.6 §4.2 lets the
// Central System send requests only once the charger has it.
const DefaultFollowUpDelay = time.Second

// followUps runs the commands Joule sends on its own after a connection or
// a boot (trigger, desired configuration, profiles). Its tasks live while
// Run runs; outside Run nothing is scheduled.
type followUps struct {
	mu  sync.Mutex
	ctx context.Context // Run's context; nil outside Run. Guarded by mu.
	wg  sync.WaitGroup
	// pending holds the latest task per charger and kind; a newer
	// connection or boot supersedes (cancels) the older one, so a charger
	// that reboots twice gets its profiles re-sent once, after the last
	// boot. Guarded by mu.
	pending map[string]*followUp
	// early holds the tasks scheduled before Run started (a charger that
	// connected while the node was starting), by key; Run starts them.
	// After Run has stopped nothing is kept. Guarded by mu.
	early   map[string]earlyTask
	stopped bool // Run has ended; guarded by mu
}

type earlyTask struct {
	chargerID, what string
	fn              func(ctx context.Context) error
}

type followUp struct {
	ctx    context.Context // done once the task is cancelled or has run
	cancel context.CancelFunc
}

// startFollowUps lets later schedule tasks under ctx; the returned stop waits for them.
func (s *Service) startFollowUps(ctx context.Context) (stop func()) {
	s.follow.mu.Lock()
	s.follow.ctx = ctx
	early := s.follow.early
	s.follow.early = nil
	s.follow.mu.Unlock()
	for _, t := range early {
		s.later(t.chargerID, t.what, t.fn)
	}
	return func() {
		s.follow.mu.Lock()
		s.follow.ctx = nil
		s.follow.stopped = true
		s.follow.mu.Unlock()
		s.follow.wg.Wait()
	}
}

// later runs fn for a charger after the follow-up delay, as the system.
func (s *Service) later(chargerID, what string, fn func(ctx context.Context) error) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	ctx := s.follow.ctx
	key := chargerID + "\x00" + what
	if ctx == nil {
		if !s.follow.stopped {
			// Before Run: kept until it starts (the latest per key).
			if s.follow.early == nil {
				s.follow.early = map[string]earlyTask{}
			}
			s.follow.early[key] = earlyTask{chargerID: chargerID, what: what, fn: fn}
		}
		return
	}
	if prev := s.follow.pending[key]; prev != nil {
		prev.cancel()
	}
	if s.follow.pending == nil {
		s.follow.pending = map[string]*followUp{}
	}
	ctx, cancel := context.WithCancel(ctx)
	task := &followUp{ctx: ctx, cancel: cancel}
	s.follow.pending[key] = task
	s.follow.wg.Add(1)
	go func() {
		defer s.follow.wg.Done()
		defer func() {
			cancel()
			s.follow.mu.Lock()
			if s.follow.pending[key] == task {
				delete(s.follow.pending, key)
			}
			s.follow.mu.Unlock()
		}()
		t := time.NewTimer(s.followUpDelay())
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := fn(charging.WithRequestedBy(ctx, charging.RequestedBySystem)); err != nil && ctx.Err() == nil {
			s.log.Warn("follow-up failed", "charger", chargerID, "what", what, "err", err)
		}
	}()
}

// cancelLater cancels a charger's pending task of that kind, if any.
func (s *Service) cancelLater(chargerID, what string) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	key := chargerID + "\x00" + what
	if t := s.follow.pending[key]; t != nil {
		t.cancel()
	}
	delete(s.follow.early, key)
}

// followUpReconnect is the afterConnect task; a boot cancels it.
const followUpReconnect = "trigger status after reconnect"

// followUpBoot is the afterBoot task. A new connection cancels it: its
// commands were meant for the connection that booted, never a later one
// (a charger that boots on its new connection schedules its own).
const followUpBoot = "apply settings after boot"

func (s *Service) followUpDelay() time.Duration {
	if s.cfg.FollowUpDelay > 0 {
		return s.cfg.FollowUpDelay
	}
	return DefaultFollowUpDelay
}

// afterConnect recovers the state of a charger that reconnected without
// booting (a 1.6 charger does not repeat its StatusNotifications after a
// network loss): it asks for them with TriggerMessage.
func (s *Service) afterConnect(chargerID string, at time.Time) {
	s.later(chargerID, followUpReconnect, func(ctx context.Context) error {
		c, err := s.store.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		if c.LastBootAt != nil && !c.LastBootAt.Before(at) || !s.cmd.Connected(chargerID) {
			return nil // it booted: its StatusNotifications follow the boot
		}
		_, err = s.TriggerMessage(ctx, chargerID, "StatusNotification", 0)
		return err
	})
}

// afterBoot reconciles the sessions the reboot may have lost, applies the
// operator's desired configuration, reads the charger's configuration and
// re-sends the charging profiles it had before it rebooted.
func (s *Service) afterBoot(chargerID string) {
	s.later(chargerID, followUpBoot, func(ctx context.Context) error {
		if !s.cmd.Connected(chargerID) {
			return nil
		}
		// Transactions the reboot lost (2.0.1 asks; 1.6 waits for the grace).
		if err := s.askTransactionStatus(ctx, chargerID); err != nil && ctx.Err() == nil {
			s.log.Warn("reconcile sessions after boot", "charger", chargerID, "err", err)
		}
		if err := s.applyDesired(ctx, chargerID); err != nil {
			return err
		}
		// Read and store the configuration; nobody waits for the result.
		if err := s.refreshConfiguration(ctx, chargerID); err != nil {
			return err
		}
		return s.resendProfiles(ctx, chargerID)
	})
}
