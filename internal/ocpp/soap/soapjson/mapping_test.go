package soapjson

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

// Focused tests of each mapping between 1.5 and 1.6, both ways.

func toJSONString(t *testing.T, body any) string {
	t.Helper()
	b, err := ToJSON(context.Background(), body, nil)
	if err != nil {
		t.Fatalf("ToJSON(%+v): %v", body, err)
	}
	return string(b)
}

func fromJSONValid(t *testing.T, payload string, dst Body) {
	t.Helper()
	if err := FromJSON([]byte(payload), dst); err != nil {
		t.Fatalf("FromJSON(%s): %v", payload, err)
	}
	if err := dst.Validate(); err != nil {
		t.Fatalf("FromJSON(%s) = %+v, invalid: %v", payload, dst, err)
	}
}

// A 1.6 meter reading said by a 1.5 charger: what 1.5 has no word for
// goes, the phase goes, A, V and the schema's "Celcius" are 1.5's Amp,
// Volt and Celsius, and a meter value left empty goes.
const sampled16 = `[{"timestamp":"2026-12-07T09:30:15Z","sampledValue":[` +
	`{"value":"6379","context":"Transaction.End","format":"Raw","measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},` +
	`{"value":"16","measurand":"Current.Import","phase":"L1","unit":"A"},` +
	`{"value":"230","measurand":"Voltage","phase":"L1-N","unit":"V"},` +
	`{"value":"21.5","measurand":"Temperature","location":"Body","unit":"Celcius"},` +
	`{"value":"50","measurand":"Frequency"},` +
	`{"value":"80","measurand":"SoC","location":"EV","unit":"Percent"},` +
	`{"value":"1","context":"Trigger"},` +
	`{"value":"2","context":"Other"},` +
	`{"value":"7","location":"Cable"},` +
	`{"value":"11","measurand":"Power.Active.Import","unit":"kVA"},` +
	`{"value":"300","measurand":"Temperature","unit":"K"},` +
	`{"value":"12"}]},` +
	`{"timestamp":"2026-12-07T09:45:15Z","sampledValue":[{"value":"80","measurand":"SoC"},{"value":"0.98","measurand":"Power.Factor"}]}]`

var sampled15 = []ocpp15.MeterValue{{Timestamp: soaptest.Time, Value: []ocpp15.MeterValueValue{
	{Value: "6379", Context: ptr(ocpp15.ReadingContextTransactionEnd), Format: ptr(ocpp15.ValueFormatRaw),
		Measurand: ptr(ocpp15.MeasurandEnergyActiveImportRegister), Location: ptr(ocpp15.LocationOutlet), Unit: ptr(ocpp15.UnitOfMeasureWh)},
	{Value: "16", Measurand: ptr(ocpp15.MeasurandCurrentImport), Unit: ptr(ocpp15.UnitOfMeasureAmp)},
	{Value: "230", Measurand: ptr(ocpp15.MeasurandVoltage), Unit: ptr(ocpp15.UnitOfMeasureVolt)},
	{Value: "21.5", Measurand: ptr(ocpp15.MeasurandTemperature), Location: ptr(ocpp15.LocationBody), Unit: ptr(ocpp15.UnitOfMeasureCelsius)},
	{Value: "12"},
}}}

