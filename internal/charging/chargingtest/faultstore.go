package chargingtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// ErrInjected is the error a FaultStore's failing write returns when the
// Fault names none.
var ErrInjected = errors.New("chargingtest: injected write failure")

// errDryRun ends the dry run of a unit armed with a Fault on its last write.
var errDryRun = errors.New("chargingtest: dry run of a unit of work")

// Fault says which write of a FaultStore fails.
type Fault struct {
	// Method names the write method that fails ("AddMeterSamples",
	// "AddTransactionEvent", ...); "" matches every write method.
	Method string
	// N is which of the matching writes fails, from 1. 0 is the last one:
	// the FaultStore finds it by a dry run of the unit, which it rolls back
	// (a unit's function may run more than once, see charging.Store.Update).
	N int
	// Commit makes the unit fail after its function returned nil, as a
	// failed COMMIT would; Method and N are then ignored.
	Commit bool
	// Outside applies the Fault to the Store's own write methods (calls
	// outside any unit of work) from when it is armed, instead of to the
	// next unit: the N-th matching call fails (N 0 counts as 1), once.
	Outside bool
	// Err is what the failing write returns (wrapped with the method's
	// name); nil is ErrInjected.
	Err error
}

func (f *Fault) err(method string) error {
	err := f.Err
	if err == nil {
		err = ErrInjected
	}
	return fmt.Errorf("%s: %w", method, err)
}

func (f *Fault) matches(method string) bool { return f.Method == "" || f.Method == method }

// FaultStore is a charging.Store around another one that makes one write
// fail on demand, to test that a use case's units of work are atomic: arm
// it (FailWrite, FailLastWrite, FailMethod, FailCommit or Arm), call the use
// case, and the next unit of work (Update) fails at that write with the
// injected error; everything else passes through. A failing write does not
// reach the wrapped store, so, as the contract says, it leaves nothing of
// itself behind.
//
// An armed Fault belongs to the next Update, whether it fires or not, and
// applies to every run of its function: the writes are counted afresh in
// each run. Writes are the Tx methods that change something, sequence
// allocations (NextTransactionID, ...) included; reads always pass through.
//
// FaultStore also logs the write methods called outside any unit of work
// (OutsideWrites), so that a test can see a use case that writes around
// its unit.
type FaultStore struct {
	faultTx // the Store's own methods: outside any unit
	store   charging.Store

	mu      sync.Mutex
	armed   *Fault
	outside *outsideFault
	fired   []string // methods that failed since the last Arm or Disarm
	writes  []string // write methods of the last run of the last unit
	direct  []string // write methods called outside any unit
}

type outsideFault struct {
	f Fault
	n int
}

// NewFaultStore wraps store.
func NewFaultStore(store charging.Store) *FaultStore {
	s := &FaultStore{store: store}
	s.faultTx = faultTx{Tx: store, s: s}
	return s
}

var _ charging.Store = (*FaultStore)(nil)

// Unwrap returns the wrapped store.
func (s *FaultStore) Unwrap() charging.Store { return s.store }

// Arm arms f, replacing any armed Fault of the same scope (the next unit,
// or outside units), and forgets what fired so far.
func (s *FaultStore) Arm(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Outside {
		s.outside = &outsideFault{f: f}
	} else {
		s.armed = &f
	}
	s.fired = nil
}

// FailWrite makes the n-th write (from 1; 0 is the last) of the next unit
// of work fail with err (nil: ErrInjected).
func (s *FaultStore) FailWrite(n int, err error) { s.Arm(Fault{N: n, Err: err}) }

// FailLastWrite makes the last write of the next unit of work fail with
// err (nil: ErrInjected): the second half of a multi-part write.
func (s *FaultStore) FailLastWrite(err error) { s.Arm(Fault{Err: err}) }

// FailMethod makes the first call of a write method inside the next unit
// of work fail with err (nil: ErrInjected).
func (s *FaultStore) FailMethod(method string, err error) {
	s.Arm(Fault{Method: method, N: 1, Err: err})
}

// FailCommit makes the next unit of work fail after all its writes
// succeeded, as a failed commit would.
func (s *FaultStore) FailCommit(err error) { s.Arm(Fault{Commit: true, Err: err}) }

// Disarm drops every armed Fault and forgets what fired.
func (s *FaultStore) Disarm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed, s.outside, s.fired = nil, nil, nil
}

