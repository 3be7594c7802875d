package sim_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/sim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// value returns the sampled value of measurand m in mv, parsed.
func value(t *testing.T, mv ocpp16.MeterValue, m ocpp16.Measurand) (float64, ocpp16.SampledValue) {
	t.Helper()
	for _, sv := range mv.SampledValue {
		if sv.Measurand != nil && *sv.Measurand == m {
			v, err := strconv.ParseFloat(sv.Value, 64)
			if err != nil {
				t.Fatalf("%s value %q: %v", m, sv.Value, err)
			}
			return v, sv
		}
	}
	t.Fatalf("no %s in %+v", m, mv)
	return 0, ocpp16.SampledValue{}
}

func statusIs(connector int, s ocpp16.ChargePointStatus) func(*ocpp16.StatusNotificationRequest) bool {
	return func(r *ocpp16.StatusNotificationRequest) bool { return r.ConnectorID == connector && r.Status == s }
}

func TestBootAndStatus(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{ID: "CP-1", Connectors: 2})

	boot := waitFor[ocpp16.BootNotificationRequest](t, f, "CP-1", "BootNotification", nil)
	if boot.ChargePointVendor != "Joule" || boot.ChargePointModel != "Sim-22" {
		t.Errorf("vendor, model = %q, %q, want Joule, Sim-22", boot.ChargePointVendor, boot.ChargePointModel)
	}
	if boot.ChargePointSerialNumber == nil || *boot.ChargePointSerialNumber != "SN-CP-1" {
		t.Errorf("chargePointSerialNumber = %v, want SN-CP-1", boot.ChargePointSerialNumber)
	}
	for c := range 3 {
		st := waitFor(t, f, "CP-1", "StatusNotification Available", statusIs(c, ocpp16.ChargePointStatusAvailable))
		if st.ErrorCode != ocpp16.ChargePointErrorCodeNoError {
			t.Errorf("connector %d errorCode = %s, want NoError", c, st.ErrorCode)
		}
		if st.Timestamp == nil || st.Timestamp.Location() != time.UTC {
			t.Errorf("connector %d timestamp = %v, want a UTC time", c, st.Timestamp)
		}
	}
	if !ch.Connected() {
		t.Error("Connected() = false after boot, want true")
	}
	if got := ch.State(1); got.Status != "Available" || got.EnergyWh != 1000 {
		t.Errorf("State(1) = %+v, want Available at 1000 Wh", got)
	}
	// Heartbeats follow the interval of BootNotification.conf (1s here).
	waitFor[ocpp16.HeartbeatRequest](t, f, "CP-1", "Heartbeat", nil)
}

func TestBootPendingThenAccepted(t *testing.T) {
	f := newFakeCSMS(t)
	f.bootReply = []ocpp16.RegistrationStatus{ocpp16.RegistrationStatusPending}
	start := time.Now()
	startSim(t, f, sim.Config{})
	if got := len(all[ocpp16.BootNotificationRequest](f, "CP-1")); got != 2 {
		t.Errorf("BootNotifications = %d, want 2 (Pending, then Accepted)", got)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("second boot after %v, want the 1s interval of the Pending answer", d)
	}
}

