package sim_test

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/sim"
)

// The vehicle model, seen through the meter values a CSMS receives: the
// EV draws the least of its own acceptance, the composite limit of the
// installed profiles and the outlet's maximum.

// reading is a 1.6 meter value reduced to what these tests check.
type reading struct {
	at       time.Time
	powerW   float64
	currentA [3]float64 // Current.Import on L1, L2, L3
	offeredA float64
	socPct   float64
}

// readingOf parses mv, failing the test if its currents are not per phase
// or its SoC is not the EV's in percent.
func readingOf(t *testing.T, mv ocpp16.MeterValue) reading {
	t.Helper()
	r := reading{at: mv.Timestamp}
	r.powerW, _ = value(t, mv, ocpp16.MeasurandPowerActiveImport)
	r.offeredA, _ = value(t, mv, ocpp16.MeasurandCurrentOffered)
	soc, sv := value(t, mv, ocpp16.MeasurandSoC)
	if deref(sv.Location) != ocpp16.LocationEV || deref(sv.Unit) != ocpp16.UnitOfMeasurePercent {
		t.Errorf("SoC location %v unit %v, want EV, Percent", deref(sv.Location), deref(sv.Unit))
	}
	r.socPct = soc
	phases := 0
	for _, sv := range mv.SampledValue {
		if deref(sv.Measurand) != ocpp16.MeasurandCurrentImport {
			continue
		}
		i := map[ocpp16.Phase]int{ocpp16.PhaseL1: 0, ocpp16.PhaseL2: 1, ocpp16.PhaseL3: 2}
		n, ok := i[deref(sv.Phase)]
		if !ok {
			t.Fatalf("Current.Import with phase %q, want L1, L2 or L3", deref(sv.Phase))
		}
		r.currentA[n] = parse(t, sv.Value)
		phases++
	}
	if phases != 3 {
		t.Fatalf("%d Current.Import values, want one per phase", phases)
	}
	return r
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("value %q: %v", s, err)
	}
	return v
}

// readings returns connector 1's periodic samples of the running
// transaction so far.
func readings(t *testing.T, f *fakeCSMS) []reading {
	t.Helper()
	var out []reading
	for _, mv := range all[ocpp16.MeterValuesRequest](f, "CP-1") {
		if mv.ConnectorID == 1 && mv.TransactionID != nil {
			out = append(out, readingOf(t, mv.MeterValue[0]))
		}
	}
	return out
}

// waitReading waits for a sample of connector 1 that satisfies pred.
func waitReading(t *testing.T, f *fakeCSMS, what string, pred func(reading) bool) reading {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		for _, r := range readings(t, f) {
			if pred(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; samples: %+v", what, readings(t, f))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.05 }

// amps is a 1.6 TxProfile (Relative) in A with the given periods, each
// {startPeriod, limit}.
func amps(id int, purpose ocpp16.ChargingProfilePurpose, periods ...[2]float64) ocpp16.ChargingProfile {
	p := ocpp16.ChargingProfile{ChargingProfileID: id, ChargingProfilePurpose: purpose, ChargingProfileKind: ocpp16.ChargingProfileKindRelative,
		ChargingSchedule: ocpp16.ChargingSchedule{ChargingRateUnit: ocpp16.ChargingRateUnitA}}
	for _, per := range periods {
		p.ChargingSchedule.ChargingSchedulePeriod = append(p.ChargingSchedule.ChargingSchedulePeriod,
			ocpp16.ChargingSchedulePeriod{StartPeriod: int(per[0]), Limit: per[1]})
	}
	return p
}

func setProfile(t *testing.T, f *fakeCSMS, connector int, p ocpp16.ChargingProfile) {
	t.Helper()
	r := mustCall[ocpp16.SetChargingProfileResponse](t, f, "CP-1", "SetChargingProfile",
		&ocpp16.SetChargingProfileRequest{ConnectorID: connector, CsChargingProfiles: p})
	if r.Status != ocpp16.ChargingProfileStatusAccepted {
		t.Fatalf("SetChargingProfile %d = %s, want Accepted", p.ChargingProfileID, r.Status)
	}
}

// remoteStart starts a transaction on connector 1 with profile (may be nil).
func remoteStart(t *testing.T, f *fakeCSMS, profile *ocpp16.ChargingProfile) {
	t.Helper()
	r := mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: intp(1), IDTag: "TAG", ChargingProfile: profile})
	if r.Status != ocpp16.RemoteStartStopStatusAccepted {
		t.Fatalf("RemoteStart = %s, want Accepted", r.Status)
	}
	waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil)
}

