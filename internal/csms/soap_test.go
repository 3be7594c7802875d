package csms_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// triggerFake records TriggerMessage; the embedded nil StationCommander
// would panic if any other typed command were sent.
type triggerFake struct {
	*fakeCommander
	charging.StationCommander
	mu       sync.Mutex
	triggers []string
}

func (f *triggerFake) TriggerMessage(ctx context.Context, id, message string, connectorID int) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.triggers = append(f.triggers, id+" "+message)
	return charging.CommandAccepted, nil
}

func (f *triggerFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.triggers)
}

// TestReconnectTriggerSOAP: a charger that reconnects without booting is
// asked for its statuses (TriggerMessage), but a SOAP charger only when it
// had gone offline (it is "connected" again at most heartbeats), and a
// 1.5 charger never (1.5 has no TriggerMessage).
func TestReconnectTriggerSOAP(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cmd := &triggerFake{fakeCommander: &fakeCommander{}}
	svc := csms.New(store, inmem.NewBus(), cmd, nil, nil, csms.Config{FollowUpDelay: time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	for _, c := range []struct {
		id, version string
	}{{"J-16", charging.OCPP16}, {"S-16", charging.OCPP16S}, {"S-15", charging.OCPP15S}} {
		must(t, svc.Connected(ctx, c.id, c.version))
	}
	// settle waits for n more triggers than base, then a moment for any
	// that should not come.
	settle := func(base, n int) {
		for end := time.Now().Add(5 * time.Second); cmd.count() < base+n && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	settle(0, 2) // the new 1.6 chargers
	base := cmd.count()

	// Still online: only the OCPP-J charger (a new connection) is asked.
	for _, c := range []struct{ id, version string }{{"J-16", charging.OCPP16}, {"S-16", charging.OCPP16S}, {"S-15", charging.OCPP15S}} {
		must(t, svc.Connected(ctx, c.id, c.version))
	}
	settle(base, 1)
	if got := cmd.count() - base; got != 1 || cmd.triggers[len(cmd.triggers)-1] != "J-16 StatusNotification" {
		t.Fatalf("triggers after the chargers were seen again while online = %v, want J-16's only", cmd.triggers[base:])
	}
	// Back from offline: the 1.6 SOAP charger is asked too, the 1.5 one not.
	base = cmd.count()
	// (The fake's offline switch is for every charger at once.)
	cmd.setOffline(true) // the gateway detaches a silent SOAP charger first
	must(t, svc.Disconnected(ctx, "S-16"))
	must(t, svc.Disconnected(ctx, "S-15"))
	cmd.setOffline(false)
	must(t, svc.Connected(ctx, "S-16", charging.OCPP16S))
	must(t, svc.Connected(ctx, "S-15", charging.OCPP15S))
	settle(base, 1)
	if got := cmd.count() - base; got != 1 || cmd.triggers[len(cmd.triggers)-1] != "S-16 StatusNotification" {
		t.Fatalf("triggers after the SOAP chargers came back = %v, want S-16's only", cmd.triggers[base:])
	}
}

// TestSOAPNoProfile3: OCPP over SOAP has no client certificates, so a SOAP
// charger cannot be put at profile 3 (it could never be admitted again).
func TestSOAPNoProfile3(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.svc.Connected(ctx, "CP-S", charging.OCPP16S))
	_, err := f.svc.SetSecurityProfile(ctx, "CP-S", charging.ProfileMTLS, false)
	wantCode(t, err, charging.ECONFLICT)
	if _, err := f.svc.SetSecurityProfile(ctx, "CP-1", charging.ProfileMTLS, false); err != nil {
		t.Fatalf("profile 3 for an OCPP-J charger: %v", err)
	}
}

// TestUnstatedStopReason: OCPP 1.5 has no stop reason. A stop whose reason
// is unstated is Remote when Joule had asked for it and Local otherwise;
// an absent 1.6 reason stays Local (1.6 says so) even after Joule asked.
func TestUnstatedStopReason(t *testing.T) {
	for _, c := range []struct {
		name      string
		asked     bool
		unstated  bool
		wantStops string
	}{
		{"1.5 stop Joule asked for", true, true, "Remote"},
		{"1.5 stop at the charger", false, true, "Local"},
		{"1.6 stop without a reason after Joule asked", true, false, "Local"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			res := f.started(t, 1, "TAG", 0)
			if c.asked {
				_, err := f.svc.StopSession(ctx, res.SessionID)
				must(t, err)
			}
			_, err := f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: res.TransactionID,
				MeterStopWh: 6379, Timestamp: f.clock.now(), ReasonUnstated: c.unstated})
			must(t, err)
			ses, err := f.svc.GetSession(ctx, res.SessionID)
			must(t, err)
			if ses.StopReason != c.wantStops || ses.EnergyWh != 6379 {
				t.Errorf("session = reason %q energy %v, want %s with 6379 Wh", ses.StopReason, ses.EnergyWh, c.wantStops)
			}
		})
	}
}