func TestRemoteStartMeterValuesRemoteStop(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: 100 * time.Millisecond})

	rs := mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG-1"})
	if rs.Status != ocpp16.RemoteStartStopStatusAccepted {
		t.Fatalf("RemoteStart status = %s, want Accepted", rs.Status)
	}
	start := waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
	if start.ConnectorID != 1 || start.IDTag != "TAG-1" || start.MeterStart != 1000 {
		t.Errorf("StartTransaction = %+v, want connector 1, TAG-1, meterStart 1000", start)
	}
	waitFor(t, f, "CP-1", "Charging", statusIs(1, ocpp16.ChargePointStatusCharging))
	const tx = 101 // the fake's first id

	mvs := waitCount(t, f, "CP-1", "MeterValues", 5, func(r *ocpp16.MeterValuesRequest) bool { return r.TransactionID != nil })
	wantUnits := map[ocpp16.Measurand]ocpp16.UnitOfMeasure{
		ocpp16.MeasurandVoltage:                    ocpp16.UnitOfMeasureV,
		ocpp16.MeasurandCurrentImport:              ocpp16.UnitOfMeasureA,
		ocpp16.MeasurandPowerActiveImport:          ocpp16.UnitOfMeasureW,
		ocpp16.MeasurandCurrentOffered:             ocpp16.UnitOfMeasureA,
		ocpp16.MeasurandEnergyActiveImportRegister: ocpp16.UnitOfMeasureWh,
		ocpp16.MeasurandSoC:                        ocpp16.UnitOfMeasurePercent,
	}
	var lastWh, firstW, lastW float64
	for i, mv := range mvs {
		if *mv.TransactionID != tx || mv.ConnectorID != 1 || len(mv.MeterValue) != 1 {
			t.Fatalf("MeterValues #%d = %+v, want connector 1, transaction %d, one meterValue", i, mv, tx)
		}
		for m, unit := range wantUnits {
			_, sv := value(t, mv.MeterValue[0], m)
			if sv.Unit == nil || *sv.Unit != unit || sv.Context == nil || *sv.Context != ocpp16.ReadingContextSamplePeriodic {
				t.Errorf("MeterValues #%d %s: unit %v context %v, want %s, Sample.Periodic", i, m, sv.Unit, sv.Context, unit)
			}
		}
		wh, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandEnergyActiveImportRegister)
		w, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandPowerActiveImport)
		if wh < lastWh || wh < 1000 {
			t.Errorf("energy register went from %v to %v Wh", lastWh, wh)
		}
		lastWh = wh
		if i == 0 {
			firstW = w
		}
		lastW = w
		if v, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandVoltage); v < 220 || v > 240 {
			t.Errorf("voltage = %v V, want about 230", v)
		}
		if a, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandCurrentOffered); a < 31 || a > 33 {
			t.Errorf("Current.Offered = %v A, want 32 (22 kW on 3 phases)", a)
		}
		// The current is reported per phase, one value each.
		var phases []ocpp16.Phase
		for _, sv := range mv.MeterValue[0].SampledValue {
			if deref(sv.Measurand) == ocpp16.MeasurandCurrentImport {
				phases = append(phases, deref(sv.Phase))
			}
		}
		if !slices.Equal(phases, []ocpp16.Phase{ocpp16.PhaseL1, ocpp16.PhaseL2, ocpp16.PhaseL3}) {
			t.Errorf("MeterValues #%d Current.Import phases = %v, want L1, L2, L3", i, phases)
		}
	}
	// The default vehicle takes 16 A on 3 phases: 11040 W of the 22 kW.
	if !(firstW < lastW && lastW <= 11040) {
		t.Errorf("power went from %v W to %v W, want a ramp up to at most 11040", firstW, lastW)
	}
	if st := ch.State(1); st.TransactionID != tx || st.IDTag != "TAG-1" || st.Status != "Charging" || st.EnergyWh <= 1000 {
		t.Errorf("State(1) = %+v, want Charging transaction %d with energy above 1000 Wh", st, tx)
	}

	if r := mustCall[ocpp16.RemoteStopTransactionResponse](t, f, "CP-1", "RemoteStopTransaction",
		&ocpp16.RemoteStopTransactionRequest{TransactionID: 999}); r.Status != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("RemoteStop of an unknown transaction = %s, want Rejected", r.Status)
	}
	if r := mustCall[ocpp16.RemoteStopTransactionResponse](t, f, "CP-1", "RemoteStopTransaction",
		&ocpp16.RemoteStopTransactionRequest{TransactionID: tx}); r.Status != ocpp16.RemoteStartStopStatusAccepted {
		t.Fatalf("RemoteStop = %s, want Accepted", r.Status)
	}
	stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
	if stop.TransactionID != tx || stop.Reason == nil || *stop.Reason != ocpp16.ReasonRemote || stop.MeterStop < int(lastWh)-1 {
		t.Errorf("StopTransaction = %+v, want transaction %d, reason Remote, meterStop >= %v", stop, tx, lastWh)
	}
	if stop.IDTag == nil || *stop.IDTag != "TAG-1" {
		t.Errorf("StopTransaction idTag = %v, want TAG-1", stop.IDTag)
	}
	if len(stop.TransactionData) != 2 {
		t.Fatalf("transactionData has %d entries, want 2 (begin, end)", len(stop.TransactionData))
	}
	for i, want := range []ocpp16.ReadingContext{ocpp16.ReadingContextTransactionBegin, ocpp16.ReadingContextTransactionEnd} {
		v, sv := value(t, stop.TransactionData[i], ocpp16.MeasurandEnergyActiveImportRegister)
		if sv.Context == nil || *sv.Context != want {
			t.Errorf("transactionData[%d] context = %v, want %s", i, sv.Context, want)
		}
		if i == 0 && v != 1000 {
			t.Errorf("transactionData begin = %v Wh, want 1000", v)
		}
	}
	waitFor(t, f, "CP-1", "Finishing", statusIs(1, ocpp16.ChargePointStatusFinishing))
	waitFor(t, f, "CP-1", "Available after the stop", func(r *ocpp16.StatusNotificationRequest) bool {
		return r.ConnectorID == 1 && r.Status == ocpp16.ChargePointStatusAvailable && r.Timestamp.After(stop.Timestamp.Add(-time.Millisecond))
	})
	if st := ch.State(1); st.TransactionID != 0 || st.Status != "Available" {
		t.Errorf("State(1) after stop = %+v, want Available without transaction", st)
	}

	// The register keeps counting across sessions.
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG-2"})
	second := waitFor(t, f, "CP-1", "second StartTransaction", func(r *ocpp16.StartTransactionRequest) bool { return r.IDTag == "TAG-2" })
	if second.MeterStart < stop.MeterStop {
		t.Errorf("second meterStart = %d, want >= previous meterStop %d", second.MeterStart, stop.MeterStop)
	}
}

