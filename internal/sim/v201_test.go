package sim_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/sim"
)

// newFakeCSMS201 is a fake CSMS that speaks OCPP 2.0.1 and validates every
// CALL against the 2.0.1 schema.
func newFakeCSMS201(t *testing.T) *fakeCSMS {
	f := newFakeCSMS(t)
	f.proto = sim.OCPP201
	return f
}

func decodeRequest(proto, action string, payload []byte) (any, *ocppj.Error) {
	if proto == sim.OCPP201 {
		return ocpp201.DecodeRequest(action, payload)
	}
	return ocpp16.DecodeRequest(action, payload)
}

func decodeResponse(proto, action string, payload []byte) (any, *ocppj.Error) {
	if proto == sim.OCPP201 {
		return ocpp201.DecodeResponse(action, payload)
	}
	return ocpp16.DecodeResponse(action, payload)
}

// answer201 is the default answer to a 2.0.1 CALL.
func (f *fakeCSMS) answer201(action string, req any) (any, error) {
	now := time.Now().UTC()
	accepted := ocpp201.IDTokenInfo{Status: ocpp201.AuthorizationStatusEnumAccepted}
	switch r := req.(type) {
	case *ocpp201.BootNotificationRequest:
		status := ocpp201.RegistrationStatusEnum(f.nextBootStatus())
		return &ocpp201.BootNotificationResponse{Status: status, CurrentTime: now, Interval: 1}, nil
	case *ocpp201.HeartbeatRequest:
		return &ocpp201.HeartbeatResponse{CurrentTime: now}, nil
	case *ocpp201.StatusNotificationRequest:
		return &ocpp201.StatusNotificationResponse{}, nil
	case *ocpp201.AuthorizeRequest:
		return &ocpp201.AuthorizeResponse{IDTokenInfo: accepted}, nil
	case *ocpp201.TransactionEventRequest:
		resp := &ocpp201.TransactionEventResponse{}
		if r.IDToken != nil {
			resp.IDTokenInfo = &accepted
		}
		return resp, nil
	case *ocpp201.MeterValuesRequest:
		return &ocpp201.MeterValuesResponse{}, nil
	case *ocpp201.NotifyReportRequest:
		return &ocpp201.NotifyReportResponse{}, nil
	case *ocpp201.FirmwareStatusNotificationRequest:
		return &ocpp201.FirmwareStatusNotificationResponse{}, nil
	case *ocpp201.LogStatusNotificationRequest:
		return &ocpp201.LogStatusNotificationResponse{}, nil
	case *ocpp201.SecurityEventNotificationRequest:
		return &ocpp201.SecurityEventNotificationResponse{}, nil
	case *ocpp201.SignCertificateRequest:
		return &ocpp201.SignCertificateResponse{Status: ocpp201.GenericStatusEnumAccepted}, nil
	}
	return nil, ocppj.Errorf(ocppj.NotSupported, "fake CSMS does not handle %s", action)
}

// startSim201 runs a 2.0.1 charger against f and waits for its boot.
func startSim201(t *testing.T, f *fakeCSMS, cfg sim.Config) *sim.Charger {
	t.Helper()
	cfg.OCPPVersion = sim.OCPP201
	return startSim(t, f, cfg)
}

func evStatus(evse int, s ocpp201.ConnectorStatusEnum) func(*ocpp201.StatusNotificationRequest) bool {
	return func(r *ocpp201.StatusNotificationRequest) bool { return r.EvseID == evse && r.ConnectorStatus == s }
}

func txEvent(typ ocpp201.TransactionEventEnum) func(*ocpp201.TransactionEventRequest) bool {
	return func(r *ocpp201.TransactionEventRequest) bool { return r.EventType == typ }
}

// sampled returns the sampled value of measurand m in mv.
func sampled(t *testing.T, mv ocpp201.MeterValue, m ocpp201.MeasurandEnum) ocpp201.SampledValue {
	t.Helper()
	for _, sv := range mv.SampledValue {
		if sv.Measurand != nil && *sv.Measurand == m {
			return sv
		}
	}
	t.Fatalf("no %s in %+v", m, mv)
	return ocpp201.SampledValue{}
}