// raceStop is a charger whose StopTransaction reaches Joule before its
// answer to the remote stop, as a SOAP charger's may: the two travel on
// separate HTTP requests.
type raceStop struct {
	*fakeCommander
	svc   *csms.Service
	reply charging.CommandStatus
	err   error
}

func (r *raceStop) RemoteStop(ctx context.Context, id, tx string) (charging.CommandStatus, error) {
	_, r.err = r.svc.TransactionStopped(ctx, id, charging.TransactionStop{TransactionID: tx,
		MeterStopWh: 6379, Timestamp: time.Now(), ReasonUnstated: true})
	return r.reply, nil
}

// TestUnstatedStopReasonRace: a 1.5 stop that arrives while Joule's remote
// stop is still waiting for its answer is Remote (the command history has
// the pending stop); when the charger then rejects that remote stop, the
// reason is corrected to Local.
func TestUnstatedStopReasonRace(t *testing.T) {
	for _, c := range []struct {
		reply charging.CommandStatus
		want  string
	}{{charging.CommandAccepted, "Remote"}, {charging.CommandRejected, "Local"}} {
		t.Run(string(c.reply), func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP15S))
			res := f.started(t, 1, "TAG", 0)
			rs := &raceStop{fakeCommander: f.cmd, svc: f.svc, reply: c.reply}
			f.svc.SetCommander(rs)
			_, err := f.svc.StopSession(ctx, res.SessionID)
			must(t, rs.err)
			if c.reply == charging.CommandAccepted {
				must(t, err)
			}
			ses, err := f.svc.GetSession(ctx, res.SessionID)
			must(t, err)
			if ses.Status != charging.SessionFinished || ses.StopReason != c.want {
				t.Errorf("session = %s, reason %q; want finished, %s", ses.Status, ses.StopReason, c.want)
			}
		})
	}
	// A stop Joule asked for in an earlier session of the same charger
	// does not make this one's unstated stop Remote.
	t.Run("earlier session", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		first := f.started(t, 1, "TAG", 0)
		_, err := f.svc.StopSession(ctx, first.SessionID)
		must(t, err)
		_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: first.TransactionID,
			MeterStopWh: 100, Timestamp: f.clock.now(), ReasonUnstated: true})
		must(t, err)
		f.clock.add(time.Minute)
		second := f.started(t, 1, "TAG", 100)
		_, err = f.svc.TransactionStopped(ctx, "CP-1", charging.TransactionStop{TransactionID: second.TransactionID,
			MeterStopWh: 200, Timestamp: f.clock.now(), ReasonUnstated: true})
		must(t, err)
		for id, want := range map[string]string{first.SessionID: "Remote", second.SessionID: "Local"} {
			ses, err := f.svc.GetSession(ctx, id)
			must(t, err)
			if ses.StopReason != want {
				t.Errorf("session %s reason %q, want %s", id, ses.StopReason, want)
			}
		}
	})
}

// TestSOAPBootStoresAddress: a SOAP charger's boot stores its service
// address with the boot, in one unit: an address Joule cannot call fails
// the boot and stores none of it.
func TestSOAPBootStoresAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	must(t, f.svc.Connected(ctx, "CP-S", charging.OCPP16S))
	_, err := f.svc.Booted(ctx, "CP-S", charging.BootInfo{Vendor: "V", Model: "M", SOAPAddress: "http://10.0.0.5:8080/cp"})
	must(t, err)
	c, err := f.svc.GetCharger(ctx, "CP-S")
	must(t, err)
	if c.SOAPAddress != "http://10.0.0.5:8080/cp" || c.Vendor != "V" {
		t.Fatalf("charger = address %q vendor %q, want both from the boot", c.SOAPAddress, c.Vendor)
	}
	_, err = f.svc.Booted(ctx, "CP-S", charging.BootInfo{Vendor: "W", Model: "M", SOAPAddress: "ftp://10.0.0.6/cp"})
	wantCode(t, err, charging.EINVALID)
	c, err = f.svc.GetCharger(ctx, "CP-S")
	must(t, err)
	if c.SOAPAddress != "http://10.0.0.5:8080/cp" || c.Vendor != "V" {
		t.Fatalf("after a failed boot: address %q vendor %q, want the first boot's", c.SOAPAddress, c.Vendor)
	}
}
