package soapjson

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// enums16 and enums15 give soaptest.Example the allowed values of each
// enumeration of both services.
var enums16 = map[string][]string{
	"AuthorizationStatus": names(ocpp16s.AuthorizationStatusValues), "Reason": names(ocpp16s.ReasonValues),
	"ReadingContext": names(ocpp16s.ReadingContextValues), "Measurand": names(ocpp16s.MeasurandValues),
	"ValueFormat": names(ocpp16s.ValueFormatValues), "UnitOfMeasure": names(ocpp16s.UnitOfMeasureValues),
	"Phase": names(ocpp16s.PhaseValues), "Location": names(ocpp16s.LocationValues),
	"RegistrationStatus": names(ocpp16s.RegistrationStatusValues), "ChargePointErrorCode": names(ocpp16s.ChargePointErrorCodeValues),
	"ChargePointStatus": names(ocpp16s.ChargePointStatusValues), "FirmwareStatus": names(ocpp16s.FirmwareStatusValues),
	"DiagnosticsStatus": names(ocpp16s.DiagnosticsStatusValues), "DataTransferStatus": names(ocpp16s.DataTransferStatusValues),
	"UnlockStatus": names(ocpp16s.UnlockStatusValues), "ResetType": names(ocpp16s.ResetTypeValues),
	"ResetStatus": names(ocpp16s.ResetStatusValues), "AvailabilityType": names(ocpp16s.AvailabilityTypeValues),
	"AvailabilityStatus": names(ocpp16s.AvailabilityStatusValues), "ClearCacheStatus": names(ocpp16s.ClearCacheStatusValues),
	"ChargingProfilePurposeType": names(ocpp16s.ChargingProfilePurposeTypeValues), "ClearChargingProfileStatus": names(ocpp16s.ClearChargingProfileStatusValues),
	"ConfigurationStatus": names(ocpp16s.ConfigurationStatusValues), "RemoteStartStopStatus": names(ocpp16s.RemoteStartStopStatusValues),
	"CancelReservationStatus": names(ocpp16s.CancelReservationStatusValues), "ChargingRateUnitType": names(ocpp16s.ChargingRateUnitTypeValues),
	"GetCompositeScheduleStatus": names(ocpp16s.GetCompositeScheduleStatusValues), "ReservationStatus": names(ocpp16s.ReservationStatusValues),
	"UpdateType": names(ocpp16s.UpdateTypeValues), "UpdateStatus": names(ocpp16s.UpdateStatusValues),
	"ChargingProfileKindType": names(ocpp16s.ChargingProfileKindTypeValues), "RecurrencyKindType": names(ocpp16s.RecurrencyKindTypeValues),
	"ChargingProfileStatus": names(ocpp16s.ChargingProfileStatusValues), "MessageTrigger": names(ocpp16s.MessageTriggerValues),
	"TriggerMessageStatus": names(ocpp16s.TriggerMessageStatusValues),
}

var enums15 = map[string][]string{
	"AuthorizationStatus": names(ocpp15.AuthorizationStatusValues),
	"ReadingContext":      names(ocpp15.ReadingContextValues), "Measurand": names(ocpp15.MeasurandValues),
	"ValueFormat": names(ocpp15.ValueFormatValues), "UnitOfMeasure": names(ocpp15.UnitOfMeasureValues),
	"Location":           names(ocpp15.LocationValues),
	"RegistrationStatus": names(ocpp15.RegistrationStatusValues), "ChargePointErrorCode": names(ocpp15.ChargePointErrorCodeValues),
	"ChargePointStatus": names(ocpp15.ChargePointStatusValues), "FirmwareStatus": names(ocpp15.FirmwareStatusValues),
	"DiagnosticsStatus": names(ocpp15.DiagnosticsStatusValues), "DataTransferStatus": names(ocpp15.DataTransferStatusValues),
	"UnlockStatus": names(ocpp15.UnlockStatusValues), "ResetType": names(ocpp15.ResetTypeValues),
	"ResetStatus": names(ocpp15.ResetStatusValues), "AvailabilityType": names(ocpp15.AvailabilityTypeValues),
	"AvailabilityStatus": names(ocpp15.AvailabilityStatusValues), "ClearCacheStatus": names(ocpp15.ClearCacheStatusValues),
	"ConfigurationStatus": names(ocpp15.ConfigurationStatusValues), "RemoteStartStopStatus": names(ocpp15.RemoteStartStopStatusValues),
	"CancelReservationStatus": names(ocpp15.CancelReservationStatusValues), "ReservationStatus": names(ocpp15.ReservationStatusValues),
	"UpdateType": names(ocpp15.UpdateTypeValues), "UpdateStatus": names(ocpp15.UpdateStatusValues),
}

