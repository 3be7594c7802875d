package sim

import (
	"encoding/json"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
)

// OCPP versions for Config.OCPPVersion: the OCPP-J ones spelled as their
// WebSocket subprotocols, the OCPP-S ones as Joule names them
// (charging.OCPP15S, charging.OCPP16S).
const (
	OCPP16  = "ocpp1.6"
	OCPP201 = "ocpp2.0.1"
	// OCPP15S and OCPP16S are OCPP 1.5 and 1.6 over SOAP (soap.go).
	OCPP15S = "ocpp1.5s"
	OCPP16S = "ocpp1.6s"
	// OCPPMixed is for RunFleet only: the chargers cycle through 1.6J,
	// 2.0.1, 1.5 SOAP and 1.6 SOAP by number (SIM-0001 1.6J, SIM-0002
	// 2.0.1, SIM-0003 1.5 SOAP, SIM-0004 1.6 SOAP, SIM-0005 1.6J, ...).
	OCPPMixed = "mixed"
)

// mixedVersions is RunFleet's cycle for OCPPMixed.
var mixedVersions = []string{OCPP16, OCPP201, OCPP15S, OCPP16S}

// Version returns the OCPP version the charger speaks: OCPP16, OCPP201,
// OCPP15S or OCPP16S.
func (c *Charger) Version() string {
	switch c.soapV {
	case soap.V15:
		return OCPP15S
	case soap.V16:
		return OCPP16S
	}
	proto, _ := c.wire()
	return proto
}

// soapVersion is the OCPP-S version of a Config.OCPPVersion ("" for the
// OCPP-J ones).
func soapVersion(v string) soap.Version {
	switch v {
	case OCPP15S:
		return soap.V15
	case OCPP16S:
		return soap.V16
	}
	return ""
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
// charger's CALLs with the charger's version (1.6 for a SOAP charger, whose
// link turns the SOAP answer into 1.6 JSON).
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
