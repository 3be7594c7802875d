package ocpp201

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/schematest"
)

// FuzzDecode fuzzes DecodeRequest and DecodeResponse, the decoders of
// inbound CALL and CALLRESULT payloads, across every action; see
// schematest.Suite.Fuzz for what it checks.
func FuzzDecode(f *testing.F) {
	schemas.Fuzz(f,
		schematest.Seed{Action: "MeterValues", IsReq: true, Payload: benchMeterValues},
		schematest.Seed{Action: "BootNotification", IsReq: true, Payload: `{"reason":"PowerUp","chargingStation":{"vendorName":"V","model":"M"}}`},
		schematest.Seed{Action: "TransactionEvent", IsReq: true, Payload: `{"eventType":"Updated","timestamp":"2026-11-25T10:00:00+01:00",
		"triggerReason":"ChargingStateChanged","seqNo":3,"offline":true,"numberOfPhasesUsed":2,"reservationId":7,
		"transactionInfo":{"transactionId":"T-9","chargingState":"SuspendedEV","remoteStartId":12,"stoppedReason":"Other"},
		"evse":{"id":2,"connectorId":1},"idToken":{"idToken":"","type":"NoAuthorization"},
		"meterValue":[{"timestamp":"2026-11-25T10:00:00Z","sampledValue":[
			{"value":7.5,"measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"kWh"}},
			{"value":16,"measurand":"Current.Import","phase":"L1","context":"Trigger"},
			{"value":1.2,"measurand":"Power.Active.Import","unitOfMeasure":{"unit":"W","multiplier":3},"signedMeterValue":{"signedMeterData":"AB","signingMethod":"m","encodingMethod":"e","publicKey":"k"}}]}]}`},
		schematest.Seed{Action: "TransactionEvent", IsReq: true, Payload: `{"eventType":"Updated","timestamp":"2026-11-25T10:00:00Z","triggerReason":"MeterValuePeriodic","seqNo":99,"transactionInfo":{"transactionId":"T-9"}}`},
		schematest.Seed{Action: "DataTransfer", IsReq: true, Payload: `{"vendorId":"com.example","messageId":"m","data":{"a": [1, 2.5e3, "x", null, {"b": true}]}}`},
		schematest.Seed{Action: "DataTransfer", IsReq: false, Payload: `{"status":"Accepted","data":"\ud800"}`},
		schematest.Seed{Action: "StatusNotification", IsReq: true, Payload: `{"timestamp":"2024-05-01T12:00:00.123456789Z","connectorStatus":"Available","evseId":1,"connectorId":1}`},
		schematest.Seed{Action: "Heartbeat", IsReq: false, Payload: `{"currentTime":"2024-01-01T00:00:00Z"}`},
		schematest.Seed{Action: "Authorize", IsReq: true, Payload: "{\"idToken\":{\"idToken\":\"\xff\xfe\",\"type\":\"ISO14443\"}}"},
		schematest.Seed{Action: "SecurityEventNotification", IsReq: true, Payload: `{"type":"StartupOfTheDevice","timestamp":"2024-05-01T12:00:00Z","techInfo":"boot"}`},
	)
}