func requestStart201(t *testing.T, f *fakeCSMS, evse, remoteStartID int) ocpp201.RequestStartStopStatusEnum {
	t.Helper()
	return mustCall[ocpp201.RequestStartTransactionResponse](t, f, "CP-1", "RequestStartTransaction",
		&ocpp201.RequestStartTransactionRequest{
			EvseID:        intp(evse),
			RemoteStartID: remoteStartID,
			IDToken:       ocpp201.IDToken{IDToken: "TOKEN-1", Type: ocpp201.IDTokenEnumCentral},
		}).Status
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestV201BootAndStatus(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{ID: "CP-1", Connectors: 2})

	boot := waitFor[ocpp201.BootNotificationRequest](t, f, "CP-1", "BootNotification", nil)
	cs := boot.ChargingStation
	if cs.VendorName != "Joule" || cs.Model != "Sim-22" || deref(cs.SerialNumber) != "SN-CP-1" || deref(cs.FirmwareVersion) != "1.0.0" {
		t.Errorf("chargingStation = %+v, want Joule, Sim-22, SN-CP-1, 1.0.0", cs)
	}
	if boot.Reason != ocpp201.BootReasonEnumPowerUp {
		t.Errorf("reason = %s, want PowerUp", boot.Reason)
	}
	for evse := 1; evse <= 2; evse++ {
		st := waitFor(t, f, "CP-1", "StatusNotification Available", evStatus(evse, ocpp201.ConnectorStatusEnumAvailable))
		if st.ConnectorID != 1 || st.Timestamp.Location() != time.UTC {
			t.Errorf("EVSE %d: connectorId %d, timestamp %v; want 1 and a UTC time", evse, st.ConnectorID, st.Timestamp)
		}
	}
	waitFor[ocpp201.HeartbeatRequest](t, f, "CP-1", "Heartbeat", nil)
	for _, st := range all[ocpp201.StatusNotificationRequest](f, "CP-1") {
		if st.EvseID < 1 || st.EvseID > 2 {
			t.Errorf("StatusNotification for EVSE %d, want 1 or 2 only", st.EvseID)
		}
	}
	if got := ch.Version(); got != sim.OCPP201 {
		t.Errorf("Version() = %q, want %q", got, sim.OCPP201)
	}
	if got := ch.State(1); got.Status != "Available" || got.EnergyWh != 1000 || got.TxID != "" {
		t.Errorf("State(1) = %+v, want Available at 1000 Wh, no transaction", got)
	}
}

