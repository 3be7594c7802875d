package ocpp16

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/schematest"
)

// schemas checks the generated decoders against the OCA schemas they were
// generated from, cross-checked with a generic JSON Schema validator.
var schemas = schematest.Suite{
	SchemaFile:     "schemas/ocpp1_6.json",
	NumActions:     39,
	Actions:        Actions,
	NewRequest:     NewRequest,
	NewResponse:    NewResponse,
	DecodeRequest:  DecodeRequest,
	DecodeResponse: DecodeResponse,
}

func TestEveryActionHasRequestAndResponse(t *testing.T) { schemas.EveryActionHasRequestAndResponse(t) }

func TestValidExamples(t *testing.T) { schemas.ValidExamples(t) }

func TestInvalidExamples(t *testing.T) { schemas.InvalidExamples(t) }

// Hand-written golden payloads, shaped like real chargers' messages.

const goldenMeterValues = `{
  "connectorId": 1,
  "transactionId": 1337,
  "meterValue": [{
    "timestamp": "2024-05-01T12:00:00.123+02:00",
    "sampledValue": [
      {"value": "12345.6", "context": "Sample.Periodic", "measurand": "Energy.Active.Import.Register", "location": "Outlet", "unit": "kWh"},
      {"value": "7360", "context": "Sample.Periodic", "measurand": "Power.Active.Import", "location": "Outlet", "unit": "W"},
      {"value": "31.9", "context": "Sample.Periodic", "measurand": "Current.Import", "phase": "L1", "location": "Outlet", "unit": "A"},
      {"value": "230.1", "context": "Sample.Periodic", "measurand": "Voltage", "phase": "L1-N", "location": "Outlet", "unit": "V"},
      {"value": "67", "context": "Sample.Periodic", "format": "Raw", "measurand": "SoC", "location": "EV", "unit": "Percent"}
    ]
  }]
}`

func TestGoldenMeterValues(t *testing.T) {
	m, err := DecodeMeterValuesRequest([]byte(goldenMeterValues))
	if err != nil {
		t.Fatal(err.Code, err.Description)
	}
	if m.ConnectorID != 1 || m.TransactionID == nil || *m.TransactionID != 1337 || len(m.MeterValue) != 1 {
		t.Fatalf("%+v", m)
	}
	mv := m.MeterValue[0]
	if want := time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC); !mv.Timestamp.Equal(want) || mv.Timestamp.Location() != time.UTC {
		t.Errorf("timestamp %v", mv.Timestamp)
	}
	if len(mv.SampledValue) != 5 {
		t.Fatalf("%d sampled values", len(mv.SampledValue))
	}
	sv := mv.SampledValue
	if sv[0].Value != "12345.6" || *sv[0].Measurand != MeasurandEnergyActiveImportRegister || *sv[0].Unit != UnitOfMeasureKWh ||
		*sv[0].Context != ReadingContextSamplePeriodic || *sv[0].Location != LocationOutlet || sv[0].Phase != nil || sv[0].Format != nil {
		t.Errorf("sampledValue[0] = %+v", sv[0])
	}
	if *sv[3].Phase != PhaseL1N || *sv[3].Measurand != MeasurandVoltage || *sv[4].Format != ValueFormatRaw || *sv[4].Location != LocationEV {
		t.Errorf("sampledValue[3..4] = %+v %+v", sv[3], sv[4])
	}
	// Optional enums live in a per-decode slab: changing one must not
	// change another.
	*sv[0].Unit = UnitOfMeasureWh
	if *sv[1].Unit != UnitOfMeasureW || *sv[2].Unit != UnitOfMeasureA {
		t.Error("optional values alias each other")
	}

	bad := strings.Replace(goldenMeterValues, `"measurand": "Current.Import"`, `"measurand": "Foo"`, 1)
	_, err = DecodeMeterValuesRequest([]byte(bad))
	if err == nil || err.Code != ocppj.PropertyConstraintViolation ||
		!strings.HasPrefix(err.Description, `meterValue[0].sampledValue[2].measurand: "Foo" is not one of the allowed values`) {
		t.Errorf("got %+v", err)
	}
}

