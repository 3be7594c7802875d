package sim

import (
	"encoding/json"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// OCPP versions for Config.OCPPVersion, spelled as their WebSocket
// subprotocols.
const (
	OCPP16  = "ocpp1.6"
	OCPP201 = "ocpp2.0.1"
	// OCPPMixed is for RunFleet only: the chargers alternate between 1.6
	// (odd numbers) and 2.0.1 (even numbers).
	OCPPMixed = "mixed"
)

// Version returns the OCPP version the charger speaks (OCPP16 or OCPP201).
func (c *Charger) Version() string {
	proto, _ := c.wire()
	return proto
}

// wire returns the subprotocol the charger offers and the CALLERROR
// dialect of its connections.
func (c *Charger) wire() (string, ocppj.Dialect) {
	if c.v2 != nil {
		return OCPP201, ocppj.Dialect201
	}
	return OCPP16, ocppj.Dialect16
}

// decodeResponse decodes and validates the CSMS's answer to one of the
// charger's CALLs with the charger's version.
func (c *Charger) decodeResponse(action string, raw json.RawMessage) (any, *ocppj.Error) {
	if c.v2 != nil {
		return ocpp201.DecodeResponse(action, raw)
	}
	return ocpp16.DecodeResponse(action, raw)
}

// heartbeatRequest is an empty Heartbeat of the charger's version.
func (c *Charger) heartbeatRequest() any {
	if c.v2 != nil {
		return &ocpp201.HeartbeatRequest{}
	}
	return &ocpp16.HeartbeatRequest{}
}