func TestMeterValues16To15(t *testing.T) {
	var mv ocpp15.MeterValuesRequest
	fromJSONValid(t, `{"connectorId":1,"transactionId":42,"meterValue":`+sampled16+`}`, &mv)
	if want := (ocpp15.MeterValuesRequest{ConnectorID: 1, TransactionID: ptr(42), Values: sampled15}); !reflect.DeepEqual(mv, want) {
		t.Errorf("MeterValues =\n %+v\nwant\n %+v", mv, want)
	}

	var stop ocpp15.StopTransactionRequest
	fromJSONValid(t, `{"transactionId":42,"idTag":"TAG-1","timestamp":"2026-12-07T09:50:00Z","meterStop":6379,"reason":"EVDisconnected","transactionData":`+sampled16+`}`, &stop)
	want := ocpp15.StopTransactionRequest{TransactionID: 42, IDTag: ptr(ocpp15.IDToken("TAG-1")), Timestamp: time.Date(2026, 12, 7, 9, 50, 0, 0, time.UTC),
		MeterStop: 6379, TransactionData: []ocpp15.TransactionData{{Values: sampled15}}}
	if !reflect.DeepEqual(stop, want) {
		t.Errorf("StopTransaction =\n %+v\nwant\n %+v", stop, want)
	}

	// Nothing 1.5 can say is left: no transactionData, and a MeterValues
	// with no values (which 1.5 allows).
	stop = ocpp15.StopTransactionRequest{}
	fromJSONValid(t, `{"transactionId":42,"timestamp":"2026-12-07T09:50:00Z","meterStop":6379,"transactionData":[{"timestamp":"2026-12-07T09:50:00Z","sampledValue":[{"value":"80","measurand":"SoC"}]}]}`, &stop)
	if stop.TransactionData != nil {
		t.Errorf("transactionData = %+v, want none", stop.TransactionData)
	}
	mv = ocpp15.MeterValuesRequest{}
	fromJSONValid(t, `{"connectorId":1,"meterValue":[{"timestamp":"2026-12-07T09:50:00Z","sampledValue":[{"value":"80","measurand":"SoC"}]}]}`, &mv)
	if mv.Values != nil {
		t.Errorf("values = %+v, want none", mv.Values)
	}
}

// 1.5's transactionData elements are one list in 1.6, and one element
// again in 1.5.
func TestStopTransactionGrouping(t *testing.T) {
	v := func(s string) ocpp15.MeterValue {
		return ocpp15.MeterValue{Timestamp: soaptest.Time, Value: []ocpp15.MeterValueValue{{Value: s}}}
	}
	in := &ocpp15.StopTransactionRequest{TransactionID: 42, Timestamp: soaptest.Time, MeterStop: 100,
		TransactionData: []ocpp15.TransactionData{{Values: []ocpp15.MeterValue{v("1")}}, {Values: []ocpp15.MeterValue{v("2"), v("3")}}}}
	got := toJSONString(t, in)
	const ts = `"timestamp":"2026-12-07T09:30:15Z"`
	want := `{"meterStop":100,` + ts + `,"transactionData":[` +
		`{"sampledValue":[{"value":"1"}],` + ts + `},{"sampledValue":[{"value":"2"}],` + ts + `},{"sampledValue":[{"value":"3"}],` + ts + `}],"transactionId":42}`
	if got != want {
		t.Errorf("ToJSON =\n %s\nwant\n %s", got, want)
	}
	var back ocpp15.StopTransactionRequest
	fromJSONValid(t, got, &back)
	if w := []ocpp15.TransactionData{{Values: []ocpp15.MeterValue{v("1"), v("2"), v("3")}}}; !reflect.DeepEqual(back.TransactionData, w) {
		t.Errorf("transactionData = %+v, want %+v", back.TransactionData, w)
	}
}

func TestStatusNotification16To15(t *testing.T) {
	for _, c := range []struct{ status, code, want15Status, want15Code string }{
		{"Available", "NoError", "Available", "NoError"},
		{"Preparing", "NoError", "Occupied", "NoError"},
		{"Charging", "NoError", "Occupied", "NoError"},
		{"SuspendedEV", "NoError", "Occupied", "NoError"},
		{"SuspendedEVSE", "NoError", "Occupied", "NoError"},
		{"Finishing", "NoError", "Occupied", "NoError"},
		{"Reserved", "NoError", "Reserved", "NoError"},
		{"Unavailable", "NoError", "Unavailable", "NoError"},
		{"Faulted", "EVCommunicationError", "Faulted", "Mode3Error"},
		{"Faulted", "InternalError", "Faulted", "OtherError"},
		{"Faulted", "LocalListConflict", "Faulted", "OtherError"},
		{"Faulted", "OverVoltage", "Faulted", "OtherError"},
		{"Faulted", "UnderVoltage", "Faulted", "UnderVoltage"},
		{"Faulted", "WeakSignal", "Faulted", "WeakSignal"},
		{"Faulted", "OtherError", "Faulted", "OtherError"},
		{"Faulted", "GroundFailure", "Faulted", "GroundFailure"},
	} {
		var got ocpp15.StatusNotificationRequest
		fromJSONValid(t, `{"connectorId":2,"status":"`+c.status+`","errorCode":"`+c.code+`","info":"cable","timestamp":"2026-12-07T09:30:15Z","vendorId":"acme","vendorErrorCode":"E7"}`, &got)
		want := ocpp15.StatusNotificationRequest{ConnectorID: 2, Status: ocpp15.ChargePointStatus(c.want15Status), ErrorCode: ocpp15.ChargePointErrorCode(c.want15Code),
			Info: ptr("cable"), Timestamp: ptr(soaptest.Time), VendorID: ptr("acme"), VendorErrorCode: ptr("E7")}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s/%s in 1.5 = %+v, want %+v", c.status, c.code, got, want)
		}
	}
}