func TestV201RemoteStartUpdatedRemoteStop(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{MeterValueSampleInterval: 100 * time.Millisecond})

	if got := requestStart201(t, f, 1, 42); got != ocpp201.RequestStartStopStatusEnumAccepted {
		t.Fatalf("RequestStartTransaction = %s, want Accepted", got)
	}
	started := waitFor(t, f, "CP-1", "TransactionEvent Started", txEvent(ocpp201.TransactionEventEnumStarted))
	ti := started.TransactionInfo
	if started.TriggerReason != ocpp201.TriggerReasonEnumRemoteStart || started.SeqNo != 0 ||
		!uuidRE.MatchString(ti.TransactionID) || deref(ti.RemoteStartID) != 42 ||
		deref(ti.ChargingState) != ocpp201.ChargingStateEnumCharging {
		t.Errorf("Started = %s, want RemoteStart, seqNo 0, a UUID, remoteStartId 42, Charging", mustJSON(t, started))
	}
	if started.IDToken == nil || started.IDToken.IDToken != "TOKEN-1" || started.IDToken.Type != ocpp201.IDTokenEnumCentral {
		t.Errorf("Started idToken = %+v, want TOKEN-1 Central", started.IDToken)
	}
	if started.Evse == nil || started.Evse.ID != 1 || deref(started.Evse.ConnectorID) != 1 {
		t.Errorf("Started evse = %+v, want {1, 1}", started.Evse)
	}
	if len(started.MeterValue) != 1 {
		t.Fatalf("Started meterValue = %+v, want one", started.MeterValue)
	}
	begin := sampled(t, started.MeterValue[0], ocpp201.MeasurandEnumEnergyActiveImportRegister)
	if begin.Value != 1000 || deref(begin.Context) != ocpp201.ReadingContextEnumTransactionBegin {
		t.Errorf("Started energy = %v (%v), want 1000 Transaction.Begin", begin.Value, deref(begin.Context))
	}
	waitFor(t, f, "CP-1", "Occupied", evStatus(1, ocpp201.ConnectorStatusEnumOccupied))
	id := ti.TransactionID
	if st := ch.State(1); st.TxID != id || st.Status != "Occupied" || st.ChargingState != "Charging" {
		t.Errorf("State(1) = %+v, want transaction %s, Occupied, Charging", st, id)
	}

	updated := waitCount(t, f, "CP-1", "TransactionEvent Updated", 4, txEvent(ocpp201.TransactionEventEnumUpdated))
	wantUnits := map[ocpp201.MeasurandEnum]string{
		ocpp201.MeasurandEnumVoltage:                    "V",
		ocpp201.MeasurandEnumCurrentImport:              "A",
		ocpp201.MeasurandEnumPowerActiveImport:          "W",
		ocpp201.MeasurandEnumCurrentOffered:             "A",
		ocpp201.MeasurandEnumEnergyActiveImportRegister: "Wh",
		ocpp201.MeasurandEnumSoC:                        "Percent",
	}
	lastWh := begin.Value
	for i, u := range updated {
		if u.TransactionInfo.TransactionID != id || u.SeqNo != i+1 || u.TriggerReason != ocpp201.TriggerReasonEnumMeterValuePeriodic ||
			deref(u.TransactionInfo.ChargingState) != ocpp201.ChargingStateEnumCharging || len(u.MeterValue) != 1 {
			t.Fatalf("Updated #%d = %s, want transaction %s, seqNo %d, MeterValuePeriodic, Charging, one meterValue", i, mustJSON(t, u), id, i+1)
		}
		for m, unit := range wantUnits {
			sv := sampled(t, u.MeterValue[0], m)
			if sv.UnitOfMeasure == nil || deref(sv.UnitOfMeasure.Unit) != unit || deref(sv.Context) != ocpp201.ReadingContextEnumSamplePeriodic {
				t.Errorf("Updated #%d %s: unitOfMeasure %+v context %v, want %s, Sample.Periodic", i, m, sv.UnitOfMeasure, deref(sv.Context), unit)
			}
		}
		wh := sampled(t, u.MeterValue[0], ocpp201.MeasurandEnumEnergyActiveImportRegister).Value
		if wh < lastWh {
			t.Errorf("Updated #%d energy %v < previous %v: the register must not go back", i, wh, lastWh)
		}
		lastWh = wh
	}
	if w := sampled(t, updated[len(updated)-1].MeterValue[0], ocpp201.MeasurandEnumPowerActiveImport).Value; w <= 0 {
		t.Errorf("power after %d samples = %v W, want > 0", len(updated), w)
	}

	// The EV pauses: chargingState changes are reported as they happen.
	ch.SetPower(1, 0)
	waitFor(t, f, "CP-1", "ChargingStateChanged", func(r *ocpp201.TransactionEventRequest) bool {
		return r.TriggerReason == ocpp201.TriggerReasonEnumChargingStateChanged &&
			deref(r.TransactionInfo.ChargingState) == ocpp201.ChargingStateEnumSuspendedEV
	})
	ch.SetPower(1, 22000)

	// A stop for an unknown transaction is rejected.
	if got := mustCall[ocpp201.RequestStopTransactionResponse](t, f, "CP-1", "RequestStopTransaction",
		&ocpp201.RequestStopTransactionRequest{TransactionID: "nope"}); got.Status != ocpp201.RequestStartStopStatusEnumRejected {
		t.Errorf("RequestStop(unknown) = %s, want Rejected", got.Status)
	}
	gts := mustCall[ocpp201.GetTransactionStatusResponse](t, f, "CP-1", "GetTransactionStatus",
		&ocpp201.GetTransactionStatusRequest{TransactionID: &id})
	if !deref(gts.OngoingIndicator) {
		t.Errorf("GetTransactionStatus(%s) ongoingIndicator = %v, want true", id, gts.OngoingIndicator)
	}

	if got := mustCall[ocpp201.RequestStopTransactionResponse](t, f, "CP-1", "RequestStopTransaction",
		&ocpp201.RequestStopTransactionRequest{TransactionID: id}); got.Status != ocpp201.RequestStartStopStatusEnumAccepted {
		t.Fatalf("RequestStop = %s, want Accepted", got.Status)
	}
	ended := waitFor(t, f, "CP-1", "TransactionEvent Ended", txEvent(ocpp201.TransactionEventEnumEnded))
	if ended.TriggerReason != ocpp201.TriggerReasonEnumRemoteStop || deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumRemote ||
		ended.TransactionInfo.TransactionID != id {
		t.Errorf("Ended = %s, want RemoteStop, stoppedReason Remote, transaction %s", mustJSON(t, ended), id)
	}
	end := sampled(t, ended.MeterValue[0], ocpp201.MeasurandEnumEnergyActiveImportRegister)
	if end.Value < lastWh || deref(end.Context) != ocpp201.ReadingContextEnumTransactionEnd {
		t.Errorf("Ended energy = %v (%v), want >= %v, Transaction.End", end.Value, deref(end.Context), lastWh)
	}
	// seqNo runs without gaps from 0 to Ended.
	var seqs []int
	for _, ev := range all[ocpp201.TransactionEventRequest](f, "CP-1") {
		seqs = append(seqs, ev.SeqNo)
	}
	for i, s := range seqs {
		if s != i {
			t.Fatalf("seqNos = %v, want 0, 1, 2, ... without gaps", seqs)
		}
	}
	waitFor(t, f, "CP-1", "Available after the stop", func(r *ocpp201.StatusNotificationRequest) bool {
		return r.EvseID == 1 && r.ConnectorStatus == ocpp201.ConnectorStatusEnumAvailable && r.Timestamp.After(ended.Timestamp.Add(-time.Millisecond))
	})
	if st := ch.State(1); st.TxID != "" || st.Status != "Available" {
		t.Errorf("State(1) after stop = %+v, want Available without transaction", st)
	}
}