// TestRequests16 renders a full example of every 1.6 SOAP request (every
// optional element present) as JSON: the OCA schema must accept it, and
// reading the JSON back must give the same request, so no field is lost.
func TestRequests16(t *testing.T) {
	for _, o := range ocpp16s.CentralSystemOperations {
		t.Run(o.Name, func(t *testing.T) {
			req := o.NewRequest()
			soaptest.Example(req, enums16)
			if err := req.Validate(); err != nil {
				t.Fatalf("example: %v", err)
			}
			payload, err := toJSON(req)
			if err != nil {
				t.Fatal(err)
			}
			decoded, cerr := ocpp16.DecodeRequest(o.Name, payload)
			if cerr != nil {
				t.Fatalf("OCA schema refuses %s: %v", payload, cerr)
			}
			again, err := json.Marshal(decoded)
			if err != nil {
				t.Fatal(err)
			}
			back := o.NewRequest()
			if err := fromJSON(again, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, req) {
				t.Errorf("round trip through 1.6 JSON:\n got %+v\nwant %+v", back, req)
			}
		})
	}
}

// TestResponses16 takes a full example of every 1.6 response as the
// ocpp16 adapter would answer it (its JSON type, decoded against the OCA
// schema) and fills the SOAP response from it: every field must arrive.
func TestResponses16(t *testing.T) {
	for _, o := range ocpp16s.CentralSystemOperations {
		t.Run(o.Name, func(t *testing.T) {
			want := o.NewResponse()
			soaptest.Example(want, enums16)
			payload, err := toJSON(want)
			if err != nil {
				t.Fatal(err)
			}
			answer, cerr := ocpp16.DecodeResponse(o.Name, payload)
			if cerr != nil {
				t.Fatalf("OCA schema refuses %s: %v", payload, cerr)
			}
			raw, err := json.Marshal(answer)
			if err != nil {
				t.Fatal(err)
			}
			got := o.NewResponse()
			if err := FromJSON(raw, got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("response:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestResponseFieldsMatchElements holds that each field of a response type
// is its element's name up to case: fromJSON goes by the element names of
// the xml tags, and the Go names a reader of the JSON expects must not
// drift from them.
func TestResponseFieldsMatchElements(t *testing.T) {
	var check func(tp reflect.Type, path string)
	check = func(tp reflect.Type, path string) {
		for tp.Kind() == reflect.Pointer || tp.Kind() == reflect.Slice {
			tp = tp.Elem()
		}
		if tp.Kind() != reflect.Struct || tp == timeType {
			return
		}
		for i := range tp.NumField() {
			f := tp.Field(i)
			if f.Name == "XMLName" {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if !strings.EqualFold(name, f.Name) {
				t.Errorf("%s.%s holds element %q", path, f.Name, name)
			}
			check(f.Type, path+"."+f.Name)
		}
	}
	for _, o := range ocpp16s.CentralSystemOperations {
		check(reflect.TypeOf(o.NewResponse()), "1.6 "+o.Name)
	}
	for _, o := range ocpp15.CentralSystemOperations {
		if o.Name != "BootNotification" { // down16 maps it by hand
			check(reflect.TypeOf(o.NewResponse()), "1.5 "+o.Name)
		}
	}
}

// TestRequests15 maps a full example of every 1.5 request to 1.6 JSON,
// which the OCA schema must accept.
func TestRequests15(t *testing.T) {
	for _, o := range ocpp15.CentralSystemOperations {
		t.Run(o.Name, func(t *testing.T) {
			req := o.NewRequest()
			soaptest.Example(req, enums15)
			if err := req.Validate(); err != nil {
				t.Fatalf("example: %v", err)
			}
			payload, err := toJSON15(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, cerr := ocpp16.DecodeRequest(o.Name, payload); cerr != nil {
				t.Fatalf("OCA schema refuses %s: %v", payload, cerr)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestMeterValues15 checks the mapping of values with attributes to
// sampled values, 1.5's unit names included, in MeterValues and in a
// StopTransaction's transaction data.
func TestMeterValues15(t *testing.T) {
	vals := []ocpp15.MeterValue{{Timestamp: soaptest.Time, Value: []ocpp15.MeterValueValue{
		{Value: "6379", Context: ptr(ocpp15.ReadingContextTransactionEnd), Format: ptr(ocpp15.ValueFormatRaw),
			Measurand: ptr(ocpp15.MeasurandEnergyActiveImportRegister), Location: ptr(ocpp15.LocationOutlet), Unit: ptr(ocpp15.UnitOfMeasureWh)},
		{Value: "16", Measurand: ptr(ocpp15.MeasurandCurrentImport), Unit: ptr(ocpp15.UnitOfMeasureAmp)},
		{Value: "230", Measurand: ptr(ocpp15.MeasurandVoltage), Unit: ptr(ocpp15.UnitOfMeasureVolt)},
		{Value: "12"},
	}}}
	want := `[{"sampledValue":[` +
		`{"context":"Transaction.End","format":"Raw","location":"Outlet","measurand":"Energy.Active.Import.Register","unit":"Wh","value":"6379"},` +
		`{"measurand":"Current.Import","unit":"A","value":"16"},` +
		`{"measurand":"Voltage","unit":"V","value":"230"},` +
		`{"value":"12"}],"timestamp":"2026-12-07T09:30:15Z"}]`
	mv, err := toJSON15(context.Background(), &ocpp15.MeterValuesRequest{ConnectorID: 1, TransactionID: ptr(42), Values: vals}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := `{"connectorId":1,"meterValue":` + want + `,"transactionId":42}`; string(mv) != w {
		t.Errorf("MeterValues =\n %s\nwant\n %s", mv, w)
	}
	stop, err := toJSON15(context.Background(), &ocpp15.StopTransactionRequest{TransactionID: 42, Timestamp: soaptest.Time,
		MeterStop: 6379, TransactionData: []ocpp15.TransactionData{{Values: vals}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := `{"meterStop":6379,"timestamp":"2026-12-07T09:30:15Z","transactionData":` + want + `,"transactionId":42}`; string(stop) != w {
		t.Errorf("StopTransaction =\n %s\nwant\n %s", stop, w)
	}
}

// TestStatus15 checks 1.5's status model against the domain's states.
func TestStatus15(t *testing.T) {
	busy := func(charging bool) Occupied {
		return func(context.Context, int) (bool, error) { return charging, nil }
	}
	for _, c := range []struct {
		status   ocpp15.ChargePointStatus
		code     ocpp15.ChargePointErrorCode
		occupied Occupied
		want     string
	}{
		{ocpp15.ChargePointStatusOccupied, ocpp15.ChargePointErrorCodeNoError, busy(true), `"errorCode":"NoError","status":"Charging"`},
		{ocpp15.ChargePointStatusOccupied, ocpp15.ChargePointErrorCodeNoError, busy(false), `"errorCode":"NoError","status":"Preparing"`},
		{ocpp15.ChargePointStatusOccupied, ocpp15.ChargePointErrorCodeNoError, nil, `"errorCode":"NoError","status":"Preparing"`},
		{ocpp15.ChargePointStatusFaulted, ocpp15.ChargePointErrorCodeMode3Error, busy(true), `"errorCode":"EVCommunicationError","status":"Faulted"`},
		{ocpp15.ChargePointStatusReserved, ocpp15.ChargePointErrorCodeNoError, busy(false), `"errorCode":"NoError","status":"Reserved"`},
	} {
		got, err := toJSON15(context.Background(), &ocpp15.StatusNotificationRequest{ConnectorID: 2, Status: c.status, ErrorCode: c.code}, c.occupied)
		if err != nil {
			t.Fatal(err)
		}
		if w := `{"connectorId":2,` + c.want + `}`; string(got) != w {
			t.Errorf("%s/%s = %s, want %s", c.status, c.code, got, w)
		}
	}
}

// TestResponses15 fills every 1.5 response from a full 1.6 JSON example:
// the result must be valid 1.5, and a Pending boot becomes Rejected.
func TestResponses15(t *testing.T) {
	by16 := map[string]ocpp16s.Operation{}
	for _, o := range ocpp16s.CentralSystemOperations {
		by16[o.Name] = o
	}
	for _, o := range ocpp15.CentralSystemOperations {
		t.Run(o.Name, func(t *testing.T) {
			r16 := by16[o.Name].NewResponse()
			soaptest.Example(r16, enums16)
			payload, err := toJSON(r16)
			if err != nil {
				t.Fatal(err)
			}
			r15 := o.NewResponse()
			if err := fromJSON15(payload, r15); err != nil {
				t.Fatal(err)
			}
			if err := r15.Validate(); err != nil {
				t.Errorf("1.5 response from %s: %v", payload, err)
			}
		})
	}
	var boot ocpp15.BootNotificationResponse
	if err := fromJSON15([]byte(`{"status":"Pending","currentTime":"2026-12-07T09:30:15Z","interval":300}`), &boot); err != nil {
		t.Fatal(err)
	}
	if boot.Status != ocpp15.RegistrationStatusRejected || boot.HeartbeatInterval != 300 || !boot.CurrentTime.Equal(soaptest.Time) {
		t.Errorf("Pending boot in 1.5 = %+v, want Rejected, interval 300, the time", boot)
	}
}
