package ocpp201

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// This file implements the typed station-management commands
// (gateway.StationCommands, charging.StationCommander without the charger
// id) for 2.0.1 stations. The domain speaks 1.6's words; each command is
// translated to its 2.0.1 use case here and the answer translated back:
//
//	Reset hard|soft              Reset Immediate|OnIdle (B11/B12)
//	UnlockConnector n            UnlockConnector evseId n, connectorId 1 (F05)
//	ChangeAvailability n|0       ChangeAvailability evse n | whole station (G03/G04)
//	GetConfiguration keys        GetVariables (B06), keys "Component.Variable"
//	GetConfiguration (no keys)   GetBaseReport FullInventory (B07), answered
//	                             from the NotifyReports it causes
//	ChangeConfiguration          SetVariables (B05), one variable
//	TriggerMessage               TriggerMessage (F06); DiagnosticsStatusNotification
//	                             is LogStatusNotification
//	ReserveNow/CancelReservation ReserveNow (H01, idToken Central)/CancelReservation (H02)
//	SetChargingProfile ...       SetChargingProfile (K01), ClearChargingProfile (K10),
//	                             GetCompositeSchedule (K08); ChargePointMaxProfile
//	                             is ChargingStationMaxProfile
//
// Domain bookkeeping for the typed commands happens in csms, which called
// them; generic commands are booked through answered (see bookkeep).
//
// Configuration keys. A 2.0.1 station has no flat key list but a device
// model of components and variables; a key names one variable:
//
//	Component[#instance][@evse[:connector]].Variable[#instance]
//
// e.g. "SampledDataCtrlr.TxUpdatedInterval" or "EVSE@1.AvailabilityState".
// Only the Actual attribute is read and written. Names and instances that
// contain '.', '@', '#' or ':' cannot be addressed this way.