func TestV201UnplugAndSwipeCard(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{})

	ch.Plug(2)
	waitFor(t, f, "CP-1", "Occupied on plug", evStatus(2, ocpp201.ConnectorStatusEnumOccupied))
	mustSwipe(t, ch, 2, "CARD-7", "SwipeCard")
	auth := waitFor[ocpp201.AuthorizeRequest](t, f, "CP-1", "Authorize", nil)
	if auth.IDToken.IDToken != "CARD-7" || auth.IDToken.Type != ocpp201.IDTokenEnumISO14443 {
		t.Errorf("Authorize idToken = %+v, want CARD-7 ISO14443", auth.IDToken)
	}
	started := waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
	if started.TriggerReason != ocpp201.TriggerReasonEnumAuthorized || started.TransactionInfo.RemoteStartID != nil ||
		started.Evse == nil || started.Evse.ID != 2 {
		t.Errorf("Started = %s, want triggerReason Authorized on EVSE 2 without remoteStartId", mustJSON(t, started))
	}
	// The same card again stops it.
	mustSwipe(t, ch, 2, "CARD-7", "second SwipeCard")
	ended := waitFor(t, f, "CP-1", "Ended", txEvent(ocpp201.TransactionEventEnumEnded))
	if ended.TriggerReason != ocpp201.TriggerReasonEnumStopAuthorized || deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumLocal {
		t.Errorf("Ended = %s, want StopAuthorized, Local", mustJSON(t, ended))
	}

	// A remote start, then the EV leaves.
	requestStart201(t, f, 1, 9)
	waitCount(t, f, "CP-1", "second Started", 2, txEvent(ocpp201.TransactionEventEnumStarted))
	ch.Unplug(1)
	ended = waitCount(t, f, "CP-1", "second Ended", 2, txEvent(ocpp201.TransactionEventEnumEnded))[1]
	if ended.TriggerReason != ocpp201.TriggerReasonEnumEVCommunicationLost || deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumEVDisconnected {
		t.Errorf("Ended on unplug = %s, want EVCommunicationLost, EVDisconnected", mustJSON(t, ended))
	}
	waitFor(t, f, "CP-1", "Available after unplug", func(r *ocpp201.StatusNotificationRequest) bool {
		return r.EvseID == 1 && r.ConnectorStatus == ocpp201.ConnectorStatusEnumAvailable && !r.Timestamp.Before(ended.Timestamp)
	})
}

func TestV201Variables(t *testing.T) {
	f := newFakeCSMS201(t)
	startSim201(t, f, sim.Config{MeterValueSampleInterval: time.Hour})

	comp := func(name string) ocpp201.Component { return ocpp201.Component{Name: name} }
	get := mustCall[ocpp201.GetVariablesResponse](t, f, "CP-1", "GetVariables", &ocpp201.GetVariablesRequest{GetVariableData: []ocpp201.GetVariableData{
		{Component: comp("SampledDataCtrlr"), Variable: ocpp201.Variable{Name: "TxUpdatedInterval"}},
		{Component: comp("OCPPCommCtrlr"), Variable: ocpp201.Variable{Name: "HeartbeatInterval"}},
		{Component: ocpp201.Component{Name: "EVSE", Evse: &ocpp201.EVSE{ID: 2}}, Variable: ocpp201.Variable{Name: "AvailabilityState"}},
		{Component: comp("Nope"), Variable: ocpp201.Variable{Name: "X"}},
		{Component: comp("TxCtrlr"), Variable: ocpp201.Variable{Name: "Nope"}},
		{Component: comp("TxCtrlr"), Variable: ocpp201.Variable{Name: "TxStartPoint"}, AttributeType: ptr(ocpp201.AttributeEnumTarget)},
	}})
	type res struct {
		status ocpp201.GetVariableStatusEnum
		value  string
	}
	want := []res{
		{ocpp201.GetVariableStatusEnumAccepted, "3600"},
		{ocpp201.GetVariableStatusEnumAccepted, "1"}, // from the BootNotification answer
		{ocpp201.GetVariableStatusEnumAccepted, "Available"},
		{ocpp201.GetVariableStatusEnumUnknownComponent, ""},
		{ocpp201.GetVariableStatusEnumUnknownVariable, ""},
		{ocpp201.GetVariableStatusEnumNotSupportedAttributeType, ""},
	}
	for i, r := range get.GetVariableResult {
		if got := (res{r.AttributeStatus, deref(r.AttributeValue)}); got != want[i] {
			t.Errorf("GetVariables #%d (%s.%s) = %+v, want %+v", i, r.Component.Name, r.Variable.Name, got, want[i])
		}
	}

	set := mustCall[ocpp201.SetVariablesResponse](t, f, "CP-1", "SetVariables", &ocpp201.SetVariablesRequest{SetVariableData: []ocpp201.SetVariableData{
		{Component: comp("SampledDataCtrlr"), Variable: ocpp201.Variable{Name: "TxUpdatedInterval"}, AttributeValue: "1"},
		{Component: comp("TxCtrlr"), Variable: ocpp201.Variable{Name: "TxStartPoint"}, AttributeValue: "EVConnected"},
		{Component: comp("AuthCacheCtrlr"), Variable: ocpp201.Variable{Name: "Enabled"}, AttributeValue: "maybe"},
		{Component: comp("SampledDataCtrlr"), Variable: ocpp201.Variable{Name: "TxUpdatedMeasurands"}, AttributeValue: "Energy.Active.Import.Register,Power.Active.Import"},
		{Component: comp("Nope"), Variable: ocpp201.Variable{Name: "X"}, AttributeValue: "1"},
	}})
	wantSet := []ocpp201.SetVariableStatusEnum{
		ocpp201.SetVariableStatusEnumAccepted, ocpp201.SetVariableStatusEnumRejected, ocpp201.SetVariableStatusEnumRejected,
		ocpp201.SetVariableStatusEnumAccepted, ocpp201.SetVariableStatusEnumUnknownComponent,
	}
	for i, r := range set.SetVariableResult {
		if r.AttributeStatus != wantSet[i] {
			t.Errorf("SetVariables #%d (%s.%s) = %s, want %s", i, r.Component.Name, r.Variable.Name, r.AttributeStatus, wantSet[i])
		}
	}

	// The new interval and measurands drive the Updated events.
	requestStart201(t, f, 1, 1)
	u := waitFor(t, f, "CP-1", "TransactionEvent Updated", txEvent(ocpp201.TransactionEventEnumUpdated))
	var got []ocpp201.MeasurandEnum
	for _, sv := range u.MeterValue[0].SampledValue {
		got = append(got, deref(sv.Measurand))
	}
	if !slices.Equal(got, []ocpp201.MeasurandEnum{ocpp201.MeasurandEnumEnergyActiveImportRegister, ocpp201.MeasurandEnumPowerActiveImport}) {
		t.Errorf("Updated measurands = %v, want [Energy.Active.Import.Register Power.Active.Import]", got)
	}
}