const fast = 50 * time.Millisecond // meter interval: the ramp takes 150 ms

func TestVehicleThreePhaseUnderTxProfile(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	p := amps(1, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 10})
	remoteStart(t, f, &p)

	r := waitReading(t, f, "6900 W", func(r reading) bool { return near(r.powerW, 6900) })
	if r.currentA != [3]float64{10, 10, 10} || r.offeredA != 10 {
		t.Errorf("currents %v offered %v A, want 10 A on each phase, 10 offered", r.currentA, r.offeredA)
	}
	if r.socPct < 30 || r.socPct > 31 {
		t.Errorf("SoC = %v %%, want just above 30", r.socPct)
	}
	vs, ok := ch.VehicleState(1)
	if !ok || vs.PhasesUsed != 3 || vs.CurrentA != [3]float64{10, 10, 10} || vs.PowerW != 6900 || vs.Status != "Charging" ||
		vs.Vehicle != sim.DefaultVehicle() || vs.SoCPercent <= 30 || vs.EnergyWh <= 0 {
		t.Errorf("VehicleState(1) = %+v, %v; want the default vehicle charging at 10 A on 3 phases", vs, ok)
	}
	// The state of charge follows the energy: 60 kWh per 100 %.
	if want := 30 + vs.EnergyWh/60000*100; math.Abs(vs.SoCPercent-want) > 1e-9 {
		t.Errorf("SoC = %v %%, want %v for %v Wh", vs.SoCPercent, want, vs.EnergyWh)
	}
	if _, ok := ch.VehicleState(2); ok {
		t.Error("VehicleState(2) ok without a transaction")
	}
}

func TestVehicleOnePhase(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	ev := sim.DefaultVehicle()
	ev.Phases = 1
	for _, bad := range []sim.Vehicle{{CapacityWh: 1, MaxA: 16, Phases: 2}, {MaxA: 16, Phases: 1}, {CapacityWh: 1, Phases: 3}} {
		if err := ch.SetVehicle(1, bad); err == nil {
			t.Errorf("SetVehicle(%+v) = nil, want an error", bad)
		}
	}
	if err := ch.SetVehicle(9, ev); err == nil {
		t.Error("SetVehicle(9) = nil, want an error (no such connector)")
	}
	if err := ch.SetVehicle(1, ev); err != nil {
		t.Fatal(err)
	}
	p := amps(1, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 16})
	remoteStart(t, f, &p)

	r := waitReading(t, f, "3680 W", func(r reading) bool { return near(r.powerW, 3680) })
	if r.currentA != [3]float64{16, 0, 0} {
		t.Errorf("currents %v, want 16 A on L1 only", r.currentA)
	}
	if vs, _ := ch.VehicleState(1); vs.PhasesUsed != 1 || vs.CurrentA != [3]float64{16, 0, 0} {
		t.Errorf("VehicleState(1) = %+v, want 16 A on L1, 1 phase used", vs)
	}
}