// Fired returns the write methods ("commit" for FailCommit) that failed
// since the last Arm or Disarm, one per failing run.
func (s *FaultStore) Fired() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.fired)
}

// Writes returns the write methods the last run of the last unit of work
// called, in order, the failed one included.
func (s *FaultStore) Writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes)
}

// OutsideWrites returns the write methods called outside any unit of work
// since the last ResetOutsideWrites, in order.
func (s *FaultStore) OutsideWrites() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.direct)
}

// ResetOutsideWrites forgets the writes OutsideWrites returns.
func (s *FaultStore) ResetOutsideWrites() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.direct = nil
}

// Ping checks the wrapped store.
func (s *FaultStore) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close closes the wrapped store.
func (s *FaultStore) Close() error { return s.store.Close() }

// Update runs fn as one unit of work of the wrapped store, through a Tx
// that fails the armed Fault's write.
func (s *FaultStore) Update(ctx context.Context, fn func(tx charging.Tx) error) error {
	if fn == nil {
		return s.store.Update(ctx, nil)
	}
	s.mu.Lock()
	f := s.armed
	s.armed = nil
	s.mu.Unlock()

	target := 0
	if f != nil && !f.Commit {
		target = f.N
		if target <= 0 {
			// A dry run, rolled back, counts the matching writes.
			var count int
			err := s.store.Update(ctx, func(tx charging.Tx) error {
				r := &unitRun{}
				if err := fn(&faultTx{Tx: tx, s: s, run: r}); err != nil {
					return err // the unit fails without the Fault
				}
				count = 0
				for _, m := range r.writes {
					if f.matches(m) {
						count++
					}
				}
				return errDryRun
			})
			if !errors.Is(err, errDryRun) {
				return err
			}
			target = count // 0: nothing to fail
		}
	}
	// A store may run fn more than once (the contract allows it); what
	// fired is what the last run failed, recorded once per unit.
	var last *unitRun
	err := s.store.Update(ctx, func(tx charging.Tx) error {
		r := &unitRun{f: f, target: target}
		last = r
		err := fn(&faultTx{Tx: tx, s: s, run: r})
		s.mu.Lock()
		s.writes = r.writes
		s.mu.Unlock()
		if err == nil && f != nil && f.Commit {
			r.fired = "commit"
			return f.err("commit")
		}
		return err
	})
	if last != nil && last.fired != "" {
		s.record(last.fired)
	}
	return err
}

func (s *FaultStore) record(method string) {
	s.mu.Lock()
	s.fired = append(s.fired, method)
	s.mu.Unlock()
}

// outsideWrite logs a write made outside any unit and fails it if the
// outside Fault says so.
func (s *FaultStore) outsideWrite(method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.direct = append(s.direct, method)
	o := s.outside
	if o == nil || !o.f.matches(method) {
		return nil
	}
	o.n++
	if o.n < max(o.f.N, 1) {
		return nil
	}
	s.outside = nil
	s.fired = append(s.fired, method)
	return o.f.err(method)
}

// unitRun is one run of a unit's function.
type unitRun struct {
	f      *Fault // nil: count only
	target int    // the matching write that fails, from 1; 0: none
	n      int    // matching writes so far
	writes []string
	fired  string // the write this run failed, if any
}

// faultTx is the Tx a unit's function gets (run set), and the Store's own
// methods (run nil).
type faultTx struct {
	charging.Tx
	s   *FaultStore
	run *unitRun
}

// write is called before every write method: it returns the injected error
// when this write is the one to fail.
func (t *faultTx) write(method string) error {
	r := t.run
	if r == nil {
		return t.s.outsideWrite(method)
	}
	r.writes = append(r.writes, method)
	if r.f == nil || r.f.Commit || r.target == 0 || !r.f.matches(method) {
		return nil
	}
	r.n++
	if r.n != r.target {
		return nil
	}
	r.fired = method
	return r.f.err(method)
}

// The write methods of charging.Tx. Every one asks write first.

func (t *faultTx) SaveCharger(ctx context.Context, c charging.Charger) error {
	if err := t.write("SaveCharger"); err != nil {
		return err
	}
	return t.Tx.SaveCharger(ctx, c)
}

