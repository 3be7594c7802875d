package ocpp201

import (
	"slices"
	"strconv"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// What a device model report says about the station's connectors, in the
// domain's words (OCPI's). The standardized components and variables are
// OCPP 2.0.1 Part 2 Appendices, 3 "Standardized Components":
//
//   - Connector (evse.id, evse.connectorId) ConnectorType: a
//     ConnectorEnumType value, "plus additionally: cGBT, cChaoJi,
//     OppCharge";
//   - EVSE (evse.id) Power: its variableCharacteristics.maxLimit "holds
//     the maximum power that this EVSE can provide" (the Actual value is
//     the power now, not a rating);
//   - EVSE or Connector SupplyPhases: the number of AC phases, 0 for DC
//     (the connector's wins);
//   - EVSE PhaseRotation: how the EVSE's phases are wired to the grid
//     (RST, SRT, ... as 1.6's ConnectorPhaseRotation; Unknown,
//     NotApplicable and values Joule does not know are left out).
//
// Joule's connector is the EVSE (one connector per EVSE): only connector
// 1 of an EVSE is read.

// connectorEnum maps a ConnectorEnumType value onto OCPI's plug and
// format: a "c" plug is on a captive cable, an "s" one is a socket. The
// rest (s309-1P-32A, the Other* kinds, Pan, wireless, Undetermined,
// Unknown) has no OCPI equivalent.
var connectorEnum = map[string]charging.ConnectorSpec{
	"cCCS1":       {ConnectorType: charging.ConnectorCCS1, Format: charging.FormatCable},
	"cCCS2":       {ConnectorType: charging.ConnectorCCS2, Format: charging.FormatCable},
	"cG105":       {ConnectorType: charging.ConnectorCHAdeMO, Format: charging.FormatCable},
	"cTesla":      {ConnectorType: charging.ConnectorTeslaS, Format: charging.FormatCable},
	"cType1":      {ConnectorType: charging.ConnectorType1, Format: charging.FormatCable},
	"cType2":      {ConnectorType: charging.ConnectorType2, Format: charging.FormatCable},
	"cGBT":        {ConnectorType: charging.ConnectorGBTDC, Format: charging.FormatCable},
	"cChaoJi":     {ConnectorType: charging.ConnectorChaoJi, Format: charging.FormatCable},
	"s309-1P-16A": {ConnectorType: charging.ConnectorIEC60309Single16, Format: charging.FormatSocket},
	"s309-3P-16A": {ConnectorType: charging.ConnectorIEC60309Three16, Format: charging.FormatSocket},
	"s309-3P-32A": {ConnectorType: charging.ConnectorIEC60309Three32, Format: charging.FormatSocket},
	"sBS1361":     {ConnectorType: charging.ConnectorDomesticG, Format: charging.FormatSocket},
	"sCEE-7-7":    {ConnectorType: charging.ConnectorDomesticF, Format: charging.FormatSocket},
	"sType2":      {ConnectorType: charging.ConnectorType2, Format: charging.FormatSocket},
	"sType3":      {ConnectorType: charging.ConnectorType3C, Format: charging.FormatSocket},
}

// connectorReports reads the connectors' specs from reported variables;
// nil when the variables say nothing about them.
func connectorReports(vs []charging.Variable) []charging.ConnectorReport {
	specs := map[int]*charging.ConnectorSpec{}
	phases := map[int]int{} // EVSE's SupplyPhases
	connPhases := map[int]int{}
	spec := func(evse int) *charging.ConnectorSpec {
		if specs[evse] == nil {
			specs[evse] = &charging.ConnectorSpec{}
		}
		return specs[evse]
	}
	for _, v := range vs {
		if v.EVSEID < 1 || v.ComponentInstance != "" || v.VariableInstance != "" {
			continue
		}
		actual := v.AttributeType == "" || v.AttributeType == string(AttributeEnumActual)
		switch {
		case v.Component == "Connector" && v.ConnectorID <= 1 && v.Variable == "ConnectorType" && actual:
			if s, ok := connectorEnum[strings.TrimSpace(v.Value)]; ok {
				sp := spec(v.EVSEID)
				sp.ConnectorType, sp.Format = s.ConnectorType, s.Format
			}
		case v.Component == "Connector" && v.ConnectorID <= 1 && v.Variable == "SupplyPhases" && actual:
			if n, err := strconv.Atoi(strings.TrimSpace(v.Value)); err == nil && charging.PowerTypeOfPhases(n) != "" {
				connPhases[v.EVSEID] = n
				spec(v.EVSEID)
			}
		case v.Component == "EVSE" && v.ConnectorID == 0 && v.Variable == "SupplyPhases" && actual:
			if n, err := strconv.Atoi(strings.TrimSpace(v.Value)); err == nil && charging.PowerTypeOfPhases(n) != "" {
				phases[v.EVSEID] = n
				spec(v.EVSEID)
			}
		case v.Component == "EVSE" && v.ConnectorID == 0 && v.Variable == "PhaseRotation" && actual:
			if r := charging.PhaseRotation(strings.TrimSpace(v.Value)); len(r) == 3 && r.Valid() {
				spec(v.EVSEID).PhaseRotation = r
			}
		case v.Component == "EVSE" && v.ConnectorID == 0 && v.Variable == "Power" && v.MaxLimit != nil && *v.MaxLimit > 0:
			w := *v.MaxLimit
			if strings.EqualFold(v.Unit, "kW") {
				w *= 1000
			}
			if w <= charging.MaxConnectorPowerW {
				spec(v.EVSEID).MaxPowerW = w
			}
		}
	}
	if len(specs) == 0 {
		return nil
	}
	out := make([]charging.ConnectorReport, 0, len(specs))
	for evse, s := range specs {
		if n, ok := connPhases[evse]; ok {
			s.PowerType = charging.PowerTypeOfPhases(n)
		} else if n, ok := phases[evse]; ok {
			s.PowerType = charging.PowerTypeOfPhases(n)
		}
		if *s != (charging.ConnectorSpec{}) {
			out = append(out, charging.ConnectorReport{ConnectorID: evse, Spec: *s})
		}
	}
	slices.SortFunc(out, func(a, b charging.ConnectorReport) int { return a.ConnectorID - b.ConnectorID })
	return out
}
