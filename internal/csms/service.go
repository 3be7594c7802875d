package csms

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/tariff"
)

// Service implements the use cases. Build it with New.
type Service struct {
	store charging.Store
	bus   charging.EventBus
	cmd   charging.Commander
	log   *slog.Logger
	now   func() time.Time
	cfg   Config

	// locks serialises read-modify-write of one charger's sessions within
	// this node, so that a StartTransaction and the RemoteStart answer it
	// races with never overwrite each other. Values are *sync.Mutex keyed
	// by charger id. Across nodes (one shared store) they serialise
	// nothing: every read-modify-write reads what it changes inside its
	// unit of work (Service.update), which the store runs as one
	// serializable transaction.
	locks sync.Map

	// live holds each charger's active sessions for the meter hot path
	// (livemeter.go): liveSessions keyed by charger id, used under the
	// charger's lock. Dropped when the charger connects, boots or
	// disconnects.
	live sync.Map

	follow followUps // commands Joule sends on its own after a connect or boot

	sec security // security.go

	payKick chan struct{} // payments.go: run the payment worker now
	costs   costUpdates   // costupdate.go: CostUpdated sent per transaction
	// holdStops are the sessions stopped at their payment hold (payments.go).
	holdStops sync.Map

	smart smartState // smart.go: the site balancer's memory
}

// Config holds the service's policies; zero values take the defaults.
type Config struct {
	// HeartbeatInterval is the interval sent in BootNotification answers.
	HeartbeatInterval time.Duration // default 5m
	// PendingTimeout is how long an accepted remote start may wait for the
	// charger's transaction before the session fails.
	PendingTimeout time.Duration // default 2m
	// SweepInterval is how often pending sessions are checked for expiry.
	SweepInterval time.Duration // default 5s
	// RejectUnknownIDTags makes id tags Joule does not know Invalid. By
	// default (the embedded default) unknown tags are Accepted.
	RejectUnknownIDTags bool
	// FollowUpDelay is how long Joule waits after a connect or a boot before
	// its own commands (see DefaultFollowUpDelay).
	FollowUpDelay time.Duration

	// Registration is the policy for charger ids Joule does not know:
	// charging.RegistrationOpen (the default), RegistrationApprove or
	// RegistrationClosed.
	Registration string
	// MaxPendingChargers bounds the chargers waiting for approval (default 1000).
	MaxPendingChargers int
	// ClientCertOrg, when set, is the O a profile 3 charger's certificate
	// must name (the operator's organisation, A00.FR.404).
	ClientCertOrg string
	// Signer signs chargers' certificate requests; nil answers them Rejected.
	Signer charging.CertificateSigner
	// MeterRetention, when positive, is how long the meter samples of an
	// ended session are kept; sessions keep their totals. 0 keeps every
	// sample.
	MeterRetention time.Duration
	// LostSessionGrace is how long a connector may be reported Available
	// under an active session before the session ends as lost (default
	// DefaultLostSessionGrace; negative: never).
	LostSessionGrace time.Duration
	// PaymentHold is the amount held before an app start on a tariff
	// without a maximum price (default DefaultPaymentHold), in the
	// tariff's currency.
	PaymentHold charging.Decimal
	// Seller is printed on every receipt.
	Seller charging.Seller
	// CostUpdateInterval is the least time between two CostUpdated sent to
	// a 2.0.1 charger about one transaction (default 1 minute).
	CostUpdateInterval time.Duration
	// Leader says whether this node does the cluster's background work
	// now (Run's sweeps: pending-start expiry, reservation expiry, lost
	// sessions, meter retention). It is asked at every tick; nil means
	// always (a single node). The follow-ups of a connection or a boot are
	// not background work: the node holding the charger runs them.
	Leader func() bool
	// Payments is how drivers pay (payment.Router): the provider of a
	// user's next session, a session's provider by name, saved cards.
	// nil: sessions are priced but nothing is held or captured, and no
	// cards (saving one is ECONFLICT); the wallet ledger's API works all
	// the same.
	Payments Payments
	// SmartDelay is how long the balancer gathers changes before it
	// reallocates a site (default DefaultSmartDelay); SmartInterval how
	// often it looks at every site with a limit (DefaultSmartInterval);
	// SmartLease how long a limit Joule sends stays valid without Joule
	// (DefaultSmartLease); SiteLoadEvery how often a site's load is
	// recorded for its history (DefaultSiteLoadEvery). See smart.go.
	SmartDelay    time.Duration
	SmartInterval time.Duration
	SmartLease    time.Duration
	SiteLoadEvery time.Duration
	// ValidateTariff normalizes and checks a tariff an operator writes
	// (an EINVALID *charging.Error naming the field); nil is
	// tariff.Validate.
	ValidateTariff func(t *charging.Tariff) error
}