func (t *faultTx) TouchCharger(ctx context.Context, id string, at time.Time) error {
	if err := t.write("TouchCharger"); err != nil {
		return err
	}
	return t.Tx.TouchCharger(ctx, id, at)
}

func (t *faultTx) SetAllOffline(ctx context.Context) error {
	if err := t.write("SetAllOffline"); err != nil {
		return err
	}
	return t.Tx.SetAllOffline(ctx)
}

func (t *faultTx) SaveConnector(ctx context.Context, chargerID string, c charging.Connector) error {
	if err := t.write("SaveConnector"); err != nil {
		return err
	}
	return t.Tx.SaveConnector(ctx, chargerID, c)
}

func (t *faultTx) SaveConnectorStatus(ctx context.Context, chargerID string, c charging.Connector) (charging.Connector, error) {
	if err := t.write("SaveConnectorStatus"); err != nil {
		return charging.Connector{}, err
	}
	return t.Tx.SaveConnectorStatus(ctx, chargerID, c)
}

func (t *faultTx) CreateSession(ctx context.Context, x charging.Session) error {
	if err := t.write("CreateSession"); err != nil {
		return err
	}
	return t.Tx.CreateSession(ctx, x)
}

func (t *faultTx) UpdateSession(ctx context.Context, x charging.Session) error {
	if err := t.write("UpdateSession"); err != nil {
		return err
	}
	return t.Tx.UpdateSession(ctx, x)
}

func (t *faultTx) NextTransactionID(ctx context.Context) (int64, error) {
	if err := t.write("NextTransactionID"); err != nil {
		return 0, err
	}
	return t.Tx.NextTransactionID(ctx)
}

func (t *faultTx) AddMeterSamples(ctx context.Context, samples []charging.MeterSample, x *charging.Session) error {
	if err := t.write("AddMeterSamples"); err != nil {
		return err
	}
	return t.Tx.AddMeterSamples(ctx, samples, x)
}

func (t *faultTx) SetSessionLive(ctx context.Context, l charging.SessionLive) error {
	if err := t.write("SetSessionLive"); err != nil {
		return err
	}
	return t.Tx.SetSessionLive(ctx, l)
}

func (t *faultTx) PurgeMeterSamples(ctx context.Context, before time.Time, limit int) (int, bool, error) {
	if err := t.write("PurgeMeterSamples"); err != nil {
		return 0, false, err
	}
	return t.Tx.PurgeMeterSamples(ctx, before, limit)
}

func (t *faultTx) CreateIDTag(ctx context.Context, x charging.IDTag) error {
	if err := t.write("CreateIDTag"); err != nil {
		return err
	}
	return t.Tx.CreateIDTag(ctx, x)
}

func (t *faultTx) SaveIDTag(ctx context.Context, x charging.IDTag) error {
	if err := t.write("SaveIDTag"); err != nil {
		return err
	}
	return t.Tx.SaveIDTag(ctx, x)
}

func (t *faultTx) DeleteIDTag(ctx context.Context, idTag string) error {
	if err := t.write("DeleteIDTag"); err != nil {
		return err
	}
	return t.Tx.DeleteIDTag(ctx, idTag)
}

// DeviceModelStore.

func (t *faultTx) SaveVariables(ctx context.Context, vs []charging.Variable) error {
	if err := t.write("SaveVariables"); err != nil {
		return err
	}
	return t.Tx.SaveVariables(ctx, vs)
}

func (t *faultTx) AddChargerEvents(ctx context.Context, es []charging.ChargerEvent) error {
	if err := t.write("AddChargerEvents"); err != nil {
		return err
	}
	return t.Tx.AddChargerEvents(ctx, es)
}

func (t *faultTx) AddTransactionEvent(ctx context.Context, r charging.TransactionEventRecord) error {
	if err := t.write("AddTransactionEvent"); err != nil {
		return err
	}
	return t.Tx.AddTransactionEvent(ctx, r)
}

func (t *faultTx) NextRemoteStartID(ctx context.Context) (int, error) {
	if err := t.write("NextRemoteStartID"); err != nil {
		return 0, err
	}
	return t.Tx.NextRemoteStartID(ctx)
}

func (t *faultTx) SetOCPPVersionOverride(ctx context.Context, chargerID, version string) error {
	if err := t.write("SetOCPPVersionOverride"); err != nil {
		return err
	}
	return t.Tx.SetOCPPVersionOverride(ctx, chargerID, version)
}