func TestBootNotification(t *testing.T) {
	// The simulator's 1.5 charger reads the central system's answer.
	resp := &ocpp15.BootNotificationResponse{Status: ocpp15.RegistrationStatusAccepted, CurrentTime: soaptest.Time, HeartbeatInterval: 300}
	if got, want := toJSONString(t, resp), `{"currentTime":"2026-12-07T09:30:15Z","interval":300,"status":"Accepted"}`; got != want {
		t.Errorf("ToJSON = %s, want %s", got, want)
	}
	for status16, status15 := range map[string]ocpp15.RegistrationStatus{"Accepted": "Accepted", "Rejected": "Rejected", "Pending": "Rejected"} {
		var got ocpp15.BootNotificationResponse
		fromJSONValid(t, `{"status":"`+status16+`","currentTime":"2026-12-07T09:30:15Z","interval":60}`, &got)
		if want := (ocpp15.BootNotificationResponse{Status: status15, CurrentTime: soaptest.Time, HeartbeatInterval: 60}); got != want {
			t.Errorf("%s in 1.5 = %+v, want %+v", status16, got, want)
		}
	}
	// The simulator's 1.5 charger boots: the request is alike.
	var req ocpp15.BootNotificationRequest
	fromJSONValid(t, `{"chargePointVendor":"Acme","chargePointModel":"W1","chargePointSerialNumber":"CP-1","chargeBoxSerialNumber":"CB-1",`+
		`"firmwareVersion":"1.2.3","iccid":"8931","imsi":"2040","meterType":"DZG","meterSerialNumber":"M-1"}`, &req)
	want := ocpp15.BootNotificationRequest{ChargePointVendor: "Acme", ChargePointModel: "W1", ChargePointSerialNumber: ptr[ocpp15.ChargePointSerialNumber]("CP-1"),
		ChargeBoxSerialNumber: ptr[ocpp15.ChargeBoxSerialNumber]("CB-1"), FirmwareVersion: ptr[ocpp15.FirmwareVersion]("1.2.3"),
		Iccid: ptr[ocpp15.IccidString]("8931"), Imsi: ptr[ocpp15.ImsiString]("2040"), MeterType: ptr[ocpp15.MeterType]("DZG"), MeterSerialNumber: ptr[ocpp15.MeterSerialNumber]("M-1")}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("BootNotification = %+v, want %+v", req, want)
	}
}

func TestUnlockStatus(t *testing.T) {
	for s15, s16 := range map[ocpp15.UnlockStatus]string{"Accepted": "Unlocked", "Rejected": "UnlockFailed"} {
		if got, want := toJSONString(t, &ocpp15.UnlockConnectorResponse{Status: s15}), `{"status":"`+s16+`"}`; got != want {
			t.Errorf("1.5 %s = %s, want %s", s15, got, want)
		}
	}
	for s16, s15 := range map[string]ocpp15.UnlockStatus{"Unlocked": "Accepted", "UnlockFailed": "Rejected", "NotSupported": "Rejected"} {
		var got ocpp15.UnlockConnectorResponse
		fromJSONValid(t, `{"status":"`+s16+`"}`, &got)
		if got.Status != s15 {
			t.Errorf("1.6 %s in 1.5 = %s, want %s", s16, got.Status, s15)
		}
	}
}