// Reset sends Reset Immediate (hard) or OnIdle (soft) for the whole
// station. The answer is Accepted, Rejected or Scheduled (OnIdle while a
// transaction runs).
func (s *Station) Reset(ctx context.Context, hard bool) (charging.CommandStatus, error) {
	req := &ResetRequest{Type: ResetEnumOnIdle}
	if hard {
		req.Type = ResetEnumImmediate
	}
	resp, err := call[ResetResponse](ctx, s, "Reset", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// UnlockConnector sends UnlockConnector for EVSE connectorID, connector 1
// (the domain's connector N is EVSE N). The answer is passed on as the
// station gave it: Unlocked, UnlockFailed, OngoingAuthorizedTransaction or
// UnknownConnector.
func (s *Station) UnlockConnector(ctx context.Context, connectorID int) (charging.CommandStatus, error) {
	if connectorID < 1 {
		return "", charging.Errorf(charging.EINVALID, "UnlockConnector: OCPP 2.0.1 unlocks a connector of an EVSE; evseId must be 1 or more, got %d", connectorID)
	}
	resp, err := call[UnlockConnectorResponse](ctx, s, "UnlockConnector", &UnlockConnectorRequest{EvseID: connectorID, ConnectorID: 1})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ChangeAvailability sends ChangeAvailability Operative or Inoperative for
// EVSE connectorID, or the whole station for 0.
func (s *Station) ChangeAvailability(ctx context.Context, connectorID int, operative bool) (charging.CommandStatus, error) {
	req := &ChangeAvailabilityRequest{OperationalStatus: OperationalStatusEnumInoperative}
	if operative {
		req.OperationalStatus = OperationalStatusEnumOperative
	}
	if connectorID > 0 {
		req.Evse = &EVSE{ID: connectorID}
	}
	resp, err := call[ChangeAvailabilityResponse](ctx, s, "ChangeAvailability", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// GetConfiguration reads variables with GetVariables. With no keys it
// asks for a full base report (GetBaseReport FullInventory) and waits for
// the NotifyReports it causes (until the one without tbc, or until ctx
// ends): every variable's Actual value, ReadOnly ones as readonly. Those
// NotifyReports are stored as the device model, as any report is.
//
// GetVariables does not say whether a variable is writable, so keys read
// by name are reported as not readonly. A variable the station refuses to
// read (Rejected) is given without a value; an unknown component or
// variable, or one without an Actual attribute, is an unknown key.
func (s *Station) GetConfiguration(ctx context.Context, keys []string) (charging.ConfigurationReport, error) {
	if len(keys) == 0 {
		return s.baseReport(ctx)
	}
	req := &GetVariablesRequest{GetVariableData: make([]GetVariableData, 0, len(keys))}
	for _, k := range keys {
		comp, v, err := parseKey(k)
		if err != nil {
			return charging.ConfigurationReport{}, err
		}
		req.GetVariableData = append(req.GetVariableData, GetVariableData{Component: comp, Variable: v})
	}
	resp, err := call[GetVariablesResponse](ctx, s, "GetVariables", req)
	if err != nil {
		return charging.ConfigurationReport{}, err
	}
	return getVariablesReport(resp), nil
}

func getVariablesReport(resp *GetVariablesResponse) charging.ConfigurationReport {
	out := charging.ConfigurationReport{Keys: []charging.ConfigurationKey{}}
	for _, r := range resp.GetVariableResult {
		if r.AttributeType != nil && *r.AttributeType != AttributeEnumActual {
			continue // Joule asks for Actual only
		}
		key := formatKey(r.Component, r.Variable)
		switch r.AttributeStatus {
		case GetVariableStatusEnumAccepted:
			out.Keys = append(out.Keys, charging.ConfigurationKey{Key: key, Value: r.AttributeValue})
		case GetVariableStatusEnumRejected:
			out.Keys = append(out.Keys, charging.ConfigurationKey{Key: key})
		default: // UnknownComponent, UnknownVariable, NotSupportedAttributeType
			out.UnknownKeys = append(out.UnknownKeys, key)
		}
	}
	return out
}

// baseReport asks for a FullInventory report and collects it.
func (s *Station) baseReport(ctx context.Context) (charging.ConfigurationReport, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, reportTimeout)
		defer cancel()
	}
	id := int(s.requestID.Add(1))
	w := s.reports.wait(id)
	defer s.reports.drop(id)
	resp, err := call[GetBaseReportResponse](ctx, s, "GetBaseReport", &GetBaseReportRequest{RequestID: id, ReportBase: ReportBaseEnumFullInventory})
	if err != nil {
		return charging.ConfigurationReport{}, err
	}
	switch resp.Status {
	case GenericDeviceModelStatusEnumAccepted:
	case GenericDeviceModelStatusEnumEmptyResultSet:
		return charging.ConfigurationReport{Keys: []charging.ConfigurationKey{}}, nil
	default:
		return charging.ConfigurationReport{}, charging.Errorf(charging.EREJECTED,
			"charger %s answered GetBaseReport (to read its whole configuration) with %s", s.id, resp.Status)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		return charging.ConfigurationReport{}, charging.Errorf(charging.ETIMEOUT,
			"charger %s accepted GetBaseReport but did not send the whole report in time", s.id)
	}
	out := charging.ConfigurationReport{Keys: []charging.ConfigurationKey{}}
	for _, v := range w.vars {
		if v.AttributeType != "" && v.AttributeType != string(AttributeEnumActual) {
			continue
		}
		k := charging.ConfigurationKey{Key: variableKey(v), Readonly: v.Mutability == string(MutabilityEnumReadOnly)}
		if v.Mutability != string(MutabilityEnumWriteOnly) {
			val := v.Value
			k.Value = &val
		}
		out.Keys = append(out.Keys, k)
	}
	return out, nil
}

// reportWaiters hands the NotifyReports of a GetBaseReport to the
// GetConfiguration waiting for them. The zero value is ready to use.
type reportWaiters struct {
	mu sync.Mutex
	m  map[int]*reportWait // by requestId
}

type reportWait struct {
	vars []charging.Variable
	done chan struct{} // closed by the last part (tbc false)
}

func (r *reportWaiters) wait(requestID int) *reportWait {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[int]*reportWait{}
	}
	w := &reportWait{done: make(chan struct{})}
	r.m[requestID] = w
	return w
}

func (r *reportWaiters) drop(requestID int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, requestID)
}

// deliver passes a stored NotifyReport to its waiter, if any.
func (r *reportWaiters) deliver(n *NotifyReportRequest, vs []charging.Variable) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.m[n.RequestID]
	if w == nil {
		return
	}
	w.vars = append(w.vars, vs...)
	if !deref(n.Tbc) {
		close(w.done)
		delete(r.m, n.RequestID)
	}
}

