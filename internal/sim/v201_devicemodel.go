package sim

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// dmVar is one variable of the simulated 2.0.1 device model (OCPP 2.0.1
// Part 2, appendix "Standardized components and variables"). Only the
// Actual attribute exists. A variable's value is live (computed from the
// charger's state), backed by the state of a 1.6 configuration key (the
// same intervals and measurands drive both versions), or stored.
type dmVar struct {
	component  string
	perEVSE    bool // one instance per EVSE (component.evse.id 1..N)
	onConn     bool // per EVSE, on its connector 1 (component.evse.connectorId 1): the Connector component
	name       string
	mutability ocpp201.MutabilityEnum
	dataType   ocpp201.DataEnum
	unit       string
	valuesList string
	key16      string                                 // backed by this 1.6 key's state
	live       func(c *Charger, cn *connector) string // computed; callers hold mu
	set        func(c *Charger, v string) bool        // the setter of a live writable variable; callers hold mu
	value      string                                 // initial value of a stored variable
}

const (
	ro = ocpp201.MutabilityEnumReadOnly
	rw = ocpp201.MutabilityEnumReadWrite
	wo = ocpp201.MutabilityEnumWriteOnly // a secret: never read back
)

// measurandList is the valuesList of the Tx*Measurands variables.
var measurandList = func() string {
	s := make([]string, len(measurands))
	for i, m := range measurands {
		s[i] = string(m)
	}
	return strings.Join(s, ",")
}()