func TestConfigurationStatus(t *testing.T) {
	for s16, s15 := range map[string]ocpp15.ConfigurationStatus{"Accepted": "Accepted", "Rejected": "Rejected", "NotSupported": "NotSupported", "RebootRequired": "Accepted"} {
		var got ocpp15.ChangeConfigurationResponse
		fromJSONValid(t, `{"status":"`+s16+`"}`, &got)
		if got.Status != s15 {
			t.Errorf("1.6 %s in 1.5 = %s, want %s", s16, got.Status, s15)
		}
	}
}

func TestSendLocalList(t *testing.T) {
	// Joule sends a list to a 1.5 charger.
	var req ocpp15.SendLocalListRequest
	fromJSONValid(t, `{"listVersion":3,"updateType":"Differential","localAuthorizationList":[{"idTag":"TAG-1","idTagInfo":{"status":"Blocked","parentIdTag":"P"}},{"idTag":"TAG-2"}]}`, &req)
	want := ocpp15.SendLocalListRequest{UpdateType: ocpp15.UpdateTypeDifferential, ListVersion: 3, LocalAuthorisationList: []ocpp15.AuthorisationData{
		{IDTag: "TAG-1", IDTagInfo: &ocpp15.IDTagInfo{Status: ocpp15.AuthorizationStatusBlocked, ParentIDTag: ptr(ocpp15.IDToken("P"))}}, {IDTag: "TAG-2"}}}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("SendLocalList = %+v, want %+v", req, want)
	}
	// The simulator's 1.5 charger gets one: the hash goes.
	want.Hash = ptr("9f86d081")
	if got, w := toJSONString(t, &want), `{"listVersion":3,"localAuthorizationList":[{"idTag":"TAG-1","idTagInfo":{"parentIdTag":"P","status":"Blocked"}},{"idTag":"TAG-2"}],"updateType":"Differential"}`; got != w {
		t.Errorf("ToJSON = %s, want %s", got, w)
	}
	// Its answer: HashError is Failed, the hash goes.
	if got, w := toJSONString(t, &ocpp15.SendLocalListResponse{Status: ocpp15.UpdateStatusHashError, Hash: ptr("9f86d081")}), `{"status":"Failed"}`; got != w {
		t.Errorf("ToJSON = %s, want %s", got, w)
	}
	for _, s := range ocpp16s.UpdateStatusValues {
		var got ocpp15.SendLocalListResponse
		fromJSONValid(t, `{"status":"`+string(s)+`"}`, &got)
		if want := (ocpp15.SendLocalListResponse{Status: ocpp15.UpdateStatus(s)}); !reflect.DeepEqual(got, want) {
			t.Errorf("%s in 1.5 = %+v, want %+v", s, got, want)
		}
	}
}

func TestRemoteStartTransaction(t *testing.T) {
	var req ocpp15.RemoteStartTransactionRequest
	fromJSONValid(t, `{"connectorId":2,"idTag":"TAG-1"}`, &req)
	if want := (ocpp15.RemoteStartTransactionRequest{IDTag: "TAG-1", ConnectorID: ptr(2)}); !reflect.DeepEqual(req, want) {
		t.Errorf("RemoteStartTransaction = %+v, want %+v", req, want)
	}
	if got, want := toJSONString(t, &req), `{"connectorId":2,"idTag":"TAG-1"}`; got != want {
		t.Errorf("ToJSON = %s, want %s", got, want)
	}
	err := FromJSON([]byte(`{"idTag":"TAG-1","chargingProfile":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxProfile",`+
		`"chargingProfileKind":"Relative","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16}]}}}`), new(ocpp15.RemoteStartTransactionRequest))
	checkUnsupported(t, err, soap.V15, "RemoteStartTransaction", "chargingProfile")
	t.Log(err)
}

func TestStatusNotifications16Only(t *testing.T) {
	for _, s := range []string{"Downloading", "Installing", "Idle"} {
		err := FromJSON([]byte(`{"status":"`+s+`"}`), new(ocpp15.FirmwareStatusNotificationRequest))
		checkUnsupported(t, err, soap.V15, "FirmwareStatusNotification", "status")
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not name %s", err, s)
		}
	}
	for _, s := range []string{"Uploading", "Idle"} {
		err := FromJSON([]byte(`{"status":"`+s+`"}`), new(ocpp15.DiagnosticsStatusNotificationRequest))
		checkUnsupported(t, err, soap.V15, "DiagnosticsStatusNotification", "status")
	}
	var fw ocpp15.FirmwareStatusNotificationRequest
	fromJSONValid(t, `{"status":"InstallationFailed"}`, &fw)
	if fw.Status != ocpp15.FirmwareStatusInstallationFailed {
		t.Errorf("status = %s", fw.Status)
	}
}