func TestVehicleTxProfileExpiresToDefault(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	setProfile(t, f, 0, amps(1, ocpp16.ChargingProfilePurposeTxDefaultProfile, [2]float64{0, 8}))
	remoteStart(t, f, nil)
	waitReading(t, f, "8 A from the TxDefaultProfile", func(r reading) bool { return r.currentA[0] == 8 })

	tx := amps(2, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 12})
	validTo := time.Now().Add(1500 * time.Millisecond).UTC()
	tx.ValidTo = &validTo
	setProfile(t, f, 1, tx)
	waitReading(t, f, "12 A from the TxProfile", func(r reading) bool { return r.currentA[0] == 12 && r.offeredA == 12 })
	back := waitReading(t, f, "8 A again after validTo", func(r reading) bool { return r.currentA[0] == 8 && r.at.After(validTo) })
	if back.offeredA != 8 {
		t.Errorf("Current.Offered = %v A after validTo, want the default's 8", back.offeredA)
	}
	if st := ch.State(1); st.LimitW != 8*230*3 {
		t.Errorf("LimitW = %v, want %v", st.LimitW, 8*230*3)
	}
}

func TestVehicleTwoPeriodSchedule(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	p := amps(1, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 16}, [2]float64{2, 8})
	remoteStart(t, f, &p)
	start := waitFor[ocpp16.StartTransactionRequest](t, f, "CP-1", "StartTransaction", nil).Timestamp

	first := waitReading(t, f, "16 A in the first period", func(r reading) bool { return r.currentA[2] == 16 })
	second := waitReading(t, f, "8 A in the second period", func(r reading) bool { return r.currentA[2] == 8 })
	boundary := start.Add(2 * time.Second)
	if first.at.After(boundary) || second.at.Before(boundary) {
		t.Errorf("16 A at %v, 8 A at %v; want the change at %v (2 s after the start)", first.at, second.at, boundary)
	}
	if second.at.Sub(boundary) > time.Second {
		t.Errorf("8 A first sampled %v after the boundary, want within a second", second.at.Sub(boundary))
	}
}

func TestVehicleSuspendedEVSEBelowMinimum(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	remoteStart(t, f, nil)
	waitFor(t, f, "CP-1", "Charging", statusIs(1, ocpp16.ChargePointStatusCharging))

	setProfile(t, f, 1, amps(7, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 5}))
	susp := waitFor(t, f, "CP-1", "SuspendedEVSE under 5 A", statusIs(1, ocpp16.ChargePointStatusSuspendedEVSE))
	r := waitReading(t, f, "a sample after the suspension", func(r reading) bool { return r.at.After(*susp.Timestamp) })
	if r.powerW != 0 || r.currentA != [3]float64{} || r.offeredA != 5 {
		t.Errorf("suspended sample = %+v, want 0 W, 0 A, 5 A offered", r)
	}
	if vs, _ := ch.VehicleState(1); vs.Status != "SuspendedEVSE" || vs.PowerW != 0 {
		t.Errorf("VehicleState(1) = %+v, want SuspendedEVSE at 0 W", vs)
	}

	setProfile(t, f, 1, amps(7, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 6}))
	resumed := waitFor(t, f, "CP-1", "Charging again at 6 A", func(r *ocpp16.StatusNotificationRequest) bool {
		return statusIs(1, ocpp16.ChargePointStatusCharging)(r) && r.Timestamp.After(*susp.Timestamp)
	})
	waitReading(t, f, "6 A per phase", func(r reading) bool { return r.at.After(*resumed.Timestamp) && r.currentA == [3]float64{6, 6, 6} })
}