func TestGoldenStopTransaction(t *testing.T) {
	const payload = `{"transactionId":1337,"idTag":"04A2B3C4D5E6F7","meterStop":19876,"timestamp":"2024-05-01T13:05:00Z","reason":"EVDisconnected",
	  "transactionData":[
	    {"timestamp":"2024-05-01T12:00:00Z","sampledValue":[{"value":"12345","context":"Transaction.Begin","unit":"Wh"}]},
	    {"timestamp":"2024-05-01T13:05:00Z","sampledValue":[{"value":"19876","context":"Transaction.End","unit":"Wh"}]}]}`
	v, err := DecodeRequest("StopTransaction", []byte(payload))
	if err != nil {
		t.Fatal(err.Description)
	}
	m := v.(*StopTransactionRequest)
	if m.TransactionID != 1337 || *m.IDTag != "04A2B3C4D5E6F7" || m.MeterStop != 19876 || *m.Reason != ReasonEVDisconnected {
		t.Errorf("%+v", m)
	}
	var td []MeterValue = m.TransactionData // the same Go type as MeterValues.req's meterValue
	if len(td) != 2 || *td[1].SampledValue[0].Context != ReadingContextTransactionEnd || td[1].SampledValue[0].Value != "19876" {
		t.Errorf("%+v", td)
	}
	_, err = DecodeRequest("StopTransaction", []byte(`{"transactionId":"1337","meterStop":1,"timestamp":"2024-05-01T13:05:00Z"}`))
	if err == nil || err.Code != ocppj.TypeConstraintViolation || !strings.HasPrefix(err.Description, "transactionId: ") {
		t.Errorf("got %+v", err)
	}
}

func TestGoldenBootNotification(t *testing.T) {
	v, err := DecodeRequest("BootNotification", []byte(`{"chargePointVendor":"ACME","chargePointModel":"Wallbox 22","chargePointSerialNumber":"SN-0001","firmwareVersion":"1.2.3","iccid":"8931440400012345678","meterType":"EM340"}`))
	if err != nil {
		t.Fatal(err.Description)
	}
	m := v.(*BootNotificationRequest)
	if m.ChargePointVendor != "ACME" || m.ChargePointModel != "Wallbox 22" || *m.ChargePointSerialNumber != "SN-0001" ||
		*m.Iccid != "8931440400012345678" || m.Imsi != nil || m.ChargeBoxSerialNumber != nil {
		t.Errorf("%+v", m)
	}
	_, err = DecodeRequest("BootNotification", []byte(`{"chargePointVendor":"ACME"}`))
	if err == nil || err.Code != ocppj.OccurrenceConstraintViolation || err.Description != "chargePointModel: required property is missing" {
		t.Errorf("got %+v", err)
	}
	_, err = DecodeRequest("BootNotification", []byte(`{"chargePointVendor":"ACME-Corporation-Intl","chargePointModel":"X"}`))
	if err == nil || err.Code != ocppj.PropertyConstraintViolation {
		t.Errorf("got %+v", err)
	}
	// Escapes are decoded.
	v, err = DecodeRequest("BootNotification", []byte(`{"chargePointVendor":"A\u00e9\"\\\/\n","chargePointModel":"\ud83d\ude00"}`))
	if err != nil {
		t.Fatal(err.Description)
	}
	if m := v.(*BootNotificationRequest); m.ChargePointVendor != "Aé\"\\/\n" || m.ChargePointModel != "😀" {
		t.Errorf("%q %q", m.ChargePointVendor, m.ChargePointModel)
	}

	resp := BootNotificationResponse{Status: RegistrationStatusAccepted, CurrentTime: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Interval: 300}
	if got := string(schematest.JSON(t, &resp)); got != `{"status":"Accepted","currentTime":"2024-05-01T12:00:00Z","interval":300}` {
		t.Errorf("encoded %s", got)
	}
}