func TestRemoteStartConnectorChoice(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{Connectors: 2})
	start := func(connector *int) ocpp16.RemoteStartStopStatus {
		return mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
			&ocpp16.RemoteStartTransactionRequest{ConnectorID: connector, IDTag: "TAG"}).Status
	}
	if got := start(intp(7)); got != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("start on connector 7 of 2 = %s, want Rejected", got)
	}
	if got := start(nil); got != ocpp16.RemoteStartStopStatusAccepted {
		t.Fatalf("first start without connector = %s, want Accepted", got)
	}
	if got := start(nil); got != ocpp16.RemoteStartStopStatusAccepted {
		t.Fatalf("second start without connector = %s, want Accepted", got)
	}
	waitCount[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", 2, nil)
	var got []int
	for _, s := range all[ocpp16.StartTransactionRequest](f, "CP-1") {
		got = append(got, s.ConnectorID)
	}
	if !slices.Equal(got, []int{1, 2}) {
		t.Errorf("started on connectors %v, want [1 2]", got)
	}
	if got := start(nil); got != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("start with every connector busy = %s, want Rejected", got)
	}
	if got := start(intp(1)); got != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("start on busy connector 1 = %s, want Rejected", got)
	}
	if st := ch.State(2); st.TransactionID == 0 {
		t.Errorf("State(2) = %+v, want a transaction", st)
	}
}

func TestRemoteStartChargingProfile(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: 50 * time.Millisecond})
	profile := &ocpp16.ChargingProfile{
		ChargingProfileID:      1,
		StackLevel:             0,
		ChargingProfilePurpose: ocpp16.ChargingProfilePurposeTxProfile,
		ChargingProfileKind:    ocpp16.ChargingProfileKindRelative,
		ChargingSchedule: ocpp16.ChargingSchedule{
			ChargingRateUnit:       ocpp16.ChargingRateUnitA,
			ChargingSchedulePeriod: []ocpp16.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 16}},
		},
	}
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG", ChargingProfile: profile})
	const limitW = 16 * 230 * 3
	if st := ch.State(1); st.LimitW != limitW {
		t.Errorf("LimitW = %v, want %v (16 A × 230 V × 3)", st.LimitW, limitW)
	}
	mvs := waitCount[ocpp16.MeterValuesRequest](t, f, "CP-1", "MeterValues", 6, nil)
	for _, mv := range mvs {
		if w, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandPowerActiveImport); w > limitW {
			t.Errorf("power %v W above the profile's %v W", w, limitW)
		}
		if a, _ := value(t, mv.MeterValue[0], ocpp16.MeasurandCurrentOffered); a != 16 {
			t.Errorf("Current.Offered = %v A, want 16", a)
		}
	}
	if w, _ := value(t, mvs[len(mvs)-1].MeterValue[0], ocpp16.MeasurandPowerActiveImport); w != limitW {
		t.Errorf("power after the ramp = %v W, want %v", w, limitW)
	}

	// Only a TxProfile may come with RemoteStartTransaction.
	profile.ChargingProfilePurpose = ocpp16.ChargingProfilePurposeTxDefaultProfile
	if r := mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(2), IDTag: "TAG", ChargingProfile: profile}); r.Status != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("start with a TxDefaultProfile = %s, want Rejected", r.Status)
	}
}