// Strings 1.5 leaves unbounded and 1.6 bounds: ToJSON says which.
func TestLengths15To16(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		op    string
		body  Body
		field string
	}{
		{"StatusNotification", &ocpp15.StatusNotificationRequest{ConnectorID: 1, Status: "Available", ErrorCode: "NoError", Info: ptr(long(51))}, "info"},
		{"StatusNotification", &ocpp15.StatusNotificationRequest{ConnectorID: 1, Status: "Available", ErrorCode: "NoError", VendorID: ptr(long(256))}, "vendorId"},
		{"StatusNotification", &ocpp15.StatusNotificationRequest{ConnectorID: 1, Status: "Available", ErrorCode: "NoError", VendorErrorCode: ptr(long(51))}, "vendorErrorCode"},
		{"DataTransfer", &ocpp15.DataTransferRequest{VendorID: long(256)}, "vendorId"},
		{"DataTransfer", &ocpp15.DataTransferRequest{VendorID: "acme", MessageID: ptr(long(51))}, "messageId"},
		{"DataTransfer", &ocpp15.CPDataTransferRequest{VendorID: long(256)}, "vendorId"},
		{"DataTransfer", &ocpp15.CPDataTransferRequest{VendorID: "acme", MessageID: ptr(long(51))}, "messageId"},
		{"ChangeConfiguration", &ocpp15.ChangeConfigurationRequest{Key: long(51), Value: "1"}, "key"},
		{"ChangeConfiguration", &ocpp15.ChangeConfigurationRequest{Key: "K", Value: long(501)}, "value"},
		{"GetConfiguration", &ocpp15.GetConfigurationRequest{Key: []string{"K", long(51)}}, "key[1]"},
		{"GetConfiguration", &ocpp15.GetConfigurationResponse{ConfigurationKey: []ocpp15.KeyValue{{Key: long(51)}}}, "configurationKey[0].key"},
		{"GetConfiguration", &ocpp15.GetConfigurationResponse{ConfigurationKey: []ocpp15.KeyValue{{Key: "K", Value: ptr(long(501))}}}, "configurationKey[0].value"},
		{"GetConfiguration", &ocpp15.GetConfigurationResponse{UnknownKey: []string{long(51)}}, "unknownKey[0]"},
		{"GetDiagnostics", &ocpp15.GetDiagnosticsResponse{FileName: ptr(long(256))}, "fileName"},
	} {
		if err := c.body.Validate(); err != nil {
			t.Fatalf("%s %s: %v", c.op, c.field, err)
		}
		_, err := ToJSON(context.Background(), c.body, nil)
		checkUnsupported(t, err, soap.V16, c.op, c.field)
	}
	// At 1.6's bound it goes.
	toJSONString(t, &ocpp15.ChangeConfigurationRequest{Key: long(50), Value: long(500)})
	// A body 1.5 refuses too is an error about 1.5, not a 1.6 limit.
	_, err := ToJSON(context.Background(), &ocpp15.AuthorizeRequest{}, nil)
	var u *UnsupportedError
	if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "idTag") {
		t.Errorf("invalid 1.5 body: err = %v, want a validation error about idTag", err)
	}
}

func TestLocationURI(t *testing.T) {
	for _, body := range []Body{
		&ocpp15.GetDiagnosticsRequest{Location: "diag/upload"},
		&ocpp16s.GetDiagnosticsRequest{Location: "diag/upload"},
		&ocpp15.UpdateFirmwareRequest{Location: "fw.bin", RetrieveDate: soaptest.Time},
		&ocpp16s.UpdateFirmwareRequest{Location: "fw.bin", RetrieveDate: soaptest.Time},
	} {
		_, err := ToJSON(context.Background(), body, nil)
		op := strings.TrimSuffix(reflect.TypeOf(body).Elem().Name(), "Request")
		checkUnsupported(t, err, soap.V16, op, "location")
	}
	if got, want := toJSONString(t, &ocpp15.GetDiagnosticsRequest{Location: "ftp://example.com/diag"}), `{"location":"ftp://example.com/diag"}`; got != want {
		t.Errorf("ToJSON = %s, want %s", got, want)
	}
}