// ChangeConfiguration sets one variable with SetVariables. The
// SetVariableStatus maps to the domain's ChangeConfiguration answers:
// Accepted, Rejected and RebootRequired as they are; UnknownComponent,
// UnknownVariable and NotSupportedAttributeType are NotSupported.
func (s *Station) ChangeConfiguration(ctx context.Context, key, value string) (charging.CommandStatus, error) {
	comp, v, err := parseKey(key)
	if err != nil {
		return "", err
	}
	resp, err := call[SetVariablesResponse](ctx, s, "SetVariables", &SetVariablesRequest{
		SetVariableData: []SetVariableData{{Component: comp, Variable: v, AttributeValue: value}}})
	if err != nil {
		return "", err
	}
	if len(resp.SetVariableResult) == 0 {
		return "", charging.Errorf(charging.EINTERNAL, "charger %s answered SetVariables without a result", s.id)
	}
	return setVariableStatus(resp.SetVariableResult[0].AttributeStatus), nil
}

func setVariableStatus(st SetVariableStatusEnum) charging.CommandStatus {
	switch st {
	case SetVariableStatusEnumAccepted, SetVariableStatusEnumRejected, SetVariableStatusEnumRebootRequired:
		return charging.CommandStatus(st)
	}
	return "NotSupported"
}

// triggers maps the domain's (1.6) MessageTrigger names to 2.0.1's.
var triggers = map[string]MessageTriggerEnum{
	"BootNotification":              MessageTriggerEnumBootNotification,
	"DiagnosticsStatusNotification": MessageTriggerEnumLogStatusNotification,
	"FirmwareStatusNotification":    MessageTriggerEnumFirmwareStatusNotification,
	"Heartbeat":                     MessageTriggerEnumHeartbeat,
	"MeterValues":                   MessageTriggerEnumMeterValues,
	"StatusNotification":            MessageTriggerEnumStatusNotification,
}

// TriggerMessage sends TriggerMessage. The 1.6 names are translated
// (DiagnosticsStatusNotification is LogStatusNotification); a 2.0.1 name
// (TransactionEvent, LogStatusNotification, ...) is taken as it is.
// connectorID > 0 designates EVSE connectorID (connector 1 for a
// StatusNotification, which is per connector).
func (s *Station) TriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error) {
	m, ok := triggers[message]
	if !ok {
		m = MessageTriggerEnum(message)
	}
	return s.trigger(ctx, m, connectorID)
}