func TestConfiguration(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{MeterValueSampleInterval: 30 * time.Second})
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
	waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
	time.Sleep(300 * time.Millisecond)
	if n := len(all[ocpp16.MeterValuesRequest](f, "CP-1")); n != 0 {
		t.Fatalf("%d MeterValues within 300ms at a 30s interval, want 0", n)
	}

	set := func(key, value string) ocpp16.ConfigurationStatus {
		return mustCall[ocpp16.ChangeConfigurationResponse](t, f, "CP-1", "ChangeConfiguration",
			&ocpp16.ChangeConfigurationRequest{Key: key, Value: value}).Status
	}
	for _, c := range []struct {
		key, value string
		want       ocpp16.ConfigurationStatus
	}{
		{"MeterValueSampleInterval", "1", ocpp16.ConfigurationStatusAccepted},
		{"MeterValueSampleInterval", "soon", ocpp16.ConfigurationStatusRejected},
		{"HeartbeatInterval", "60", ocpp16.ConfigurationStatusAccepted},
		{"MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import", ocpp16.ConfigurationStatusAccepted},
		{"MeterValuesSampledData", "Temperature", ocpp16.ConfigurationStatusRejected},
		{"NumberOfConnectors", "4", ocpp16.ConfigurationStatusRejected},
		{"NoSuchKey", "1", ocpp16.ConfigurationStatusNotSupported},
		{"LocalAuthorizeOffline", "maybe", ocpp16.ConfigurationStatusRejected},
		{"localauthorizeoffline", "true", ocpp16.ConfigurationStatusAccepted},
	} {
		if got := set(c.key, c.value); got != c.want {
			t.Errorf("ChangeConfiguration %s=%q = %s, want %s", c.key, c.value, got, c.want)
		}
	}
	mv := waitFor[ocpp16.MeterValuesRequest](t, f, "CP-1", "MeterValues at the new 1s interval", nil)
	if n := len(mv.MeterValue[0].SampledValue); n != 2 {
		t.Errorf("sampled %d measurands, want the 2 of MeterValuesSampledData", n)
	}

	conf := mustCall[ocpp16.GetConfigurationResponse](t, f, "CP-1", "GetConfiguration",
		&ocpp16.GetConfigurationRequest{Key: []string{"MeterValueSampleInterval", "NumberOfConnectors", "HeartbeatInterval", "Bogus"}})
	got := map[string]string{}
	for _, k := range conf.ConfigurationKey {
		got[k.Key] = *k.Value
		if k.Key == "NumberOfConnectors" && !k.Readonly {
			t.Error("NumberOfConnectors is not read-only")
		}
	}
	if got["MeterValueSampleInterval"] != "1" || got["NumberOfConnectors"] != "2" || got["HeartbeatInterval"] != "60" {
		t.Errorf("GetConfiguration = %v, want MeterValueSampleInterval 1, NumberOfConnectors 2, HeartbeatInterval 60", got)
	}
	if !slices.Equal(conf.UnknownKey, []string{"Bogus"}) {
		t.Errorf("unknownKey = %v, want [Bogus]", conf.UnknownKey)
	}
	every := mustCall[ocpp16.GetConfigurationResponse](t, f, "CP-1", "GetConfiguration", &ocpp16.GetConfigurationRequest{})
	if len(every.ConfigurationKey) < 10 || len(every.UnknownKey) != 0 {
		t.Errorf("GetConfiguration without keys: %d keys, unknown %v; want every known key", len(every.ConfigurationKey), every.UnknownKey)
	}
}