func TestVehicleFullBatteryTapersAndStops(t *testing.T) {
	f := newFakeCSMS(t)
	// 20 Wh at 90 %: 2 Wh to go, about 1.5 s at the taper's 4–5.5 kW.
	ev := sim.Vehicle{CapacityWh: 20, SoCPercent: 90, MaxA: 16, Phases: 3}
	ch := startSim(t, f, sim.Config{MeterValueSampleInterval: fast, Vehicle: ev})
	remoteStart(t, f, nil)

	full := waitFor(t, f, "CP-1", "SuspendedEV when full", statusIs(1, ocpp16.ChargePointStatusSuspendedEV))
	vs, ok := ch.VehicleState(1)
	if !ok || vs.SoCPercent != 100 || vs.PowerW != 0 || vs.Status != "SuspendedEV" || math.Abs(vs.EnergyWh-2) > 1e-6 {
		t.Errorf("VehicleState(1) = %+v, want full at 100 %%, 0 W, 2 Wh delivered", vs)
	}
	// At 90 % the battery takes half its 11 kW, less as it fills, and
	// never below the 6 A minimum (4140 W) until full.
	var peak, prevSoC float64
	ramped := false
	for _, r := range readings(t, f) {
		if r.at.After(*full.Timestamp) || r.socPct == 100 {
			break // full (the status follows within a tick)
		}
		if r.socPct < prevSoC {
			t.Errorf("SoC went back from %v to %v", prevSoC, r.socPct)
		}
		prevSoC = r.socPct
		if r.powerW < peak {
			ramped = true // past the ramp: the taper only lowers it
		}
		if ramped && (r.powerW > peak || r.powerW < 4140-1) {
			t.Errorf("power %v W at %v %% after a peak of %v: want it tapering, not below 4140", r.powerW, r.socPct, peak)
		}
		peak = max(peak, r.powerW)
	}
	if peak > 5520+1 || peak < 4140 || !ramped {
		t.Errorf("peak power %v W (tapering seen: %v), want the taper's at most 5520 (half of 11040), at least 4140, then less", peak, ramped)
	}
	after := waitReading(t, f, "a sample when full", func(r reading) bool { return r.at.After(*full.Timestamp) })
	if after.powerW != 0 || after.socPct != 100 {
		t.Errorf("sample when full = %+v, want 0 W at 100 %%", after)
	}
}

func TestVehicleChargePointMaxCaps(t *testing.T) {
	f := newFakeCSMS(t)
	startSim(t, f, sim.Config{MeterValueSampleInterval: fast})
	// 6900 W for the whole charger: 10 A on each of 3 phases, though the
	// TxProfile allows 16.
	cpMax := amps(1, ocpp16.ChargingProfilePurposeChargePointMaxProfile, [2]float64{0, 6900})
	cpMax.ChargingSchedule.ChargingRateUnit = ocpp16.ChargingRateUnitW
	setProfile(t, f, 0, cpMax)
	p := amps(2, ocpp16.ChargingProfilePurposeTxProfile, [2]float64{0, 16})
	remoteStart(t, f, &p)
	r := waitReading(t, f, "6900 W", func(r reading) bool { return near(r.powerW, 6900) })
	if r.currentA != [3]float64{10, 10, 10} || r.offeredA != 10 {
		t.Errorf("currents %v offered %v, want 10 A each, 10 offered", r.currentA, r.offeredA)
	}
	time.Sleep(4 * fast) // the ramp is over: the power stays capped
	for _, r := range readings(t, f) {
		if r.powerW > 6900 {
			t.Errorf("power %v W above the charger's 6900 W maximum", r.powerW)
		}
	}
}