// dmVars lists the device model in the order reports give it. It is never
// modified.
var dmVars = []dmVar{
	{component: "AuthCacheCtrlr", name: "Enabled", mutability: rw, dataType: ocpp201.DataEnumBoolean, value: "false"},
	{component: "AuthCtrlr", name: "AuthorizeRemoteStart", mutability: ro, dataType: ocpp201.DataEnumBoolean, value: "false"},
	{component: "AuthCtrlr", name: "LocalPreAuthorize", mutability: rw, dataType: ocpp201.DataEnumBoolean, value: "false"},
	{component: "ChargingStation", name: "AvailabilityState", mutability: ro, dataType: ocpp201.DataEnumOptionList,
		valuesList: "Available,Occupied,Reserved,Unavailable,Faulted", live: stationAvailability},
	{component: "ChargingStation", name: "Model", mutability: ro, dataType: ocpp201.DataEnumString,
		live: func(c *Charger, _ *connector) string { return c.cfg.Model }},
	{component: "ChargingStation", name: "VendorName", mutability: ro, dataType: ocpp201.DataEnumString,
		live: func(c *Charger, _ *connector) string { return c.cfg.Vendor }},
	// What each connector is (Part 2 Appendices, Connector component):
	// Joule reads these, with EVSE.Power's maxLimit, as the connector's
	// type and rating.
	{component: "Connector", perEVSE: true, onConn: true, name: "ConnectorType", mutability: ro, dataType: ocpp201.DataEnumString,
		live: func(_ *Charger, cn *connector) string { return cn.outlet.Type }},
	{component: "Connector", perEVSE: true, onConn: true, name: "SupplyPhases", mutability: ro, dataType: ocpp201.DataEnumInteger,
		live: func(_ *Charger, cn *connector) string { return strconv.Itoa(cn.outlet.Phases) }},
	{component: "EVSE", perEVSE: true, name: "AvailabilityState", mutability: ro, dataType: ocpp201.DataEnumOptionList,
		valuesList: "Available,Occupied,Reserved,Unavailable,Faulted",
		live:       func(_ *Charger, cn *connector) string { return string(connectorStatus201(cn.status)) }},
	// Power's Actual value is the power now; its maxLimit (reportData) is
	// the EVSE's rating.
	{component: "EVSE", perEVSE: true, name: "Power", mutability: ro, dataType: ocpp201.DataEnumDecimal, unit: "W",
		live: func(c *Charger, cn *connector) string {
			c.advance(cn, c.now())
			return strconv.FormatFloat(math.Round(cn.powerW), 'f', 0, 64)
		}},
	{component: "EVSE", perEVSE: true, name: "SupplyPhases", mutability: ro, dataType: ocpp201.DataEnumInteger,
		live: func(_ *Charger, cn *connector) string { return strconv.Itoa(cn.outlet.Phases) }},
	{component: "OCPPCommCtrlr", name: "HeartbeatInterval", mutability: rw, dataType: ocpp201.DataEnumInteger, unit: "s", key16: keyHeartbeatInterval},
	{component: "SampledDataCtrlr", name: "TxEndedMeasurands", mutability: rw, dataType: ocpp201.DataEnumMemberList,
		valuesList: measurandList, value: string(ocpp16.MeasurandEnergyActiveImportRegister)},
	{component: "SampledDataCtrlr", name: "TxStartedMeasurands", mutability: rw, dataType: ocpp201.DataEnumMemberList,
		valuesList: measurandList, value: string(ocpp16.MeasurandEnergyActiveImportRegister)},
	{component: "SampledDataCtrlr", name: "TxUpdatedInterval", mutability: rw, dataType: ocpp201.DataEnumInteger, unit: "s", key16: keySampleInterval},
	{component: "SampledDataCtrlr", name: "TxUpdatedMeasurands", mutability: rw, dataType: ocpp201.DataEnumMemberList,
		valuesList: measurandList, key16: keySampledData},
	{component: "SecurityCtrlr", name: "BasicAuthPassword", mutability: wo, dataType: ocpp201.DataEnumString,
		live: func(*Charger, *connector) string { return "" }, set: setBasicAuthPassword},
	{component: "SecurityCtrlr", name: "CertificateEntries", mutability: ro, dataType: ocpp201.DataEnumInteger, live: certificateEntriesVar},
	{component: "SecurityCtrlr", name: "OrganizationName", mutability: rw, dataType: ocpp201.DataEnumString,
		live: organizationNameVar, set: setOrganizationName},
	// The profile changes with SetNetworkProfile in 2.0.1, which the
	// simulator does not support: read-only here.
	{component: "SecurityCtrlr", name: "SecurityProfile", mutability: ro, dataType: ocpp201.DataEnumInteger, live: securityProfileVar},
	{component: "TxCtrlr", name: "EVConnectionTimeOut", mutability: rw, dataType: ocpp201.DataEnumInteger, unit: "s", value: "60"},
	// The simulator starts a transaction when it is authorized and ends it
	// when the EV leaves or the driver (or the CSMS) stops it.
	{component: "TxCtrlr", name: "TxStartPoint", mutability: ro, dataType: ocpp201.DataEnumMemberList, value: "Authorized"},
	{component: "TxCtrlr", name: "TxStopPoint", mutability: ro, dataType: ocpp201.DataEnumMemberList, value: "EVConnected,Authorized"},
}

func defaultVars() map[string]string {
	m := map[string]string{}
	for _, k := range dmVars {
		if k.key16 == "" && k.live == nil {
			m[k.component+"."+k.name] = k.value
		}
	}
	return m
}

// stationAvailability is ChargingStation.AvailabilityState: Unavailable
// when every EVSE is, else Available.
func stationAvailability(c *Charger, _ *connector) string {
	for _, cn := range c.connectors[1:] {
		if !cn.inoperative {
			return string(ocpp201.ConnectorStatusEnumAvailable)
		}
	}
	return string(ocpp201.ConnectorStatusEnumUnavailable)
}

// lookupVar finds the variable a request designates and, for a per-EVSE
// one, its EVSE. unknown is "" when found, else "UnknownComponent" or
// "UnknownVariable" (the same words in GetVariableStatusEnum and
// SetVariableStatusEnum). Instances are not modelled. Callers hold mu.
func (c *Charger) lookupVar(comp ocpp201.Component, v ocpp201.Variable) (k dmVar, cn *connector, unknown string) {
	known := false
	for _, k := range dmVars {
		if k.component != comp.Name || comp.Instance != nil || k.perEVSE != (comp.Evse != nil) {
			continue
		}
		if k.perEVSE {
			cn = c.connector(comp.Evse.ID)
			if cn == nil || (comp.Evse.ConnectorID != nil && *comp.Evse.ConnectorID != 1) || (k.onConn && comp.Evse.ConnectorID == nil) {
				continue
			}
		}
		known = true
		if k.name == v.Name && v.Instance == nil {
			return k, cn, ""
		}
	}
	if !known {
		return dmVar{}, nil, "UnknownComponent"
	}
	return dmVar{}, nil, "UnknownVariable"
}