// TestReconnectDeliversOfflineQueue stops the CSMS mid-session: the meter
// values sampled while it was away and the stop arrive after the reconnect
// and the new boot, with the transaction's id.
func TestReconnectDeliversOfflineQueue(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: 50 * time.Millisecond})
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
	waitCount[ocpp16.MeterValuesRequest](t, f, "CP-1", "MeterValues", 2, nil)

	f.setDown(true)
	f.drop("CP-1")
	downAt := time.Now().UTC()
	for ch.Connected() {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)
	ch.Unplug(1) // the session ends while the CSMS is away
	upAt := time.Now().UTC()
	f.setDown(false)

	waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "second BootNotification", 2, nil)
	stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
	if stop.TransactionID != 101 || stop.Reason == nil || *stop.Reason != ocpp16.ReasonEVDisconnected {
		t.Errorf("StopTransaction = %+v, want transaction 101, reason EVDisconnected", stop)
	}
	offline := 0
	for _, mv := range all[ocpp16.MeterValuesRequest](f, "CP-1") {
		ts := mv.MeterValue[0].Timestamp
		if ts.After(downAt) && ts.Before(upAt) {
			offline++
			if mv.TransactionID == nil || *mv.TransactionID != 101 {
				t.Errorf("offline MeterValues transactionId = %v, want 101", mv.TransactionID)
			}
		}
	}
	if offline < 3 {
		t.Errorf("%d meter values sampled while offline were delivered, want at least 3 (400ms at 50ms)", offline)
	}
	// The queue went out after the new boot, before anything newer.
	recs := f.records("CP-1")
	var boots []int
	for _, r := range recs {
		if r.action == "BootNotification" {
			boots = append(boots, r.seq)
		}
	}
	for _, r := range recs {
		if r.action == "StatusNotification" && r.seq > boots[1] {
			stopSeq := -1
			for _, s := range recs {
				if s.action == "StopTransaction" {
					stopSeq = s.seq
				}
			}
			if r.seq < stopSeq {
				t.Errorf("StatusNotification #%d after the reboot went out before the queued StopTransaction #%d", r.seq, stopSeq)
			}
			break
		}
	}
}

// TestOfflineStartPlaceholder loses the StartTransaction answer: the meter
// values queued behind it carry the id the CSMS gives on the retry.
func TestOfflineStartPlaceholder(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: 50 * time.Millisecond})
	dropped := false
	f.setOverride(func(id string, conn *ocppj.Conn, action string, req any) (any, error, bool) {
		if action == "StartTransaction" && !dropped {
			dropped = true
			f.mu.Lock()
			f.down = true
			f.mu.Unlock()
			_ = conn.Close(1001, "crash before answering")
			return nil, errors.New("crashed"), true
		}
		return nil, nil, false
	})
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
	deadline := time.Now().Add(5 * time.Second)
	for ch.State(1).TransactionID >= 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if id := ch.State(1).TransactionID; id >= 0 {
		t.Fatalf("TransactionID while the start is unconfirmed = %d, want a negative placeholder", id)
	}
	time.Sleep(200 * time.Millisecond)
	f.setDown(false)

	starts := waitCount[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction (again)", 2, nil)
	if starts[0].MeterStart != starts[1].MeterStart || !starts[0].Timestamp.Equal(starts[1].Timestamp) {
		t.Errorf("the retried StartTransaction differs: %+v vs %+v", starts[0], starts[1])
	}
	mvs := waitCount[ocpp16.MeterValuesRequest](t, f, "CP-1", "MeterValues", 4, nil)
	for _, mv := range mvs {
		if mv.TransactionID == nil || *mv.TransactionID != 101 {
			t.Errorf("MeterValues transactionId = %v, want 101 (the id given to the retried start)", mv.TransactionID)
		}
	}
	if id := ch.State(1).TransactionID; id != 101 {
		t.Errorf("State(1).TransactionID = %d, want 101", id)
	}
}

func TestInternalErrorIsRetried(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{MeterValueSampleInterval: 50 * time.Millisecond})
	failed := false
	f.setOverride(func(id string, conn *ocppj.Conn, action string, req any) (any, error, bool) {
		if action == "MeterValues" && !failed {
			failed = true
			return nil, ocppj.Errorf(ocppj.InternalError, "database down"), true
		}
		return nil, nil, false
	})
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
	waitCount[ocpp16.MeterValuesRequest](t, f, "CP-1", "MeterValues", 3, nil)
	recs := f.records("CP-1")
	var raws [][]byte
	for _, r := range recs {
		if r.action == "MeterValues" {
			raws = append(raws, r.raw)
		}
	}
	if !bytes.Equal(raws[0], raws[1]) {
		t.Errorf("after InternalError the charger sent\n%s\nwant the same message again:\n%s", raws[1], raws[0])
	}
}