// trigger sends TriggerMessage m, for EVSE connectorID when > 0.
func (s *Station) trigger(ctx context.Context, m MessageTriggerEnum, connectorID int) (charging.CommandStatus, error) {
	req := &TriggerMessageRequest{RequestedMessage: m}
	if connectorID > 0 {
		req.Evse = &EVSE{ID: connectorID}
		if m == MessageTriggerEnumStatusNotification {
			one := 1
			req.Evse.ConnectorID = &one
		}
	}
	resp, err := call[TriggerMessageResponse](ctx, s, "TriggerMessage", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// ReserveNow sends ReserveNow for EVSE r.ConnectorID with the id tag as a
// Central idToken (and the parent as groupIdToken). The answers are 1.6's:
// Accepted, Faulted, Occupied, Rejected, Unavailable.
func (s *Station) ReserveNow(ctx context.Context, r charging.Reservation) (charging.CommandStatus, error) {
	resp, err := call[ReserveNowResponse](ctx, s, "ReserveNow", reserveNowRequest(r))
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

func reserveNowRequest(r charging.Reservation) *ReserveNowRequest {
	req := &ReserveNowRequest{ID: r.ID, ExpiryDateTime: r.ExpiresAt.UTC(), IDToken: IDToken{IDToken: r.IDTag, Type: IDTokenEnumCentral}}
	if r.ConnectorID > 0 {
		n := r.ConnectorID
		req.EvseID = &n
	}
	if r.ParentIDTag != "" {
		req.GroupIDToken = &IDToken{IDToken: r.ParentIDTag, Type: IDTokenEnumCentral}
	}
	return req
}

// CancelReservation sends CancelReservation.
func (s *Station) CancelReservation(ctx context.Context, reservationID int) (charging.CommandStatus, error) {
	resp, err := call[CancelReservationResponse](ctx, s, "CancelReservation", &CancelReservationRequest{ReservationID: reservationID})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// SetChargingProfile sends SetChargingProfile for EVSE connectorID (0:
// the station).
func (s *Station) SetChargingProfile(ctx context.Context, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	cp, err := toProfile(p)
	if err != nil {
		return "", err
	}
	if cp.ChargingProfilePurpose == ChargingProfilePurposeEnumChargingStationMaxProfile && connectorID != 0 {
		return "", charging.Errorf(charging.EINVALID, "SetChargingProfile: a ChargingStationMaxProfile applies to evseId 0 in OCPP 2.0.1 (K01.FR.38)")
	}
	if cp.ChargingProfilePurpose == ChargingProfilePurposeEnumTxProfile && (connectorID == 0 || cp.TransactionID == nil) {
		return "", charging.Errorf(charging.EINVALID, "SetChargingProfile: a TxProfile needs an EVSE and a transactionId in OCPP 2.0.1 (K01.FR.03)")
	}
	resp, err := call[SetChargingProfileResponse](ctx, s, "SetChargingProfile", &SetChargingProfileRequest{EvseID: connectorID, ChargingProfile: cp})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// purpose201 maps the domain's (1.6) profile purposes to 2.0.1's.
var purpose201 = map[string]ChargingProfilePurposeEnum{
	charging.PurposeChargePointMax: ChargingProfilePurposeEnumChargingStationMaxProfile,
	charging.PurposeTxDefault:      ChargingProfilePurposeEnumTxDefaultProfile,
	charging.PurposeTx:             ChargingProfilePurposeEnumTxProfile,
}

func toPurpose(p string) (ChargingProfilePurposeEnum, error) {
	if v, ok := purpose201[p]; ok {
		return v, nil
	}
	return "", charging.Errorf(charging.EINVALID, "charging profile purpose %q has no OCPP 2.0.1 equivalent", p)
}

// fromPurpose maps a 2.0.1 purpose to the domain's; ok is false for
// ChargingStationExternalConstraints, which the domain does not have.
func fromPurpose(p ChargingProfilePurposeEnum) (string, bool) {
	for k, v := range purpose201 {
		if v == p {
			return k, true
		}
	}
	return "", false
}

// toProfile converts a domain profile to a 2.0.1 chargingProfile: its one
// schedule becomes the chargingSchedule array's only element, with the
// profile's id (2.0.1 schedules have their own id).
func toProfile(p charging.ChargingProfile) (ChargingProfile, error) {
	purpose, err := toPurpose(p.Purpose)
	if err != nil {
		return ChargingProfile{}, err
	}
	out := ChargingProfile{
		ID: p.ID, StackLevel: p.StackLevel, ChargingProfilePurpose: purpose,
		ChargingProfileKind: ChargingProfileKindEnum(p.Kind), ValidFrom: p.ValidFrom, ValidTo: p.ValidTo,
		ChargingSchedule: []ChargingSchedule{{
			ID: p.ID, StartSchedule: p.Schedule.StartSchedule, Duration: p.Schedule.DurationS,
			ChargingRateUnit: ChargingRateUnitEnum(p.Schedule.RateUnit), MinChargingRate: p.Schedule.MinChargingRate,
		}},
	}
	if p.RecurrencyKind != "" {
		k := RecurrencyKindEnum(p.RecurrencyKind)
		out.RecurrencyKind = &k
	}
	if p.TransactionID != "" {
		if len(p.TransactionID) > 36 {
			return out, charging.Errorf(charging.EINVALID, "transaction id %q is not an OCPP 2.0.1 transactionId (at most 36 characters)", p.TransactionID)
		}
		tx := p.TransactionID
		out.TransactionID = &tx
	}
	for _, per := range p.Schedule.Periods {
		out.ChargingSchedule[0].ChargingSchedulePeriod = append(out.ChargingSchedule[0].ChargingSchedulePeriod,
			ChargingSchedulePeriod{StartPeriod: per.StartPeriodS, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return out, nil
}

// fromProfile converts a 2.0.1 chargingProfile to a domain profile (its
// first schedule); ok is false when the domain cannot hold it.
func fromProfile(p ChargingProfile) (charging.ChargingProfile, bool) {
	purpose, ok := fromPurpose(p.ChargingProfilePurpose)
	if !ok || len(p.ChargingSchedule) == 0 {
		return charging.ChargingProfile{}, false
	}
	sch := p.ChargingSchedule[0]
	out := charging.ChargingProfile{
		ID: p.ID, StackLevel: p.StackLevel, Purpose: purpose, Kind: string(p.ChargingProfileKind),
		RecurrencyKind: string(deref(p.RecurrencyKind)), ValidFrom: p.ValidFrom, ValidTo: p.ValidTo,
		TransactionID: deref(p.TransactionID),
		Schedule: charging.ChargingSchedule{DurationS: sch.Duration, StartSchedule: sch.StartSchedule,
			RateUnit: string(sch.ChargingRateUnit), MinChargingRate: sch.MinChargingRate, Periods: periods(sch.ChargingSchedulePeriod)},
	}
	return out, true
}

func periods(ps []ChargingSchedulePeriod) []charging.SchedulePeriod {
	out := make([]charging.SchedulePeriod, 0, len(ps))
	for _, per := range ps {
		out = append(out, charging.SchedulePeriod{StartPeriodS: per.StartPeriod, Limit: per.Limit, NumberPhases: per.NumberPhases})
	}
	return out
}

// ClearChargingProfile sends ClearChargingProfile: by chargingProfileId, or
// by criteria (evseId, purpose, stackLevel); a zero filter clears every
// profile (no id, no criteria).
func (s *Station) ClearChargingProfile(ctx context.Context, f charging.ProfileFilter) (charging.CommandStatus, error) {
	req, err := clearRequest(f)
	if err != nil {
		return "", err
	}
	resp, err := call[ClearChargingProfileResponse](ctx, s, "ClearChargingProfile", req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

func clearRequest(f charging.ProfileFilter) (*ClearChargingProfileRequest, error) {
	req := &ClearChargingProfileRequest{}
	if f.ID != 0 {
		id := f.ID
		req.ChargingProfileID = &id
		return req, nil
	}
	if f.ConnectorID == nil && f.Purpose == "" && f.StackLevel == nil {
		return req, nil
	}
	c := &ClearChargingProfile{EvseID: f.ConnectorID, StackLevel: f.StackLevel}
	if f.Purpose != "" {
		p, err := toPurpose(f.Purpose)
		if err != nil {
			return nil, err
		}
		c.ChargingProfilePurpose = &p
	}
	req.ChargingProfileCriteria = c
	return req, nil
}

// GetCompositeSchedule sends GetCompositeSchedule for EVSE connectorID (0:
// the station's grid connection) and translates the schedule back.
func (s *Station) GetCompositeSchedule(ctx context.Context, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	req := &GetCompositeScheduleRequest{EvseID: connectorID, Duration: durationS}
	if unit != "" {
		u := ChargingRateUnitEnum(unit)
		req.ChargingRateUnit = &u
	}
	resp, err := call[GetCompositeScheduleResponse](ctx, s, "GetCompositeSchedule", req)
	if err != nil {
		return charging.CompositeSchedule{}, err
	}
	return compositeSchedule(resp, connectorID), nil
}

func compositeSchedule(resp *GetCompositeScheduleResponse, connectorID int) charging.CompositeSchedule {
	out := charging.CompositeSchedule{Status: string(resp.Status), ConnectorID: connectorID}
	if cs := resp.Schedule; cs != nil {
		start, d := cs.ScheduleStart.UTC(), cs.Duration
		out.ConnectorID, out.ScheduleStart = cs.EvseID, &start
		out.Schedule = &charging.ChargingSchedule{DurationS: &d, StartSchedule: &start,
			RateUnit: string(cs.ChargingRateUnit), Periods: periods(cs.ChargingSchedulePeriod)}
	}
	return out
}

// parseKey splits a configuration key into a 2.0.1 component and variable.
func parseKey(key string) (Component, Variable, error) {
	bad := func(why string) (Component, Variable, error) {
		return Component{}, Variable{}, charging.Errorf(charging.EINVALID,
			"configuration key %q %s: OCPP 2.0.1 keys are Component.Variable, e.g. SampledDataCtrlr.TxUpdatedInterval "+
				"(Component[#instance][@evse[:connector]].Variable[#instance])", key, why)
	}
	compPart, varPart, ok := strings.Cut(strings.TrimSpace(key), ".")
	if !ok || compPart == "" || varPart == "" {
		return bad("names no component")
	}
	var comp Component
	if c, e, ok := strings.Cut(compPart, "@"); ok {
		compPart = c
		evse, conn, hasConn := strings.Cut(e, ":")
		id, err := strconv.Atoi(evse)
		if err != nil || id < 0 {
			return bad("has an invalid EVSE id")
		}
		comp.Evse = &EVSE{ID: id}
		if hasConn {
			n, err := strconv.Atoi(conn)
			if err != nil || n < 0 {
				return bad("has an invalid connector id")
			}
			comp.Evse.ConnectorID = &n
		}
	}
	name, inst, ok := strings.Cut(compPart, "#")
	comp.Name = name
	if ok {
		comp.Instance = &inst
	}
	vname, vinst, ok := strings.Cut(varPart, "#")
	v := Variable{Name: vname}
	if ok {
		v.Instance = &vinst
	}
	if comp.Name == "" || v.Name == "" || len(comp.Name) > 50 || len(v.Name) > 50 {
		return bad("has an empty or too long (over 50 characters) name")
	}
	return comp, v, nil
}

// formatKey is parseKey's inverse.
func formatKey(c Component, v Variable) string {
	var b strings.Builder
	b.WriteString(c.Name)
	if c.Instance != nil {
		b.WriteString("#" + *c.Instance)
	}
	if c.Evse != nil {
		fmt.Fprintf(&b, "@%d", c.Evse.ID)
		if c.Evse.ConnectorID != nil {
			fmt.Fprintf(&b, ":%d", *c.Evse.ConnectorID)
		}
	}
	b.WriteString("." + v.Name)
	if v.Instance != nil {
		b.WriteString("#" + *v.Instance)
	}
	return b.String()
}

// variableKey is the configuration key of a reported variable.
func variableKey(v charging.Variable) string {
	c := Component{Name: v.Component}
	if v.ComponentInstance != "" {
		c.Instance = &v.ComponentInstance
	}
	if v.EVSEID != 0 {
		c.Evse = &EVSE{ID: v.EVSEID}
		if v.ConnectorID != 0 {
			c.Evse.ConnectorID = &v.ConnectorID
		}
	}
	vr := Variable{Name: v.Variable}
	if v.VariableInstance != "" {
		vr.Instance = &v.VariableInstance
	}
	return formatKey(c, vr)
}

// answered reports a generic command's answer to the domain (through
// charging.CommandEvents, when the StationEvents implement it), so that it
// changes the domain as its typed twin does. SetVariables with several
// variables is reported as one ChangeConfiguration per variable.
func (s *Station) answered(ctx context.Context, req, resp any) error {
	ce, ok := s.events.(charging.CommandEvents)
	if !ok {
		return nil
	}
	var as []charging.AnsweredCommand
	switch r := req.(type) {
	case *ReserveNowRequest:
		res := &charging.Reservation{ID: r.ID, ChargerID: s.id, ConnectorID: deref(r.EvseID), IDTag: r.IDToken.IDToken, ExpiresAt: r.ExpiryDateTime.UTC()}
		if r.GroupIDToken != nil {
			res.ParentIDTag = r.GroupIDToken.IDToken
		}
		as = append(as, charging.AnsweredCommand{Action: "ReserveNow", Status: string(resp.(*ReserveNowResponse).Status), Reservation: res})
	case *CancelReservationRequest:
		as = append(as, charging.AnsweredCommand{Action: "CancelReservation", Status: string(resp.(*CancelReservationResponse).Status), ReservationID: r.ReservationID})
	case *SetChargingProfileRequest:
		if p, ok := fromProfile(r.ChargingProfile); ok {
			as = append(as, charging.AnsweredCommand{Action: "SetChargingProfile", Status: string(resp.(*SetChargingProfileResponse).Status), ConnectorID: r.EvseID, Profile: &p})
		}
	case *ClearChargingProfileRequest:
		f := charging.ProfileFilter{ID: deref(r.ChargingProfileID)}
		if c := r.ChargingProfileCriteria; c != nil && f.ID == 0 {
			f.ConnectorID, f.StackLevel = c.EvseID, c.StackLevel
			if c.ChargingProfilePurpose != nil {
				p, ok := fromPurpose(*c.ChargingProfilePurpose)
				if !ok {
					return nil // ExternalConstraints: not Joule's to track
				}
				f.Purpose = p
			}
		}
		as = append(as, charging.AnsweredCommand{Action: "ClearChargingProfile", Status: string(resp.(*ClearChargingProfileResponse).Status), Filter: &f})
	case *GetVariablesRequest:
		rep := getVariablesReport(resp.(*GetVariablesResponse))
		keys := make([]string, 0, len(r.GetVariableData))
		for _, d := range r.GetVariableData {
			keys = append(keys, formatKey(d.Component, d.Variable))
		}
		as = append(as, charging.AnsweredCommand{Action: "GetConfiguration", Configuration: &rep, Keys: keys})
	case *SetVariablesRequest:
		values := map[string]string{}
		for _, d := range r.SetVariableData {
			if isSecret(d.Component, d.Variable) {
				// A password sent as a generic command: the domain must not
				// store it as a configuration value (A01.FR.08/09).
				continue
			}
			if d.AttributeType == nil || *d.AttributeType == AttributeEnumActual {
				values[formatKey(d.Component, d.Variable)] = d.AttributeValue
			}
		}
		for _, res := range resp.(*SetVariablesResponse).SetVariableResult {
			key := formatKey(res.Component, res.Variable)
			if v, ok := values[key]; ok && (res.AttributeType == nil || *res.AttributeType == AttributeEnumActual) {
				as = append(as, charging.AnsweredCommand{Action: "ChangeConfiguration", Status: string(setVariableStatus(res.AttributeStatus)), Key: key, Value: v})
			}
		}
	}
	for _, a := range as {
		if err := ce.CommandAnswered(ctx, s.id, a); err != nil {
			return err
		}
	}
	return nil
}

// reportTimeout bounds how long GetConfiguration waits for a base report
// when its context has no deadline.
const reportTimeout = time.Minute
