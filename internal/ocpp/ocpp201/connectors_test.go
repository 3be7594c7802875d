package ocpp201

import (
	"reflect"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

func TestConnectorReports(t *testing.T) {
	kw := func(w float64) *float64 { return &w }
	vs := []charging.Variable{
		// EVSE 1: a CCS2 cable of 150 kW, DC (SupplyPhases 0).
		{Component: "Connector", EVSEID: 1, ConnectorID: 1, Variable: "ConnectorType", AttributeType: "Actual", Value: "cCCS2"},
		{Component: "EVSE", EVSEID: 1, Variable: "Power", AttributeType: "Actual", Value: "0", Unit: "W", MaxLimit: kw(150000)},
		{Component: "EVSE", EVSEID: 1, Variable: "Power", AttributeType: "MaxSet", Value: "150000", Unit: "W", MaxLimit: kw(150000)},
		{Component: "EVSE", EVSEID: 1, Variable: "SupplyPhases", AttributeType: "Actual", Value: "0"},
		// EVSE 2: CHAdeMO, its rating in kW; the type reported without an attribute type (Actual).
		{Component: "Connector", EVSEID: 2, ConnectorID: 1, Variable: "ConnectorType", Value: "cG105"},
		{Component: "EVSE", EVSEID: 2, Variable: "Power", Unit: "kW", AttributeType: "Actual", Value: "0", MaxLimit: kw(50)},
		// EVSE 3: a Type 2 socket on 3 phases (the EVSE says 1, the connector 3: the connector wins).
		{Component: "Connector", EVSEID: 3, ConnectorID: 1, Variable: "ConnectorType", AttributeType: "Actual", Value: "sType2"},
		{Component: "EVSE", EVSEID: 3, Variable: "SupplyPhases", AttributeType: "Actual", Value: "1"},
		{Component: "Connector", EVSEID: 3, ConnectorID: 1, Variable: "SupplyPhases", AttributeType: "Actual", Value: "3"},
		// EVSE 3 is wired SRT to the grid.
		{Component: "EVSE", EVSEID: 3, Variable: "PhaseRotation", AttributeType: "Actual", Value: "SRT"},
		// Not read: a second connector of an EVSE, a Target attribute, an
		// unknown plug, an instance, a station-wide Power, no maxLimit.
		{Component: "Connector", EVSEID: 3, ConnectorID: 2, Variable: "ConnectorType", AttributeType: "Actual", Value: "cCCS2"},
		{Component: "Connector", EVSEID: 4, ConnectorID: 1, Variable: "ConnectorType", AttributeType: "Target", Value: "cCCS2"},
		{Component: "Connector", EVSEID: 5, ConnectorID: 1, Variable: "ConnectorType", AttributeType: "Actual", Value: "Pan"},
		{Component: "EVSE", ComponentInstance: "x", EVSEID: 6, Variable: "Power", MaxLimit: kw(1000)},
		{Component: "ChargingStation", Variable: "Power", MaxLimit: kw(300000)},
		{Component: "EVSE", EVSEID: 7, Variable: "Power", AttributeType: "Actual", Value: "11000"},
		// Not read either: a rotation Joule does not know, or not Actual.
		{Component: "EVSE", EVSEID: 8, Variable: "PhaseRotation", AttributeType: "Actual", Value: "L1L2L3"},
		{Component: "EVSE", EVSEID: 9, Variable: "PhaseRotation", AttributeType: "Target", Value: "RTS"},
		{Component: "EVSE", EVSEID: 10, Variable: "PhaseRotation", AttributeType: "Actual", Value: "Unknown"},
	}
	got := connectorReports(vs)
	want := []charging.ConnectorReport{
		{ConnectorID: 1, Spec: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, Format: charging.FormatCable, PowerType: charging.PowerDC, MaxPowerW: 150000}},
		{ConnectorID: 2, Spec: charging.ConnectorSpec{ConnectorType: charging.ConnectorCHAdeMO, Format: charging.FormatCable, MaxPowerW: 50000}},
		{ConnectorID: 3, Spec: charging.ConnectorSpec{ConnectorType: charging.ConnectorType2, Format: charging.FormatSocket, PowerType: charging.PowerAC3Phase,
			PhaseRotation: charging.RotationSRT}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("connectorReports:\ngot  %+v\nwant %+v", got, want)
	}
	if got := connectorReports([]charging.Variable{{Component: "OCPPCommCtrlr", Variable: "HeartbeatInterval", Value: "60"}}); got != nil {
		t.Errorf("connectorReports of a report without connectors = %+v, want nil", got)
	}
}