func TestBehaviour(t *testing.T) {
	remoteStart := func(t *testing.T, f *fakeCSMS) ocpp16.RemoteStartStopStatus {
		return mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
			&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"}).Status
	}
	t.Run("RejectRemoteStart", func(t *testing.T) {
		f := newFakeCSMS(t)
		startSim(t, f, sim.Config{Behaviour: sim.Behaviour{RejectRemoteStart: true}})
		if got := remoteStart(t, f); got != ocpp16.RemoteStartStopStatusRejected {
			t.Errorf("RemoteStart = %s, want Rejected", got)
		}
	})
	t.Run("NeverStart", func(t *testing.T) {
		f := newFakeCSMS(t)
		ch := startSim(t, f, sim.Config{Behaviour: sim.Behaviour{NeverStart: true}})
		if got := remoteStart(t, f); got != ocpp16.RemoteStartStopStatusAccepted {
			t.Errorf("RemoteStart = %s, want Accepted", got)
		}
		waitFor(t, f, "CP-1", "Preparing", statusIs(1, ocpp16.ChargePointStatusPreparing))
		time.Sleep(300 * time.Millisecond)
		if n := len(all[ocpp16.StartTransactionRequest](f, "CP-1")); n != 0 {
			t.Errorf("%d StartTransaction, want none", n)
		}
		if st := ch.State(1); st.Status != "Preparing" || st.TransactionID != 0 {
			t.Errorf("State(1) = %+v, want Preparing without transaction", st)
		}
	})
	t.Run("StartBeforeAnswer", func(t *testing.T) {
		f := newFakeCSMS(t)
		startSim(t, f, sim.Config{Behaviour: sim.Behaviour{StartBeforeAnswer: true}})
		// Let the boot's status reports finish: while the RemoteStart handler
		// runs, the charger cannot read the answer to a CALL in flight.
		waitCount[ocpp16.StatusNotificationRequest](t, f, "CP-1", "boot statuses", 3, nil)
		time.Sleep(50 * time.Millisecond)
		if got := remoteStart(t, f); got != ocpp16.RemoteStartStopStatusAccepted {
			t.Errorf("RemoteStart = %s, want Accepted", got)
		}
		// The CSMS reads frames in order: the StartTransaction was handled
		// before the answer to RemoteStart was delivered.
		if n := len(all[ocpp16.StartTransactionRequest](f, "CP-1")); n != 1 {
			t.Errorf("%d StartTransaction before the RemoteStart answer, want 1", n)
		}
	})
	t.Run("DuplicateStart", func(t *testing.T) {
		f := newFakeCSMS(t)
		startSim(t, f, sim.Config{Behaviour: sim.Behaviour{DuplicateStart: true}})
		remoteStart(t, f)
		waitCount[ocpp16.StartTransactionRequest](t, f, "CP-1", "two StartTransaction", 2, nil)
		var raws [][]byte
		for _, r := range f.records("CP-1") {
			if r.action == "StartTransaction" {
				raws = append(raws, r.raw)
			}
		}
		if !bytes.Equal(raws[0], raws[1]) {
			t.Errorf("duplicate StartTransaction payloads differ:\n%s\n%s", raws[0], raws[1])
		}
	})
	t.Run("IgnoreCalls", func(t *testing.T) {
		f := newFakeCSMS(t)
		startSim(t, f, sim.Config{Behaviour: sim.Behaviour{IgnoreCalls: true}})
		_, err := call[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
			&ocpp16.RemoteStartTransactionRequest{IDTag: "TAG"})
		if !errors.Is(err, ocppj.ErrTimeout) {
			t.Errorf("RemoteStart error = %v, want %v", err, ocppj.ErrTimeout)
		}
	})
}

func TestStartRejectedByCSMS(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{})
	f.setOverride(func(id string, conn *ocppj.Conn, action string, req any) (any, error, bool) {
		if action == "StartTransaction" {
			return &ocpp16.StartTransactionResponse{TransactionID: 7, IDTagInfo: ocpp16.IDTagInfo{Status: ocpp16.AuthorizationStatusInvalid}}, nil, true
		}
		return nil, nil, false
	})
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "BAD"})
	stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
	if stop.TransactionID != 7 || stop.Reason == nil || *stop.Reason != ocpp16.ReasonDeAuthorized {
		t.Errorf("StopTransaction = %+v, want transaction 7, reason DeAuthorized", stop)
	}
}