// CommandLog.

func (t *faultTx) SaveCommand(ctx context.Context, r charging.CommandRecord) error {
	if err := t.write("SaveCommand"); err != nil {
		return err
	}
	return t.Tx.SaveCommand(ctx, r)
}

// ReservationStore.

func (t *faultTx) NextReservationID(ctx context.Context) (int, error) {
	if err := t.write("NextReservationID"); err != nil {
		return 0, err
	}
	return t.Tx.NextReservationID(ctx)
}

func (t *faultTx) CreateReservation(ctx context.Context, r charging.Reservation) error {
	if err := t.write("CreateReservation"); err != nil {
		return err
	}
	return t.Tx.CreateReservation(ctx, r)
}

func (t *faultTx) UpdateReservation(ctx context.Context, r charging.Reservation) error {
	if err := t.write("UpdateReservation"); err != nil {
		return err
	}
	return t.Tx.UpdateReservation(ctx, r)
}

// ProfileStore.

func (t *faultTx) NextChargingProfileID(ctx context.Context) (int, error) {
	if err := t.write("NextChargingProfileID"); err != nil {
		return 0, err
	}
	return t.Tx.NextChargingProfileID(ctx)
}

func (t *faultTx) SaveChargingProfile(ctx context.Context, p charging.ChargingProfile) error {
	if err := t.write("SaveChargingProfile"); err != nil {
		return err
	}
	return t.Tx.SaveChargingProfile(ctx, p)
}

func (t *faultTx) InstallProfile(ctx context.Context, p charging.InstalledProfile) error {
	if err := t.write("InstallProfile"); err != nil {
		return err
	}
	return t.Tx.InstallProfile(ctx, p)
}

func (t *faultTx) UninstallProfiles(ctx context.Context, chargerID string, f charging.ProfileFilter) (int, error) {
	if err := t.write("UninstallProfiles"); err != nil {
		return 0, err
	}
	return t.Tx.UninstallProfiles(ctx, chargerID, f)
}

// ConfigStore.

func (t *faultTx) SaveConfiguration(ctx context.Context, c charging.ChargerConfiguration, all bool) error {
	if err := t.write("SaveConfiguration"); err != nil {
		return err
	}
	return t.Tx.SaveConfiguration(ctx, c, all)
}

func (t *faultTx) SaveDesiredSetting(ctx context.Context, d charging.DesiredSetting) error {
	if err := t.write("SaveDesiredSetting"); err != nil {
		return err
	}
	return t.Tx.SaveDesiredSetting(ctx, d)
}

func (t *faultTx) DeleteDesiredSetting(ctx context.Context, chargerID, key string) error {
	if err := t.write("DeleteDesiredSetting"); err != nil {
		return err
	}
	return t.Tx.DeleteDesiredSetting(ctx, chargerID, key)
}

// LocalListStore.

func (t *faultTx) NextLocalListVersion(ctx context.Context) (int, error) {
	if err := t.write("NextLocalListVersion"); err != nil {
		return 0, err
	}
	return t.Tx.NextLocalListVersion(ctx)
}

func (t *faultTx) SaveLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	if err := t.write("SaveLocalListVersion"); err != nil {
		return err
	}
	return t.Tx.SaveLocalListVersion(ctx, chargerID, version, at)
}

func (t *faultTx) SaveReportedLocalListVersion(ctx context.Context, chargerID string, version int, at time.Time) error {
	if err := t.write("SaveReportedLocalListVersion"); err != nil {
		return err
	}
	return t.Tx.SaveReportedLocalListVersion(ctx, chargerID, version, at)
}

// FirmwareStore.

func (t *faultTx) SaveFirmware(ctx context.Context, f charging.Firmware) error {
	if err := t.write("SaveFirmware"); err != nil {
		return err
	}
	return t.Tx.SaveFirmware(ctx, f)
}

func (t *faultTx) SaveFirmwareJob(ctx context.Context, j charging.FirmwareJob) error {
	if err := t.write("SaveFirmwareJob"); err != nil {
		return err
	}
	return t.Tx.SaveFirmwareJob(ctx, j)
}

func (t *faultTx) SaveDiagnosticsJob(ctx context.Context, j charging.DiagnosticsJob) error {
	if err := t.write("SaveDiagnosticsJob"); err != nil {
		return err
	}
	return t.Tx.SaveDiagnosticsJob(ctx, j)
}