func TestValidateOutbound(t *testing.T) {
	byID := map[string]*schematest.Schema{}
	for _, ms := range schematest.Load(t, schemas.SchemaFile) {
		byID[ms.ID] = ms
	}
	cases := []struct {
		v    interface{ Validate() *ocppj.Error }
		id   string
		code ocppj.ErrorCode // "" = valid
	}{
		{&BootNotificationResponse{Status: RegistrationStatusPending, CurrentTime: time.Now().UTC()}, "urn:BootNotification.conf", ""},
		{&BootNotificationResponse{CurrentTime: time.Now().UTC()}, "urn:BootNotification.conf", ocppj.PropertyConstraintViolation},
		{&BootNotificationResponse{Status: "Maybe"}, "urn:BootNotification.conf", ocppj.PropertyConstraintViolation},
		{&RemoteStartTransactionRequest{IDTag: "TAG"}, "urn:RemoteStartTransaction.req", ""},
		{&RemoteStartTransactionRequest{IDTag: strings.Repeat("T", 21)}, "urn:RemoteStartTransaction.req", ocppj.PropertyConstraintViolation},
		{&SetChargingProfileRequest{ConnectorID: 1, CsChargingProfiles: ChargingProfile{
			ChargingProfileID: 1, ChargingProfilePurpose: ChargingProfilePurposeTxDefaultProfile, ChargingProfileKind: ChargingProfileKindAbsolute,
			ChargingSchedule: ChargingSchedule{ChargingRateUnit: ChargingRateUnitA, ChargingSchedulePeriod: []ChargingSchedulePeriod{{StartPeriod: 0, Limit: 16.1}}}}},
			"urn:SetChargingProfile.req", ""},
		{&SetChargingProfileRequest{ConnectorID: 1, CsChargingProfiles: ChargingProfile{
			ChargingProfileID: 1, ChargingProfilePurpose: ChargingProfilePurposeTxDefaultProfile, ChargingProfileKind: ChargingProfileKindAbsolute,
			ChargingSchedule: ChargingSchedule{ChargingRateUnit: ChargingRateUnitA}}},
			"urn:SetChargingProfile.req", ocppj.OccurrenceConstraintViolation}, // nil required slice encodes as null
		{&SetChargingProfileRequest{ConnectorID: 1, CsChargingProfiles: ChargingProfile{
			ChargingProfileID: 1, ChargingProfilePurpose: ChargingProfilePurposeTxDefaultProfile, ChargingProfileKind: ChargingProfileKindAbsolute,
			ChargingSchedule: ChargingSchedule{ChargingRateUnit: ChargingRateUnitA, ChargingSchedulePeriod: []ChargingSchedulePeriod{{Limit: 16.15}}}}},
			"urn:SetChargingProfile.req", ocppj.PropertyConstraintViolation},
		{&GetConfigurationResponse{}, "urn:GetConfiguration.conf", ""},
		{&UpdateFirmwareRequest{Location: "ftp://fw.example.com/v2.bin", RetrieveDate: time.Now().UTC()}, "urn:UpdateFirmware.req", ""},
		{&UpdateFirmwareRequest{Location: "fw.bin", RetrieveDate: time.Now().UTC()}, "urn:UpdateFirmware.req", ocppj.PropertyConstraintViolation},
	}
	for i, c := range cases {
		err := c.v.Validate()
		genErr := byID[c.id].Validate(t, schematest.JSON(t, c.v))
		switch {
		case c.code == "" && (err != nil || genErr != nil):
			t.Errorf("case %d: Validate=%v generic=%v, want valid", i, err, genErr)
		case c.code != "" && (err == nil || err.Code != c.code):
			t.Errorf("case %d: Validate=%+v, want %s", i, err, c.code)
		case c.code != "" && genErr == nil:
			t.Errorf("case %d: generic validator accepts the invalid value", i)
		}
	}
}

func TestIntegerForms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		code ocppj.ErrorCode
	}{
		{"0", 0, ""}, {"-7", -7, ""}, {"7.0", 7, ""}, {"1e3", 1000, ""}, {"9223372036854775807", math.MaxInt64, ""},
		{"-9223372036854775808", math.MinInt64, ""}, {"9223372036854775808", 0, ocppj.PropertyConstraintViolation},
		{"1.5", 0, ocppj.TypeConstraintViolation}, {"01", 0, ocppj.FormatViolation}, {"-", 0, ocppj.FormatViolation},
		{"1.", 0, ocppj.FormatViolation}, {`"1"`, 0, ocppj.TypeConstraintViolation},
	} {
		m, err := DecodeHeartbeatResponse([]byte(`{"currentTime":"2024-01-01T00:00:00Z"}`))
		if err != nil || !m.CurrentTime.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatal(err)
		}
		r, err := DecodeRemoteStopTransactionRequest([]byte(`{"transactionId":` + tc.in + `}`))
		switch {
		case tc.code == "" && (err != nil || r.TransactionID != tc.want):
			t.Errorf("%s: got %v, %v", tc.in, r, err)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("%s: got %v, %+v; want %s", tc.in, r, err, tc.code)
		}
	}
}