func TestSwipeCardPlugUnplug(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{})
	ch.Plug(2)
	waitFor(t, f, "CP-1", "Preparing", statusIs(2, ocpp16.ChargePointStatusPreparing))
	mustSwipe(t, ch, 2, "RFID-1", "SwipeCard")
	waitFor(t, f, "CP-1", "Authorize", func(r *ocpp16.AuthorizeRequest) bool { return r.IDTag == "RFID-1" })
	start := waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
	if start.ConnectorID != 2 || start.MeterStart != 2000 {
		t.Errorf("StartTransaction = %+v, want connector 2 at 2000 Wh", start)
	}
	ch.SetPower(2, 0)
	waitFor(t, f, "CP-1", "SuspendedEV", statusIs(2, ocpp16.ChargePointStatusSuspendedEV))
	ch.SetPower(2, 7000)
	waitCount(t, f, "CP-1", "Charging again", 2, statusIs(2, ocpp16.ChargePointStatusCharging))
	ch.Unplug(2)
	stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
	if stop.Reason == nil || *stop.Reason != ocpp16.ReasonEVDisconnected {
		t.Errorf("stop reason = %v, want EVDisconnected", stop.Reason)
	}
	waitCount(t, f, "CP-1", "Available after unplug", 2, statusIs(2, ocpp16.ChargePointStatusAvailable))
}

func TestResetReboots(t *testing.T) {
	for _, typ := range []ocpp16.ResetType{ocpp16.ResetTypeSoft, ocpp16.ResetTypeHard} {
		t.Run(string(typ), func(t *testing.T) {
			f := newFakeCSMS(t)
			startSim(t, f, sim.Config{})
			mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
				&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
			waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
			if r := mustCall[ocpp16.ResetResponse](t, f, "CP-1", "Reset", &ocpp16.ResetRequest{Type: typ}); r.Status != ocpp16.ResetStatusAccepted {
				t.Fatalf("Reset = %s, want Accepted", r.Status)
			}
			want := ocpp16.ReasonSoftReset
			if typ == ocpp16.ResetTypeHard {
				want = ocpp16.ReasonHardReset
			}
			stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
			if stop.Reason == nil || *stop.Reason != want || stop.TransactionID != 101 {
				t.Errorf("StopTransaction = %+v, want transaction 101, reason %s", stop, want)
			}
			waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "BootNotification after reset", 2, nil)
		})
	}
}