func TestV201NumberOfPhasesUsed(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{MeterValueSampleInterval: fast})
	if got := requestStart201(t, f, 1, 1); got != ocpp201.RequestStartStopStatusEnumAccepted {
		t.Fatalf("RequestStartTransaction = %s", got)
	}
	started := waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
	if deref(started.NumberOfPhasesUsed) != 3 {
		t.Errorf("Started numberOfPhasesUsed = %v, want 3", started.NumberOfPhasesUsed)
	}
	// A period that allows one phase: an Updated says so, and the SoC is
	// reported from the EV.
	one := ocpp201.ChargingProfile{ID: 9, ChargingProfilePurpose: ocpp201.ChargingProfilePurposeEnumTxProfile,
		ChargingProfileKind: ocpp201.ChargingProfileKindEnumRelative, TransactionID: &started.TransactionInfo.TransactionID,
		ChargingSchedule: []ocpp201.ChargingSchedule{{ID: 1, ChargingRateUnit: ocpp201.ChargingRateUnitEnumA,
			ChargingSchedulePeriod: []ocpp201.ChargingSchedulePeriod{{StartPeriod: 0, Limit: 16, NumberPhases: intp(1)}}}}}
	if r := mustCall[ocpp201.SetChargingProfileResponse](t, f, "CP-1", "SetChargingProfile",
		&ocpp201.SetChargingProfileRequest{EvseID: 1, ChargingProfile: one}); r.Status != ocpp201.ChargingProfileStatusEnumAccepted {
		t.Fatalf("SetChargingProfile = %s", r.Status)
	}
	upd := waitFor(t, f, "CP-1", "Updated with 1 phase", func(r *ocpp201.TransactionEventRequest) bool {
		return r.EventType == ocpp201.TransactionEventEnumUpdated && r.NumberOfPhasesUsed != nil
	})
	if *upd.NumberOfPhasesUsed != 1 {
		t.Errorf("Updated numberOfPhasesUsed = %d, want 1", *upd.NumberOfPhasesUsed)
	}
	withPhases := 0
	for _, ev := range all[ocpp201.TransactionEventRequest](f, "CP-1") {
		if ev.NumberOfPhasesUsed != nil {
			withPhases++
		}
	}
	if withPhases != 2 {
		t.Errorf("%d events carry numberOfPhasesUsed, want 2 (Started, and the change)", withPhases)
	}
	mv := waitFor(t, f, "CP-1", "an Updated at 3680 W", func(r *ocpp201.TransactionEventRequest) bool {
		return len(r.MeterValue) == 1 && hasValue(r.MeterValue[0], ocpp201.MeasurandEnumPowerActiveImport, 3680)
	}).MeterValue[0]
	var l [3]float64
	index := map[ocpp201.PhaseEnum]int{ocpp201.PhaseEnumL1: 0, ocpp201.PhaseEnumL2: 1, ocpp201.PhaseEnumL3: 2}
	for _, sv := range mv.SampledValue {
		if deref(sv.Measurand) == ocpp201.MeasurandEnumCurrentImport {
			i, ok := index[deref(sv.Phase)]
			if !ok {
				t.Fatalf("2.0.1 Current.Import phase %v, want L1, L2 or L3", sv.Phase)
			}
			l[i] = sv.Value
		}
	}
	if l != [3]float64{16, 0, 0} {
		t.Errorf("2.0.1 Current.Import per phase = %v, want 16 A on L1 only", l)
	}
	soc := sampled(t, mv, ocpp201.MeasurandEnumSoC)
	if deref(soc.Location) != ocpp201.LocationEnumEV || soc.UnitOfMeasure == nil || deref(soc.UnitOfMeasure.Unit) != "Percent" || soc.Value < 30 {
		t.Errorf("2.0.1 SoC = %+v, want >= 30 Percent at the EV", soc)
	}
	if vs, _ := ch.VehicleState(1); vs.PhasesUsed != 1 {
		t.Errorf("VehicleState(1).PhasesUsed = %d, want 1", vs.PhasesUsed)
	}
}

func TestV201DCOmitsPhases(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{Kind: sim.KindDC, MeterValueSampleInterval: fast})
	if got := requestStart201(t, f, 2, 1); got != ocpp201.RequestStartStopStatusEnumAccepted {
		t.Fatalf("RequestStartTransaction = %s", got)
	}
	started := waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
	if started.NumberOfPhasesUsed != nil {
		t.Errorf("DC Started numberOfPhasesUsed = %d, want none", *started.NumberOfPhasesUsed)
	}
	// The CHAdeMO cable's 50 kW, which the default vehicle takes at 30 %.
	waitFor(t, f, "CP-1", "an Updated at 50 kW", func(r *ocpp201.TransactionEventRequest) bool {
		return len(r.MeterValue) == 1 && hasValue(r.MeterValue[0], ocpp201.MeasurandEnumPowerActiveImport, 50000)
	})
	if vs, _ := ch.VehicleState(2); vs.PhasesUsed != 0 || vs.CurrentA != [3]float64{125, 0, 0} {
		t.Errorf("VehicleState(2) = %+v, want no phases, 125 A DC", vs)
	}
}

func hasValue(mv ocpp201.MeterValue, m ocpp201.MeasurandEnum, v float64) bool {
	for _, sv := range mv.SampledValue {
		if deref(sv.Measurand) == m && sv.Value == v {
			return true
		}
	}
	return false
}