func TestV201GetBaseReport(t *testing.T) {
	f := newFakeCSMS201(t)
	startSim201(t, f, sim.Config{MeterValueSampleInterval: 15 * time.Second})

	for _, tc := range []struct {
		base      ocpp201.ReportBaseEnum
		requestID int
	}{
		{ocpp201.ReportBaseEnumFullInventory, 7},
		{ocpp201.ReportBaseEnumConfigurationInventory, 8},
	} {
		resp := mustCall[ocpp201.GetBaseReportResponse](t, f, "CP-1", "GetBaseReport",
			&ocpp201.GetBaseReportRequest{RequestID: tc.requestID, ReportBase: tc.base})
		if resp.Status != ocpp201.GenericDeviceModelStatusEnumAccepted {
			t.Fatalf("GetBaseReport(%s) = %s, want Accepted", tc.base, resp.Status)
		}
		parts := waitCount(t, f, "CP-1", "two NotifyReport parts", 2, func(r *ocpp201.NotifyReportRequest) bool { return r.RequestID == tc.requestID })
		if len(parts) != 2 || parts[0].SeqNo != 0 || !deref(parts[0].Tbc) || parts[1].SeqNo != 1 || deref(parts[1].Tbc) {
			t.Fatalf("%s: NotifyReport parts (seqNo, tbc) = (%d, %v), (%d, %v); want (0, true), (1, false)",
				tc.base, parts[0].SeqNo, deref(parts[0].Tbc), parts[1].SeqNo, deref(parts[1].Tbc))
		}
		vars := map[string]ocpp201.VariableAttribute{}
		for _, p := range parts {
			for _, d := range p.ReportData {
				key := d.Component.Name + "." + d.Variable.Name
				if d.Component.Evse != nil {
					key = d.Component.Name + "[" + string(rune('0'+d.Component.Evse.ID)) + "]." + d.Variable.Name
				}
				vars[key] = d.VariableAttribute[0]
			}
		}
		if a, ok := vars["SampledDataCtrlr.TxUpdatedInterval"]; !ok || deref(a.Value) != "15" || deref(a.Mutability) != ocpp201.MutabilityEnumReadWrite {
			t.Errorf("%s: SampledDataCtrlr.TxUpdatedInterval = %+v (present %v), want 15 ReadWrite", tc.base, a, ok)
		}
		_, evse2 := vars["EVSE[2].AvailabilityState"]
		for k, a := range vars {
			if tc.base == ocpp201.ReportBaseEnumConfigurationInventory && deref(a.Mutability) == ocpp201.MutabilityEnumReadOnly {
				t.Errorf("ConfigurationInventory reports read-only %s", k)
			}
		}
		if full := tc.base == ocpp201.ReportBaseEnumFullInventory; evse2 != full {
			t.Errorf("%s: EVSE[2].AvailabilityState reported = %v, want %v", tc.base, evse2, full)
		}
	}
}