// varValue reads a variable. Callers hold mu.
func (c *Charger) varValue(k dmVar, cn *connector) string {
	switch {
	case k.live != nil:
		return k.live(c, cn)
	case k.key16 != "":
		return c.keyValue(keyDef{name: k.key16})
	}
	return c.v2.vars[k.component+"."+k.name]
}

func (c *Charger) getVariables201(r *ocpp201.GetVariablesRequest) *ocpp201.GetVariablesResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp := &ocpp201.GetVariablesResponse{}
	for _, d := range r.GetVariableData {
		res := ocpp201.GetVariableResult{Component: d.Component, Variable: d.Variable, AttributeType: d.AttributeType}
		k, cn, unknown := c.lookupVar(d.Component, d.Variable)
		switch {
		case unknown != "":
			res.AttributeStatus = ocpp201.GetVariableStatusEnum(unknown)
		case d.AttributeType != nil && *d.AttributeType != ocpp201.AttributeEnumActual:
			res.AttributeStatus = ocpp201.GetVariableStatusEnumNotSupportedAttributeType
		case k.mutability == wo:
			res.AttributeStatus = ocpp201.GetVariableStatusEnumRejected // B06: a WriteOnly value is not reported
		default:
			res.AttributeStatus = ocpp201.GetVariableStatusEnumAccepted
			res.AttributeValue = ptr(c.varValue(k, cn))
		}
		resp.GetVariableResult = append(resp.GetVariableResult, res)
	}
	return resp
}

func (c *Charger) setVariables201(r *ocpp201.SetVariablesRequest) *ocpp201.SetVariablesResponse {
	resp := &ocpp201.SetVariablesResponse{}
	for _, d := range r.SetVariableData {
		status := c.setVariable201(d)
		value := d.AttributeValue
		if d.Component.Name == "SecurityCtrlr" && d.Variable.Name == "BasicAuthPassword" {
			value = "(secret)" // A01.FR.09: no passwords in logs
		}
		c.log.Info("variable change", "component", d.Component.Name, "variable", d.Variable.Name,
			"value", value, "status", string(status))
		resp.SetVariableResult = append(resp.SetVariableResult, ocpp201.SetVariableResult{
			Component: d.Component, Variable: d.Variable, AttributeType: d.AttributeType, AttributeStatus: status,
		})
	}
	return resp
}

// setVariable201 applies one SetVariableData (B05): read-only variables
// and values of the wrong type are Rejected. Variables backed by a 1.6 key
// go through setKey, so that a new TxUpdatedInterval reschedules the
// samples exactly as a new MeterValueSampleInterval does.
func (c *Charger) setVariable201(d ocpp201.SetVariableData) ocpp201.SetVariableStatusEnum {
	c.mu.Lock()
	k, _, unknown := c.lookupVar(d.Component, d.Variable)
	c.mu.Unlock()
	switch {
	case unknown != "":
		return ocpp201.SetVariableStatusEnum(unknown)
	case d.AttributeType != nil && *d.AttributeType != ocpp201.AttributeEnumActual:
		return ocpp201.SetVariableStatusEnumNotSupportedAttributeType
	case k.mutability == ro:
		return ocpp201.SetVariableStatusEnumRejected
	case k.set != nil:
		c.mu.Lock()
		ok := k.set(c, d.AttributeValue)
		c.mu.Unlock()
		if !ok {
			return ocpp201.SetVariableStatusEnumRejected
		}
		return ocpp201.SetVariableStatusEnumAccepted
	case k.key16 != "":
		if c.setKey(k.key16, d.AttributeValue) != ocpp16.ConfigurationStatusAccepted {
			return ocpp201.SetVariableStatusEnumRejected
		}
		return ocpp201.SetVariableStatusEnumAccepted
	}
	v := strings.TrimSpace(d.AttributeValue)
	if !validVar(k, v) {
		return ocpp201.SetVariableStatusEnumRejected
	}
	c.mu.Lock()
	c.v2.vars[k.component+"."+k.name] = v
	c.mu.Unlock()
	return ocpp201.SetVariableStatusEnumAccepted
}