// New returns a Service. log and now may be nil (discard, time.Now).
func New(store charging.Store, bus charging.EventBus, cmd charging.Commander, log *slog.Logger, now func() time.Time, cfg Config) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 5 * time.Minute
	}
	if cfg.PendingTimeout <= 0 {
		cfg.PendingTimeout = 2 * time.Minute
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 5 * time.Second
	}
	if cfg.LostSessionGrace == 0 {
		cfg.LostSessionGrace = DefaultLostSessionGrace
	}
	if cfg.ValidateTariff == nil {
		cfg.ValidateTariff = tariff.Validate
	}
	if cfg.CostUpdateInterval <= 0 {
		cfg.CostUpdateInterval = time.Minute
	}
	s := &Service{store: store, bus: bus, cmd: cmd, log: log, now: now, cfg: cfg, payKick: make(chan struct{}, 1)}
	s.sec.writes = make(chan struct{}, 16)
	s.smart.init()
	return s
}

var _ charging.StationEvents = (*Service)(nil)

// SetCommander sets the commander after construction, for wiring where the
// gateway (the commander) itself needs the service.
func (s *Service) SetCommander(cmd charging.Commander) { s.cmd = cmd }

func (s *Service) utcNow() time.Time { return s.now().UTC() }

// lock takes the per-charger lock and returns its unlock.
func (s *Service) lock(chargerID string) func() {
	m, ok := s.locks.Load(chargerID)
	if !ok {
		m, _ = s.locks.LoadOrStore(chargerID, new(sync.Mutex))
	}
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// publish sends e on the bus. A charger in it is shown as GetCharger
// shows it: connector 0 (the charger itself, which 1.6 chargers report
// after every boot) is its Status, not one of its connectors. The copy
// leaves the caller's charger as it was.
func (s *Service) publish(ctx context.Context, e charging.Event) {
	if e.Time.IsZero() {
		e.Time = s.utcNow()
	}
	if e.Charger != nil {
		c := *e.Charger
		c.Connectors = slices.Clone(c.Connectors)
		present(&c)
		e.Charger = &c
	}
	s.bus.Publish(ctx, e)
}

func (s *Service) publishSession(ctx context.Context, typ string, ses charging.Session, samples []charging.MeterSample) {
	s.publish(ctx, charging.Event{
		Type: typ, ChargerID: ses.ChargerID, ConnectorID: ses.ConnectorID,
		SessionID: ses.ID, Session: &ses, Samples: samples,
	})
}

// Ready reports whether the service can serve requests.
func (s *Service) Ready(ctx context.Context) error { return s.store.Ping(ctx) }

// leader reports whether this node does the background work now.
func (s *Service) leader() bool { return s.cfg.Leader == nil || s.cfg.Leader() }

// Run fails pending sessions whose charger never started a transaction,
// ends lost sessions, expires reservations and applies meter retention,
// until ctx is cancelled. It also runs the follow-ups of connections and
// boots. In a cluster only the leader (Config.Leader) sweeps, at each
// tick it is the leader; every node keeps ticking.
func (s *Service) Run(ctx context.Context) error {
	stopFollowUps := s.startFollowUps(ctx)
	defer stopFollowUps()
	var smart sync.WaitGroup
	defer smart.Wait()
	smart.Go(func() { s.runSmart(ctx) })
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	var lastPurge, lastLost time.Time
	var warm sync.WaitGroup
	defer warm.Wait()
	warmed := false
	for {
		if s.leader() {
			if !warmed {
				// Once this node does the background work: the report
				// roll-ups, in the background (reports.go).
				warmed = true
				warm.Go(func() { s.warmReports(ctx) })
			}
			s.sweep(ctx, &lastLost, &lastPurge)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.payKick:
			if s.leader() {
				s.settle1(ctx)
			}
			continue
		}
	}
}

// sweep runs the background work once: the lost-session sweep and the
// meter retention when their intervals since lastLost and lastPurge have
// passed, the pending and reservation expiry every time.
func (s *Service) sweep(ctx context.Context, lastLost, lastPurge *time.Time) {
	if s.cfg.LostSessionGrace >= 0 && time.Since(*lastLost) >= s.lostSweepInterval() {
		*lastLost = time.Now()
		if _, err := s.ReconcileLostSessions(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("end lost sessions", "err", err)
		}
	}
	if s.cfg.MeterRetention > 0 && time.Since(*lastPurge) >= purgeInterval {
		*lastPurge = time.Now()
		if n, err := s.PurgeMeterLog(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("meter retention", "err", err)
		} else if n > 0 {
			s.log.Info("meter retention: deleted the samples of sessions that ended before the window", "elements", n, "window", s.cfg.MeterRetention.String())
		}
	}
	if err := s.ExpirePending(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("expire pending sessions", "err", err)
	}
	if err := s.ExpireReservations(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("expire reservations", "err", err)
	}
	s.settle1(ctx)
}

// settle1 runs the payment worker once.
func (s *Service) settle1(ctx context.Context) {
	if _, err := s.SettlePayments(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("settle payments", "err", err)
	}
}

// ExpirePending fails pending sessions older than the pending timeout.
func (s *Service) ExpirePending(ctx context.Context) error {
	cutoff := s.utcNow().Add(-s.cfg.PendingTimeout)
	page, err := s.store.ListSessions(ctx, charging.SessionQuery{
		Status: []charging.SessionStatus{charging.SessionPending}, CreatedBefore: cutoff, Limit: 1000,
	})
	if err != nil {
		return err
	}
	for _, p := range page.Items {
		if err := s.failPending(ctx, p.ID, "the charger did not start a transaction within "+s.cfg.PendingTimeout.String()); err != nil {
			return err
		}
	}
	return nil
}

// failPending marks a session failed if it is still pending, reading and
// writing it in one unit of work: a transaction that bound it meanwhile
// (on any node) is never overwritten.
func (s *Service) failPending(ctx context.Context, id, reason string) error {
	ses, err := s.store.GetSession(ctx, id)
	if err != nil {
		return err
	}
	unlock := s.lock(ses.ChargerID)
	defer unlock()
	return s.update(ctx, func(u *unit) error {
		ses, err := u.tx.GetSession(ctx, id)
		if err != nil {
			return err
		}
		if ses.Status != charging.SessionPending {
			return nil
		}
		ses.Status = charging.SessionFailed
		ses.FailureReason = reason
		ses.UpdatedAt = s.utcNow()
		ses.Cost = nil // nothing was charged; a held payment is released (payments.go)
		if err := u.tx.UpdateSession(ctx, ses); err != nil {
			return err
		}
		if ses.Payment != nil {
			u.then(s.kickPayments)
		}
		u.publishSession(charging.EventSessionFailed, ses, nil)
		return nil
	})
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random, URL-safe id of 16 characters.
func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}