func TestMeterValuesWithoutValues(t *testing.T) {
	for _, body := range []Body{&ocpp15.MeterValuesRequest{ConnectorID: 1}, &ocpp16s.MeterValuesRequest{ConnectorID: 1}} {
		// The OCA schema requires meterValue, the WSDLs do not.
		if got, want := toJSONString(t, body), `{"connectorId":1,"meterValue":[]}`; got != want {
			t.Errorf("%T: ToJSON = %s, want %s", body, got, want)
		}
	}
}

func TestFromJSONStrict(t *testing.T) {
	for _, c := range []struct {
		payload string
		dst     any
		want    string // in the error
	}{
		{`{"idTag":"A","hash":"x"}`, new(ocpp16s.AuthorizeRequest), `"hash"`},
		{`{"idTag":"A","hash":"x"}`, new(ocpp15.AuthorizeRequest), `"hash"`},
		{`{"idTagInfo":{"status":"Accepted","extra":1}}`, new(ocpp16s.AuthorizeResponse), `idTagInfo: IDTagInfo has no element "extra"`},
		{`{"connectorId":"1","type":"Hard"}`, new(ocpp16s.ChangeAvailabilityRequest), "connectorId"},
		{`{"connectorId":1.5,"type":"Operative"}`, new(ocpp16s.ChangeAvailabilityRequest), "1.5 is not an integer"},
		{`{"currentTime":"yesterday"}`, new(ocpp15.HeartbeatResponse), "currentTime"},
		{`[]`, new(ocpp16s.HeartbeatResponse), "want an object"},
		{`{}`, new(ocpp15.MeterValue), "not a message body"},
		{`{}`, ocpp16s.HeartbeatRequest{}, "cannot fill"},
	} {
		err := FromJSON([]byte(c.payload), c.dst)
		var u *UnsupportedError
		if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromJSON(%s, %T) = %v, want an error about %s", c.payload, c.dst, err, c.want)
		}
	}
	// null is absent; 7.0 is an integer; an offset is kept as UTC; the
	// schema's "Celcius" is the WSDL's Celsius.
	var stop ocpp16s.StopTransactionResponse
	if err := FromJSON([]byte(`{"idTagInfo":null}`), &stop); err != nil || stop.IDTagInfo != nil {
		t.Errorf("null idTagInfo: %+v, %v", stop, err)
	}
	var ca ocpp15.ChangeAvailabilityRequest
	if err := FromJSON([]byte(`{"connectorId":7.0,"type":"Operative"}`), &ca); err != nil || ca.ConnectorID != 7 {
		t.Errorf("connectorId 7.0: %+v, %v", ca, err)
	}
	var hb ocpp16s.HeartbeatResponse
	if err := FromJSON([]byte(`{"currentTime":"2026-12-07T10:30:15.5+01:00"}`), &hb); err != nil || hb.CurrentTime != soaptest.Time.Add(500*time.Millisecond) {
		t.Errorf("currentTime: %+v, %v", hb, err)
	}
	var mv ocpp16s.MeterValuesRequest
	if err := FromJSON([]byte(`{"connectorId":1,"meterValue":[{"timestamp":"2026-12-07T09:30:15Z","sampledValue":[{"value":"21","unit":"Celcius"}]}]}`), &mv); err != nil {
		t.Fatal(err)
	}
	if err := mv.Validate(); err != nil || *mv.MeterValue[0].SampledValue[0].Unit != ocpp16s.UnitOfMeasureCelsius {
		t.Errorf("Celcius: %+v, %v", mv, err)
	}
}

func TestOccupiedError(t *testing.T) {
	boom := errors.New("sessions unavailable")
	_, err := ToJSON(context.Background(), &ocpp15.StatusNotificationRequest{ConnectorID: 1, Status: "Occupied", ErrorCode: "NoError"},
		func(context.Context, int) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}