// validVar checks a value against a stored variable's data type.
func validVar(k dmVar, v string) bool {
	switch k.dataType {
	case ocpp201.DataEnumBoolean:
		return v == "true" || v == "false"
	case ocpp201.DataEnumInteger:
		n, err := strconv.Atoi(v)
		return err == nil && n >= 0
	case ocpp201.DataEnumMemberList:
		allowed := strings.Split(k.valuesList, ",")
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" && !slices.Contains(allowed, f) {
				return false
			}
		}
	}
	return true
}

// baseReport201 answers GetBaseReport (B07) and queues the report as
// NotifyReport messages, split in two parts (seqNo 0 with tbc true, then
// seqNo 1) so that a CSMS's handling of tbc is exercised.
// ConfigurationInventory reports the writable variables,
// SummaryInventory the availability ones, FullInventory all.
func (c *Charger) baseReport201(r *ocpp201.GetBaseReportRequest) *ocpp201.GetBaseReportResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var data []ocpp201.ReportData
	for _, k := range dmVars {
		switch {
		case r.ReportBase == ocpp201.ReportBaseEnumConfigurationInventory && k.mutability == ro,
			r.ReportBase == ocpp201.ReportBaseEnumSummaryInventory && k.name != "AvailabilityState":
			continue
		}
		if !k.perEVSE {
			data = append(data, c.reportData(k, nil))
			continue
		}
		for _, cn := range c.connectors[1:] {
			data = append(data, c.reportData(k, cn))
		}
	}
	if len(data) == 0 {
		return &ocpp201.GetBaseReportResponse{Status: ocpp201.GenericDeviceModelStatusEnumEmptyResultSet}
	}
	parts := [][]ocpp201.ReportData{data}
	if len(data) > 1 {
		half := (len(data) + 1) / 2
		parts = [][]ocpp201.ReportData{data[:half], data[half:]}
	}
	at := c.timestamp()
	for i, p := range parts {
		c.push(&message{action: "NotifyReport", req: &ocpp201.NotifyReportRequest{
			RequestID:   r.RequestID,
			GeneratedAt: at,
			ReportData:  p,
			Tbc:         ptr(i < len(parts)-1),
			SeqNo:       i,
		}})
	}
	c.holdUntil = time.Now().Add(followUpDelay)
	c.log.Info("base report requested", "base", string(r.ReportBase), "request_id", r.RequestID, "variables", len(data))
	return &ocpp201.GetBaseReportResponse{Status: ocpp201.GenericDeviceModelStatusEnumAccepted}
}

// reportData describes one variable instance. Callers hold mu.
func (c *Charger) reportData(k dmVar, cn *connector) ocpp201.ReportData {
	comp := ocpp201.Component{Name: k.component}
	if cn != nil {
		comp.Evse = &ocpp201.EVSE{ID: cn.id}
		if k.onConn {
			comp.Evse.ConnectorID = ptr(1)
		}
	}
	chars := &ocpp201.VariableCharacteristics{DataType: k.dataType}
	if k.unit != "" {
		chars.Unit = ptr(k.unit)
	}
	if k.valuesList != "" {
		chars.ValuesList = ptr(k.valuesList)
	}
	if k.component == "EVSE" && k.name == "Power" {
		chars.MaxLimit = ptr(cn.outlet.MaxPowerW)
	}
	var value *string
	if k.mutability != wo {
		value = ptr(c.varValue(k, cn))
	}
	return ocpp201.ReportData{
		Component: comp,
		Variable:  ocpp201.Variable{Name: k.name},
		VariableAttribute: []ocpp201.VariableAttribute{{
			Type:       ptr(ocpp201.AttributeEnumActual),
			Value:      value,
			Mutability: ptr(k.mutability),
		}},
		VariableCharacteristics: chars,
	}
}