// SecurityStore.

func (t *faultTx) SetCredentials(ctx context.Context, chargerID string, c charging.Credentials) error {
	if err := t.write("SetCredentials"); err != nil {
		return err
	}
	return t.Tx.SetCredentials(ctx, chargerID, c)
}

func (t *faultTx) SaveChargerCredentials(ctx context.Context, c charging.Charger, creds charging.Credentials) error {
	if err := t.write("SaveChargerCredentials"); err != nil {
		return err
	}
	return t.Tx.SaveChargerCredentials(ctx, c, creds)
}

func (t *faultTx) DeleteCharger(ctx context.Context, chargerID string) error {
	if err := t.write("DeleteCharger"); err != nil {
		return err
	}
	return t.Tx.DeleteCharger(ctx, chargerID)
}

func (t *faultTx) AddSecurityEvent(ctx context.Context, e charging.SecurityEvent) error {
	if err := t.write("AddSecurityEvent"); err != nil {
		return err
	}
	return t.Tx.AddSecurityEvent(ctx, e)
}

// AccountStore.

func (t *faultTx) CreateUser(ctx context.Context, u charging.User, tag *charging.IDTag, token *charging.AuthToken) error {
	if err := t.write("CreateUser"); err != nil {
		return err
	}
	return t.Tx.CreateUser(ctx, u, tag, token)
}

func (t *faultTx) UpdateUser(ctx context.Context, u charging.User, revokeTokens bool, token *charging.AuthToken) error {
	if err := t.write("UpdateUser"); err != nil {
		return err
	}
	return t.Tx.UpdateUser(ctx, u, revokeTokens, token)
}

func (t *faultTx) DeleteUser(ctx context.Context, id string) error {
	if err := t.write("DeleteUser"); err != nil {
		return err
	}
	return t.Tx.DeleteUser(ctx, id)
}

func (t *faultTx) CreateToken(ctx context.Context, x charging.AuthToken) error {
	if err := t.write("CreateToken"); err != nil {
		return err
	}
	return t.Tx.CreateToken(ctx, x)
}

func (t *faultTx) DeleteToken(ctx context.Context, hash string) error {
	if err := t.write("DeleteToken"); err != nil {
		return err
	}
	return t.Tx.DeleteToken(ctx, hash)
}

func (t *faultTx) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	if err := t.write("DeleteExpiredTokens"); err != nil {
		return 0, err
	}
	return t.Tx.DeleteExpiredTokens(ctx, now)
}

func (t *faultTx) CreateAPIKey(ctx context.Context, k charging.APIKey) error {
	if err := t.write("CreateAPIKey"); err != nil {
		return err
	}
	return t.Tx.CreateAPIKey(ctx, k)
}

func (t *faultTx) DeleteAPIKey(ctx context.Context, id string) error {
	if err := t.write("DeleteAPIKey"); err != nil {
		return err
	}
	return t.Tx.DeleteAPIKey(ctx, id)
}

func (t *faultTx) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	if err := t.write("TouchAPIKey"); err != nil {
		return err
	}
	return t.Tx.TouchAPIKey(ctx, id, at)
}

func (t *faultTx) AddAudit(ctx context.Context, e charging.AuditEntry) (int64, error) {
	if err := t.write("AddAudit"); err != nil {
		return 0, err
	}
	return t.Tx.AddAudit(ctx, e)
}

// SiteStore.

func (t *faultTx) CreateSite(ctx context.Context, x charging.Site) error {
	if err := t.write("CreateSite"); err != nil {
		return err
	}
	return t.Tx.CreateSite(ctx, x)
}

func (t *faultTx) SaveSite(ctx context.Context, x charging.Site) error {
	if err := t.write("SaveSite"); err != nil {
		return err
	}
	return t.Tx.SaveSite(ctx, x)
}

func (t *faultTx) DeleteSite(ctx context.Context, id string) error {
	if err := t.write("DeleteSite"); err != nil {
		return err
	}
	return t.Tx.DeleteSite(ctx, id)
}

func (t *faultTx) SaveChargerDetails(ctx context.Context, chargerID string, d charging.ChargerDetails) error {
	if err := t.write("SaveChargerDetails"); err != nil {
		return err
	}
	return t.Tx.SaveChargerDetails(ctx, chargerID, d)
}