func TestV201Reset(t *testing.T) {
	t.Run("Immediate", func(t *testing.T) {
		f := newFakeCSMS201(t)
		ch := startSim201(t, f, sim.Config{})
		requestStart201(t, f, 1, 1)
		waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
		resp := mustCall[ocpp201.ResetResponse](t, f, "CP-1", "Reset", &ocpp201.ResetRequest{Type: ocpp201.ResetEnumImmediate})
		if resp.Status != ocpp201.ResetStatusEnumAccepted {
			t.Fatalf("Reset = %s, want Accepted", resp.Status)
		}
		ended := waitFor(t, f, "CP-1", "Ended", txEvent(ocpp201.TransactionEventEnumEnded))
		if ended.TriggerReason != ocpp201.TriggerReasonEnumResetCommand || deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumImmediateReset {
			t.Errorf("Ended = %s, want ResetCommand, ImmediateReset", mustJSON(t, ended))
		}
		boots := waitCount[ocpp201.BootNotificationRequest](t, f, "CP-1", "second BootNotification", 2, nil)
		if boots[1].Reason != ocpp201.BootReasonEnumRemoteReset {
			t.Errorf("reboot reason = %s, want RemoteReset", boots[1].Reason)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ch.WaitBooted(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OnIdle", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{})
		requestStart201(t, f, 1, 1)
		started := waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
		resp := mustCall[ocpp201.ResetResponse](t, f, "CP-1", "Reset", &ocpp201.ResetRequest{Type: ocpp201.ResetEnumOnIdle})
		if resp.Status != ocpp201.ResetStatusEnumScheduled {
			t.Fatalf("Reset OnIdle while charging = %s, want Scheduled", resp.Status)
		}
		mustCall[ocpp201.RequestStopTransactionResponse](t, f, "CP-1", "RequestStopTransaction",
			&ocpp201.RequestStopTransactionRequest{TransactionID: started.TransactionInfo.TransactionID})
		boots := waitCount[ocpp201.BootNotificationRequest](t, f, "CP-1", "reboot once idle", 2, nil)
		if boots[1].Reason != ocpp201.BootReasonEnumRemoteReset {
			t.Errorf("reboot reason = %s, want RemoteReset", boots[1].Reason)
		}
		if ended := waitFor(t, f, "CP-1", "Ended", txEvent(ocpp201.TransactionEventEnumEnded)); deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumRemote {
			t.Errorf("stoppedReason = %v, want Remote: the transaction ended before the reset", deref(ended.TransactionInfo.StoppedReason))
		}
	})
}

func TestV201Commands(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{})

	trig := func(msg ocpp201.MessageTriggerEnum, evse *ocpp201.EVSE) ocpp201.TriggerMessageStatusEnum {
		return mustCall[ocpp201.TriggerMessageResponse](t, f, "CP-1", "TriggerMessage",
			&ocpp201.TriggerMessageRequest{RequestedMessage: msg, Evse: evse}).Status
	}
	n := len(all[ocpp201.StatusNotificationRequest](f, "CP-1"))
	if got := trig(ocpp201.MessageTriggerEnumStatusNotification, &ocpp201.EVSE{ID: 2, ConnectorID: intp(1)}); got != ocpp201.TriggerMessageStatusEnumAccepted {
		t.Errorf("Trigger StatusNotification = %s, want Accepted", got)
	}
	waitCount[ocpp201.StatusNotificationRequest](t, f, "CP-1", "triggered StatusNotification", n+1, nil)
	if got := trig(ocpp201.MessageTriggerEnumMeterValues, &ocpp201.EVSE{ID: 1}); got != ocpp201.TriggerMessageStatusEnumAccepted {
		t.Errorf("Trigger MeterValues = %s, want Accepted", got)
	}
	mv := waitFor[ocpp201.MeterValuesRequest](t, f, "CP-1", "MeterValues", nil)
	if mv.EvseID != 1 || deref(sampled(t, mv.MeterValue[0], ocpp201.MeasurandEnumEnergyActiveImportRegister).Context) != ocpp201.ReadingContextEnumTrigger {
		t.Errorf("MeterValues = %s, want EVSE 1, context Trigger", mustJSON(t, mv))
	}
	if got := trig(ocpp201.MessageTriggerEnumTransactionEvent, nil); got != ocpp201.TriggerMessageStatusEnumRejected {
		t.Errorf("Trigger TransactionEvent without a transaction = %s, want Rejected", got)
	}
	if got := trig(ocpp201.MessageTriggerEnumHeartbeat, &ocpp201.EVSE{ID: 9}); got != ocpp201.TriggerMessageStatusEnumRejected {
		t.Errorf("Trigger for EVSE 9 = %s, want Rejected", got)
	}
	if got := trig(ocpp201.MessageTriggerEnumSignV2GCertificate, nil); got != ocpp201.TriggerMessageStatusEnumNotImplemented {
		t.Errorf("Trigger SignV2GCertificate = %s, want NotImplemented", got)
	}
	if got := trig(ocpp201.MessageTriggerEnumBootNotification, nil); got != ocpp201.TriggerMessageStatusEnumAccepted {
		t.Errorf("Trigger BootNotification = %s, want Accepted", got)
	}
	waitFor(t, f, "CP-1", "triggered BootNotification", func(r *ocpp201.BootNotificationRequest) bool {
		return r.Reason == ocpp201.BootReasonEnumTriggered
	})

	ca := mustCall[ocpp201.ChangeAvailabilityResponse](t, f, "CP-1", "ChangeAvailability", &ocpp201.ChangeAvailabilityRequest{
		Evse: &ocpp201.EVSE{ID: 2}, OperationalStatus: ocpp201.OperationalStatusEnumInoperative})
	if ca.Status != ocpp201.ChangeAvailabilityStatusEnumAccepted {
		t.Errorf("ChangeAvailability = %s, want Accepted", ca.Status)
	}
	waitFor(t, f, "CP-1", "Unavailable", evStatus(2, ocpp201.ConnectorStatusEnumUnavailable))
	if st := ch.State(2); st.Status != "Unavailable" {
		t.Errorf("State(2).Status = %s, want Unavailable", st.Status)
	}
	if got := requestStart201(t, f, 2, 5); got != ocpp201.RequestStartStopStatusEnumRejected {
		t.Errorf("RequestStart on an inoperative EVSE = %s, want Rejected", got)
	}

	requestStart201(t, f, 1, 6)
	waitFor(t, f, "CP-1", "Started", txEvent(ocpp201.TransactionEventEnumStarted))
	unlock := func(evse, conn int) ocpp201.UnlockStatusEnum {
		return mustCall[ocpp201.UnlockConnectorResponse](t, f, "CP-1", "UnlockConnector",
			&ocpp201.UnlockConnectorRequest{EvseID: evse, ConnectorID: conn}).Status
	}
	if got := unlock(1, 1); got != ocpp201.UnlockStatusEnumOngoingAuthorizedTransaction {
		t.Errorf("Unlock while charging = %s, want OngoingAuthorizedTransaction", got)
	}
	if got := unlock(9, 1); got != ocpp201.UnlockStatusEnumUnknownConnector {
		t.Errorf("Unlock EVSE 9 = %s, want UnknownConnector", got)
	}
	if got := trig(ocpp201.MessageTriggerEnumTransactionEvent, &ocpp201.EVSE{ID: 1}); got != ocpp201.TriggerMessageStatusEnumAccepted {
		t.Errorf("Trigger TransactionEvent = %s, want Accepted", got)
	}
	waitFor(t, f, "CP-1", "triggered TransactionEvent", func(r *ocpp201.TransactionEventRequest) bool {
		return r.TriggerReason == ocpp201.TriggerReasonEnumTrigger
	})
	if cc := mustCall[ocpp201.ClearCacheResponse](t, f, "CP-1", "ClearCache", &ocpp201.ClearCacheRequest{}); cc.Status != ocpp201.ClearCacheStatusEnumAccepted {
		t.Errorf("ClearCache = %s, want Accepted", cc.Status)
	}
	gts := mustCall[ocpp201.GetTransactionStatusResponse](t, f, "CP-1", "GetTransactionStatus",
		&ocpp201.GetTransactionStatusRequest{TransactionID: ptr("unknown")})
	if gts.OngoingIndicator == nil || *gts.OngoingIndicator || gts.MessagesInQueue {
		t.Errorf("GetTransactionStatus(unknown) = %s, want ongoingIndicator false, no messages", mustJSON(t, gts))
	}
	if cr := mustCall[ocpp201.CancelReservationResponse](t, f, "CP-1", "CancelReservation",
		&ocpp201.CancelReservationRequest{ReservationID: 1}); cr.Status != ocpp201.CancelReservationStatusEnumRejected {
		t.Errorf("CancelReservation of an unknown reservation = %s, want Rejected", cr.Status)
	}
}

// TestV201OfflineReplay loses the CSMS while charging: the events of the
// outage are delivered after the next boot, in order, with offline true,
// their own timestamps and seqNo continuing without gaps.
func TestV201OfflineReplay(t *testing.T) {
	f := newFakeCSMS201(t)
	ch := startSim201(t, f, sim.Config{MeterValueSampleInterval: 50 * time.Millisecond})
	requestStart201(t, f, 1, 3)
	waitCount(t, f, "CP-1", "Updated", 2, txEvent(ocpp201.TransactionEventEnumUpdated))

	f.setDown(true)
	f.drop("CP-1")
	for ch.Connected() {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	ch.Unplug(1) // the session ends while the CSMS is away
	upAt := time.Now().UTC()
	f.setDown(false)

	waitCount[ocpp201.BootNotificationRequest](t, f, "CP-1", "second BootNotification", 2, nil)
	waitFor(t, f, "CP-1", "Ended", txEvent(ocpp201.TransactionEventEnumEnded))
	offline := 0
	for i, ev := range all[ocpp201.TransactionEventRequest](f, "CP-1") {
		if ev.SeqNo != i {
			t.Errorf("event #%d has seqNo %d, want %d (no gaps, in order)", i, ev.SeqNo, i)
		}
		if deref(ev.Offline) {
			offline++
			if !ev.Timestamp.Before(upAt) {
				t.Errorf("offline event seqNo %d timestamp %v, want before the CSMS came back (%v)", ev.SeqNo, ev.Timestamp, upAt)
			}
		}
		if ev.EventType == ocpp201.TransactionEventEnumEnded && !deref(ev.Offline) {
			t.Errorf("Ended (unplugged offline) has offline %v, want true", ev.Offline)
		}
	}
	if offline < 2 {
		t.Errorf("%d offline events delivered, want the samples of the outage and Ended", offline)
	}
}

func TestV201Behaviour(t *testing.T) {
	t.Run("RejectRemoteStart", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{Behaviour: sim.Behaviour{RejectRemoteStart: true}})
		if got := requestStart201(t, f, 1, 1); got != ocpp201.RequestStartStopStatusEnumRejected {
			t.Errorf("RequestStart = %s, want Rejected", got)
		}
	})
	t.Run("NeverStart", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{Behaviour: sim.Behaviour{NeverStart: true}})
		if got := requestStart201(t, f, 1, 1); got != ocpp201.RequestStartStopStatusEnumAccepted {
			t.Errorf("RequestStart = %s, want Accepted", got)
		}
		// The EV is there, the transaction never comes.
		waitFor(t, f, "CP-1", "Occupied", evStatus(1, ocpp201.ConnectorStatusEnumOccupied))
		mustCall[ocpp201.ClearCacheResponse](t, f, "CP-1", "ClearCache", &ocpp201.ClearCacheRequest{})
		if n := len(all[ocpp201.TransactionEventRequest](f, "CP-1")); n != 0 {
			t.Errorf("%d TransactionEvents, want none", n)
		}
	})
	t.Run("StartBeforeAnswer", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{Behaviour: sim.Behaviour{StartBeforeAnswer: true}})
		waitCount[ocpp201.StatusNotificationRequest](t, f, "CP-1", "boot statuses", 2, nil)
		time.Sleep(50 * time.Millisecond) // see TestBehaviour/StartBeforeAnswer
		if got := requestStart201(t, f, 1, 1); got != ocpp201.RequestStartStopStatusEnumAccepted {
			t.Errorf("RequestStart = %s, want Accepted", got)
		}
		if n := len(all[ocpp201.TransactionEventRequest](f, "CP-1")); n != 1 {
			t.Errorf("%d TransactionEvent before the RequestStart answer, want 1", n)
		}
	})
	t.Run("DuplicateStart", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{Behaviour: sim.Behaviour{DuplicateStart: true}})
		requestStart201(t, f, 1, 1)
		evs := waitCount(t, f, "CP-1", "two Started", 2, txEvent(ocpp201.TransactionEventEnumStarted))
		var raws [][]byte
		for _, r := range f.records("CP-1") {
			if r.action == "TransactionEvent" {
				raws = append(raws, r.raw)
			}
		}
		if evs[0].SeqNo != 0 || !bytes.Equal(raws[0], raws[1]) {
			t.Errorf("duplicate Started events differ or seqNo %d != 0:\n%s\n%s", evs[0].SeqNo, raws[0], raws[1])
		}
	})
	t.Run("IgnoreCalls", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{Behaviour: sim.Behaviour{IgnoreCalls: true}})
		_, err := call[ocpp201.RequestStartTransactionResponse](t, f, "CP-1", "RequestStartTransaction",
			&ocpp201.RequestStartTransactionRequest{RemoteStartID: 1, IDToken: ocpp201.IDToken{IDToken: "T", Type: ocpp201.IDTokenEnumCentral}})
		if !errors.Is(err, ocppj.ErrTimeout) {
			t.Errorf("RequestStart error = %v, want %v", err, ocppj.ErrTimeout)
		}
	})
	t.Run("DeauthorizedByCSMS", func(t *testing.T) {
		f := newFakeCSMS201(t)
		startSim201(t, f, sim.Config{})
		f.setOverride(func(id string, conn *ocppj.Conn, action string, req any) (any, error, bool) {
			if ev, ok := req.(*ocpp201.TransactionEventRequest); ok && ev.EventType == ocpp201.TransactionEventEnumStarted {
				return &ocpp201.TransactionEventResponse{IDTokenInfo: &ocpp201.IDTokenInfo{Status: ocpp201.AuthorizationStatusEnumBlocked}}, nil, true
			}
			return nil, nil, false
		})
		requestStart201(t, f, 1, 1)
		ended := waitFor(t, f, "CP-1", "Ended", txEvent(ocpp201.TransactionEventEnumEnded))
		if ended.TriggerReason != ocpp201.TriggerReasonEnumDeauthorized || deref(ended.TransactionInfo.StoppedReason) != ocpp201.ReasonEnumDeAuthorized {
			t.Errorf("Ended = %s, want Deauthorized, DeAuthorized", mustJSON(t, ended))
		}
	})
}

func TestUnknownVersion(t *testing.T) {
	ch := sim.New(sim.Config{URL: "ws://127.0.0.1:1/ocpp", ID: "X", OCPPVersion: "ocpp3"})
	if err := ch.Run(context.Background()); err == nil {
		t.Error("Run with OCPPVersion ocpp3 = nil, want an error")
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
