package ocpp16

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/schematest"
)

// FuzzDecode fuzzes DecodeRequest and DecodeResponse, the decoders of
// inbound CALL and CALLRESULT payloads, across every action; see
// schematest.Suite.Fuzz for what it checks.
func FuzzDecode(f *testing.F) {
	schemas.Fuzz(f,
		schematest.Seed{Action: "MeterValues", IsReq: true, Payload: goldenMeterValues},
		schematest.Seed{Action: "StopTransaction", IsReq: true, Payload: `{"transactionId":1337,"idTag":"04A2B3C4D5E6F7","meterStop":19876,"timestamp":"2024-05-01T13:05:00Z","reason":"EVDisconnected",
	  "transactionData":[
	    {"timestamp":"2024-05-01T12:00:00Z","sampledValue":[{"value":"12345","context":"Transaction.Begin","unit":"Wh"}]},
	    {"timestamp":"2024-05-01T13:05:00Z","sampledValue":[{"value":"19876","context":"Transaction.End","unit":"Wh"}]}]}`},
		schematest.Seed{Action: "BootNotification", IsReq: true, Payload: `{"chargePointVendor":"ACME","chargePointModel":"Wallbox 22","chargePointSerialNumber":"SN-0001","firmwareVersion":"1.2.3","iccid":"8931440400012345678","meterType":"EM340"}`},
		schematest.Seed{Action: "BootNotification", IsReq: true, Payload: `{"chargePointVendor":"A\u00e9\"\\\/\n","chargePointModel":"\ud83d\ude00"}`},
		schematest.Seed{Action: "BootNotification", IsReq: true, Payload: "{\"chargePointVendor\":\"Lades\xe4ule\",\"chargePointModel\":\"\\udc80\"}"},
		schematest.Seed{Action: "StartTransaction", IsReq: true, Payload: `{"connectorId":1,"idTag":"TAG-1","meterStart":0,"timestamp":"2024-05-01t12:00:00.5z","reservationId":7}`},
		schematest.Seed{Action: "StatusNotification", IsReq: true, Payload: `{"connectorId":0,"errorCode":"NoError","status":"Available","timestamp":"2024-05-01T12:00:00+02:00"}`},
		schematest.Seed{Action: "DataTransfer", IsReq: true, Payload: `{"vendorId":"com.example","messageId":"m","data":"{\"a\":1}"}`},
		schematest.Seed{Action: "Heartbeat", IsReq: false, Payload: `{"currentTime":"2024-01-01T00:00:00Z"}`},
		schematest.Seed{Action: "RemoteStopTransaction", IsReq: true, Payload: `{"transactionId":9223372036854775808}`},
		schematest.Seed{Action: "GetConfiguration", IsReq: false, Payload: `{"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"}],"unknownKey":["Foo"]}`},
		schematest.Seed{Action: "SetChargingProfile", IsReq: false, Payload: `{"status":"Accepted"}`},
	)
}