func TestCommands(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{Connectors: 2})

	// UnlockConnector stops the transaction.
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG"})
	waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
	if r := mustCall[ocpp16.UnlockConnectorResponse](t, f, "CP-1", "UnlockConnector", &ocpp16.UnlockConnectorRequest{ConnectorID: 1}); r.Status != ocpp16.UnlockStatusUnlocked {
		t.Errorf("UnlockConnector 1 = %s, want Unlocked", r.Status)
	}
	stop := waitFor[ocpp16.StopTransactionRequest](t, f, "CP-1", "StopTransaction", nil)
	if stop.Reason == nil || *stop.Reason != ocpp16.ReasonUnlockCommand {
		t.Errorf("stop reason = %v, want UnlockCommand", stop.Reason)
	}
	if r := mustCall[ocpp16.UnlockConnectorResponse](t, f, "CP-1", "UnlockConnector", &ocpp16.UnlockConnectorRequest{ConnectorID: 9}); r.Status != ocpp16.UnlockStatusNotSupported {
		t.Errorf("UnlockConnector 9 = %s, want NotSupported", r.Status)
	}

	// ChangeAvailability: at once when idle, Scheduled during a transaction.
	avail := func(connector int, typ ocpp16.AvailabilityType) ocpp16.AvailabilityStatus {
		return mustCall[ocpp16.ChangeAvailabilityResponse](t, f, "CP-1", "ChangeAvailability",
			&ocpp16.ChangeAvailabilityRequest{ConnectorID: connector, Type: typ}).Status
	}
	if got := avail(2, ocpp16.AvailabilityTypeInoperative); got != ocpp16.AvailabilityStatusAccepted {
		t.Errorf("ChangeAvailability 2 Inoperative = %s, want Accepted", got)
	}
	waitFor(t, f, "CP-1", "Unavailable", statusIs(2, ocpp16.ChargePointStatusUnavailable))
	if r := mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(2), IDTag: "TAG"}); r.Status != ocpp16.RemoteStartStopStatusRejected {
		t.Errorf("RemoteStart on an unavailable connector = %s, want Rejected", r.Status)
	}
	if got := avail(2, ocpp16.AvailabilityTypeOperative); got != ocpp16.AvailabilityStatusAccepted {
		t.Errorf("ChangeAvailability 2 Operative = %s, want Accepted", got)
	}
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(2), IDTag: "TAG"})
	waitCount[ocpp16.StartTransactionRequest](t, f, "CP-1", "second StartTransaction", 2, nil)
	if got := avail(2, ocpp16.AvailabilityTypeInoperative); got != ocpp16.AvailabilityStatusScheduled {
		t.Errorf("ChangeAvailability during a transaction = %s, want Scheduled", got)
	}
	mustCall[ocpp16.RemoteStopTransactionResponse](t, f, "CP-1", "RemoteStopTransaction",
		&ocpp16.RemoteStopTransactionRequest{TransactionID: ch.State(2).TransactionID})
	waitCount(t, f, "CP-1", "Unavailable after the transaction", 2, statusIs(2, ocpp16.ChargePointStatusUnavailable))

	// TriggerMessage.
	trigger := func(m ocpp16.MessageTrigger, connector *int) ocpp16.TriggerMessageStatus {
		return mustCall[ocpp16.TriggerMessageResponse](t, f, "CP-1", "TriggerMessage",
			&ocpp16.TriggerMessageRequest{RequestedMessage: m, ConnectorID: connector}).Status
	}
	beats := len(all[ocpp16.HeartbeatRequest](f, "CP-1"))
	if got := trigger(ocpp16.MessageTriggerHeartbeat, nil); got != ocpp16.TriggerMessageStatusAccepted {
		t.Errorf("trigger Heartbeat = %s, want Accepted", got)
	}
	waitCount[ocpp16.HeartbeatRequest](t, f, "CP-1", "triggered Heartbeat", beats+1, nil)
	trigger(ocpp16.MessageTriggerMeterValues, intp(1))
	waitFor(t, f, "CP-1", "triggered MeterValues", func(r *ocpp16.MeterValuesRequest) bool {
		c := r.MeterValue[0].SampledValue[0].Context
		return c != nil && *c == ocpp16.ReadingContextTrigger && r.ConnectorID == 1
	})
	statuses := len(all[ocpp16.StatusNotificationRequest](f, "CP-1"))
	trigger(ocpp16.MessageTriggerStatusNotification, intp(1))
	waitCount[ocpp16.StatusNotificationRequest](t, f, "CP-1", "triggered StatusNotification", statuses+1, nil)
	trigger(ocpp16.MessageTriggerBootNotification, nil)
	waitCount[ocpp16.BootNotificationRequest](t, f, "CP-1", "triggered BootNotification", 2, nil)
	if got := trigger(ocpp16.MessageTriggerStatusNotification, intp(5)); got != ocpp16.TriggerMessageStatusRejected {
		t.Errorf("trigger for connector 5 = %s, want Rejected", got)
	}

	if r := mustCall[ocpp16.ClearCacheResponse](t, f, "CP-1", "ClearCache", &ocpp16.ClearCacheRequest{}); r.Status != ocpp16.ClearCacheStatusAccepted {
		t.Errorf("ClearCache = %s, want Accepted", r.Status)
	}
	if r := mustCall[ocpp16.DataTransferResponse](t, f, "CP-1", "DataTransfer", &ocpp16.DataTransferRequest{VendorID: "acme"}); r.Status != ocpp16.DataTransferStatusUnknownVendorId {
		t.Errorf("DataTransfer = %s, want UnknownVendorId", r.Status)
	}
	if r := mustCall[ocpp16.InstallCertificateResponse](t, f, "CP-1", "InstallCertificate",
		&ocpp16.InstallCertificateRequest{CertificateType: ocpp16.CertificateUseEnumCentralSystemRootCertificate, Certificate: "x"}); r.Status != ocpp16.InstallCertificateStatusEnumRejected {
		t.Errorf("InstallCertificate of a non-certificate = %s, want Rejected", r.Status)
	}
}

func TestRunFleet(t *testing.T) {
	f := newFakeCSMS(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sim.RunFleet(ctx, sim.Config{URL: f.url(), Logger: testLogger(t, slog.LevelWarn)}, 3, "SIM-")
	}()
	for _, id := range []string{"SIM-0001", "SIM-0002", "SIM-0003"} {
		waitFor[ocpp16.BootNotificationRequest](t, f, id, "BootNotification from "+id, nil)
	}
	stopFleet(t, cancel, done)
}

// stopFleet cancels a RunFleet and checks that it returns nil soon.
func stopFleet(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunFleet = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunFleet did not return after its context was cancelled")
	}
}
