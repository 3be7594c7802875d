package soapjson

// OCPP 1.5 against 1.6, message by message, from the four WSDLs (the 1.6
// side's JSON schema names the same elements). Every 1.5 operation exists
// in 1.6; 1.6 added ClearChargingProfile, GetCompositeSchedule,
// SetChargingProfile and TriggerMessage to the charge point's service.
//
// Central system's service (a charger's requests, the central system's
// answers):
//   - MeterValues: 1.5's "values" are 1.6's "meterValue"; a 1.5 value is
//     text with attributes (context, format, measurand, location, unit), a
//     1.6 sampledValue has them as elements. 1.5 spells the units Amp and
//     Volt, 1.6 A and V. 1.6 added the phase, the measurands Current.Offered,
//     Frequency, Power.Factor, Power.Offered, RPM and SoC, the contexts
//     Trigger and Other, the locations Cable and EV, the units VA, kVA, K,
//     Fahrenheit and Percent (meterValues15, meterValues16).
//   - StopTransaction: 1.5's transactionData elements each hold "values",
//     1.6's transactionData is a list of meter values; 1.6 added reason.
//   - StatusNotification: 1.6 split 1.5's Occupied into Preparing,
//     Charging, SuspendedEV, SuspendedEVSE and Finishing (status15,
//     status16); 1.5's Mode3Error is 1.6's EVCommunicationError, and 1.6
//     added InternalError, LocalListConflict and OverVoltage (errorCode15,
//     errorCode16). 1.5 bounds neither info, vendorId nor vendorErrorCode
//     (1.6: 50, 255, 50 characters).
//   - BootNotification.conf: 1.5's heartbeatInterval is 1.6's interval;
//     1.6 added Pending.
//   - FirmwareStatusNotification: 1.6 added Downloading, Installing, Idle.
//   - DiagnosticsStatusNotification: 1.6 added Uploading, Idle.
//   - DataTransfer: 1.5 bounds neither vendorId nor messageId (255, 50).
//   - Authorize, StartTransaction, Heartbeat, BootNotification.req: alike.
//
// Charge point's service (the central system's requests, a charger's
// answers):
//   - UnlockConnector.conf: 1.5's Accepted and Rejected are 1.6's Unlocked
//     and UnlockFailed; 1.6 added NotSupported.
//   - RemoteStartTransaction.req: 1.6 added chargingProfile.
//   - ChangeConfiguration: 1.5 bounds neither key nor value (1.6: 50, 500);
//     1.6 added RebootRequired.
//   - GetConfiguration: 1.5 bounds neither the keys asked for, the keys and
//     values answered nor the unknown keys (50, 500, 50).
//   - GetDiagnostics.conf: 1.5 does not bound fileName (255).
//   - SendLocalList: 1.5's localAuthorisationList is 1.6's
//     localAuthorizationList; 1.5's hash (of the request's list, and of the
//     charger's list in the answer) is gone in 1.6, and with it HashError.
//   - DataTransfer: as the central system's.
//   - Reset, ChangeAvailability, ClearCache, UpdateFirmware,
//     RemoteStopTransaction, CancelReservation, GetLocalListVersion,
//     ReserveNow, GetDiagnostics.req: alike.
//
// up15 maps 1.5 to 1.6 and down16 1.6 to 1.5: explicitly where the versions
// differ, element by element (copyElements) where they agree. A length 1.5
// allows and 1.6 does not is found by validating the 1.6 form (toJSON15).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// Occupied answers the question 1.5's status model leaves open: is the
// connector that reports Occupied charging? It is false when no
// transaction runs there. The central system asks its sessions.
type Occupied func(ctx context.Context, connectorID int) (charging bool, err error)

// pkg15 is the import path of the 1.5 types.
var pkg15 = reflect.TypeFor[ocpp15.HeartbeatRequest]().PkgPath()

// is15 reports whether body is one of the 1.5 types.
func is15(body any) bool {
	t := reflect.TypeOf(body)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t != nil && t.PkgPath() == pkg15
}

// toJSON15 renders a 1.5 body as 1.6 JSON: its 1.6 counterpart, checked
// against 1.6's schema, rendered as a 1.6 body is.
func toJSON15(ctx context.Context, body any, occupied Occupied) (json.RawMessage, error) {
	b16, info, err := counterpart16(body)
	if err != nil {
		return nil, err
	}
	if err := up15(ctx, body, b16, occupied); err != nil {
		return nil, unsupported(err, soap.V16, info.name)
	}
	if err := b16.Validate(); err != nil {
		if err15 := body.(Body).Validate(); err15 != nil {
			return nil, fmt.Errorf("soapjson: OCPP 1.5 %s: %w", info.name, err15)
		}
		// Valid in 1.5 and not in 1.6: a string longer than 1.6 allows.
		var ve *ocpp16s.ValidationError
		if errors.As(err, &ve) {
			return nil, &UnsupportedError{Version: soap.V16, Operation: info.name, Field: ve.Path, Reason: ve.Reason}
		}
		return nil, err
	}
	if err := checkJSON(b16); err != nil {
		return nil, err
	}
	return toJSON(b16)
}

// fromJSON15 fills a 1.5 body from 1.6 JSON: the payload fills the body's
// 1.6 counterpart, which is mapped to 1.5.
func fromJSON15(payload []byte, dst any) error {
	b16, info, err := counterpart16(dst)
	if err != nil {
		return err
	}
	if err := fromJSON(payload, b16); err != nil {
		return err
	}
	return unsupported(down16(b16, dst), soap.V15, info.name)
}

// up15 fills to, the 1.6 counterpart of the 1.5 body, from it.
func up15(ctx context.Context, body any, to Body, occupied Occupied) error {
	switch b := body.(type) {
	case *ocpp15.MeterValuesRequest:
		t := to.(*ocpp16s.MeterValuesRequest)
		t.ConnectorID, t.TransactionID, t.MeterValue = b.ConnectorID, b.TransactionID, meterValues15(b.Values)
	case *ocpp15.StopTransactionRequest:
		// The grouping of the values into transactionData elements goes:
		// 1.6 has one list, and down16 puts it back as one element.
		t := to.(*ocpp16s.StopTransactionRequest)
		t.TransactionID, t.IDTag, t.Timestamp, t.MeterStop = b.TransactionID, (*ocpp16s.IDToken)(b.IDTag), b.Timestamp, b.MeterStop
		for _, td := range b.TransactionData {
			t.TransactionData = append(t.TransactionData, meterValues15(td.Values)...)
		}
	case *ocpp15.StatusNotificationRequest:
		status, err := status15(ctx, b.ConnectorID, b.Status, occupied)
		if err != nil {
			return err
		}
		t := to.(*ocpp16s.StatusNotificationRequest)
		t.ConnectorID, t.Status, t.ErrorCode, t.Timestamp = b.ConnectorID, status, errorCode15(b.ErrorCode), b.Timestamp
		t.Info, t.VendorID, t.VendorErrorCode = (*ocpp16s.CiString50Type)(b.Info), (*ocpp16s.CiString255Type)(b.VendorID), (*ocpp16s.CiString50Type)(b.VendorErrorCode)
	case *ocpp15.BootNotificationResponse:
		t := to.(*ocpp16s.BootNotificationResponse)
		t.Status, t.CurrentTime, t.Interval = ocpp16s.RegistrationStatus(b.Status), b.CurrentTime, b.HeartbeatInterval
	case *ocpp15.UnlockConnectorResponse:
		to.(*ocpp16s.UnlockConnectorResponse).Status = unlockStatus15(b.Status)
	case *ocpp15.SendLocalListRequest:
		// The hash goes (lossy): 1.6 has none, so the charger cannot
		// check the list against it and will not answer HashError.
		t := to.(*ocpp16s.SendLocalListRequest)
		t.UpdateType, t.ListVersion = ocpp16s.UpdateType(b.UpdateType), b.ListVersion
		return copyValue(reflect.ValueOf(&t.LocalAuthorizationList).Elem(), reflect.ValueOf(b.LocalAuthorisationList), "localAuthorizationList")
	case *ocpp15.SendLocalListResponse:
		// The charger's hash of its list goes (lossy): 1.6 has none.
		to.(*ocpp16s.SendLocalListResponse).Status = updateStatus15(b.Status)
	default:
		return copyElements(reflect.ValueOf(to).Elem(), reflect.ValueOf(body).Elem(), "")
	}
	return nil
}

// down16 fills dst, a 1.5 body, from from, its 1.6 counterpart.
func down16(from Body, dst any) error {
	switch d := dst.(type) {
	case *ocpp15.MeterValuesRequest:
		f := from.(*ocpp16s.MeterValuesRequest)
		d.ConnectorID, d.TransactionID, d.Values = f.ConnectorID, f.TransactionID, meterValues16(f.MeterValue)
	case *ocpp15.StopTransactionRequest:
		// The reason goes (lossy): a 1.5 charger cannot tell why it
		// stopped.
		f := from.(*ocpp16s.StopTransactionRequest)
		d.TransactionID, d.IDTag, d.Timestamp, d.MeterStop = f.TransactionID, (*ocpp15.IDToken)(f.IDTag), f.Timestamp, f.MeterStop
		if vs := meterValues16(f.TransactionData); len(vs) > 0 {
			d.TransactionData = []ocpp15.TransactionData{{Values: vs}}
		}
	case *ocpp15.StatusNotificationRequest:
		f := from.(*ocpp16s.StatusNotificationRequest)
		d.ConnectorID, d.Status, d.ErrorCode, d.Timestamp = f.ConnectorID, status16(f.Status), errorCode16(f.ErrorCode), f.Timestamp
		d.Info, d.VendorID, d.VendorErrorCode = (*string)(f.Info), (*string)(f.VendorID), (*string)(f.VendorErrorCode)
	case *ocpp15.FirmwareStatusNotificationRequest:
		f := from.(*ocpp16s.FirmwareStatusNotificationRequest)
		d.Status = ocpp15.FirmwareStatus(f.Status)
		if f.Status.IsValid() && !d.Status.IsValid() {
			// Downloading and Installing (progress) and Idle (the answer
			// to a TriggerMessage) came with 1.6: a 1.5 charger sends no
			// notification then.
			return &UnsupportedError{Field: "status", Reason: fmt.Sprintf("1.5 reports no firmware status %s", f.Status)}
		}
	case *ocpp15.DiagnosticsStatusNotificationRequest:
		f := from.(*ocpp16s.DiagnosticsStatusNotificationRequest)
		d.Status = ocpp15.DiagnosticsStatus(f.Status)
		if f.Status.IsValid() && !d.Status.IsValid() {
			// Uploading (progress) and Idle (the answer to a
			// TriggerMessage) came with 1.6.
			return &UnsupportedError{Field: "status", Reason: fmt.Sprintf("1.5 reports no diagnostics status %s", f.Status)}
		}
	case *ocpp15.BootNotificationResponse:
		f := from.(*ocpp16s.BootNotificationResponse)
		d.Status, d.CurrentTime, d.HeartbeatInterval = registrationStatus16(f.Status), f.CurrentTime, f.Interval
	case *ocpp15.RemoteStartTransactionRequest:
		f := from.(*ocpp16s.RemoteStartTransactionRequest)
		if f.ChargingProfile != nil {
			return &UnsupportedError{Field: "chargingProfile", Reason: "charging profiles came with OCPP 1.6 (smart charging)"}
		}
		d.IDTag, d.ConnectorID = ocpp15.IDToken(f.IDTag), f.ConnectorID
	case *ocpp15.UnlockConnectorResponse:
		d.Status = unlockStatus16(from.(*ocpp16s.UnlockConnectorResponse).Status)
	case *ocpp15.ChangeConfigurationResponse:
		d.Status = configurationStatus16(from.(*ocpp16s.ChangeConfigurationResponse).Status)
	case *ocpp15.SendLocalListRequest:
		// 1.5's optional hash stays absent: 1.6 has nothing to put there.
		f := from.(*ocpp16s.SendLocalListRequest)
		d.UpdateType, d.ListVersion = ocpp15.UpdateType(f.UpdateType), f.ListVersion
		return copyValue(reflect.ValueOf(&d.LocalAuthorisationList).Elem(), reflect.ValueOf(f.LocalAuthorizationList), "localAuthorizationList")
	default:
		return copyElements(reflect.ValueOf(dst).Elem(), reflect.ValueOf(from).Elem(), "")
	}
	return nil
}

// meterValues15 maps 1.5 "values with attributes" (each reading a value
// element whose attributes say what it measures) to 1.6 sampledValue
// elements carrying the same facts as child elements. 1.5 spells two units
// differently: Amp and Volt became A and V. Every other 1.5 value exists
// in 1.6 under its name.
func meterValues15(vs []ocpp15.MeterValue) []ocpp16s.MeterValue {
	out := make([]ocpp16s.MeterValue, 0, len(vs))
	for _, v := range vs {
		mv := ocpp16s.MeterValue{Timestamp: v.Timestamp}
		for _, x := range v.Value {
			sv := ocpp16s.SampledValue{Value: x.Value}
			if x.Context != nil {
				c := ocpp16s.ReadingContext(*x.Context)
				sv.Context = &c
			}
			if x.Format != nil {
				f := ocpp16s.ValueFormat(*x.Format)
				sv.Format = &f
			}
			if x.Measurand != nil {
				m := ocpp16s.Measurand(*x.Measurand)
				sv.Measurand = &m
			}
			if x.Location != nil {
				l := ocpp16s.Location(*x.Location)
				sv.Location = &l
			}
			if x.Unit != nil {
				u := ocpp16s.UnitOfMeasure(*x.Unit)
				switch *x.Unit {
				case ocpp15.UnitOfMeasureAmp:
					u = ocpp16s.UnitOfMeasureA
				case ocpp15.UnitOfMeasureVolt:
					u = ocpp16s.UnitOfMeasureV
				}
				sv.Unit = &u
			}
			mv.SampledValue = append(mv.SampledValue, sv)
		}
		out = append(out, mv)
	}
	return out
}

// meterValues16 maps 1.6 sampled values to 1.5 values with attributes, as
// a 1.5 meter would report the same readings: a sampled value whose
// measurand, context, location or unit 1.5 has no word for (see the list
// at the top) is left out, since a 1.5 meter does not report it; the phase
// goes, as 1.5 cannot say it, and the value stays (three Current.Import
// values of phases L1 to L3 become three Current.Import values); A and V
// are spelt Amp and Volt. A meter value left with no sampled value goes
// too: 1.5 wants one at least. A value 1.6 does not allow either is kept
// for the caller's Validate to refuse.
func meterValues16(mvs []ocpp16s.MeterValue) []ocpp15.MeterValue {
	var out []ocpp15.MeterValue
	for _, mv := range mvs {
		v := ocpp15.MeterValue{Timestamp: mv.Timestamp}
		for _, sv := range mv.SampledValue {
			if x, ok := sampledValue16(sv); ok {
				v.Value = append(v.Value, x)
			}
		}
		if len(v.Value) > 0 {
			out = append(out, v)
		}
	}
	return out
}

func sampledValue16(sv ocpp16s.SampledValue) (ocpp15.MeterValueValue, bool) {
	x := ocpp15.MeterValueValue{Value: sv.Value}
	if sv.Context != nil {
		c := ocpp15.ReadingContext(*sv.Context)
		if sv.Context.IsValid() && !c.IsValid() {
			return x, false
		}
		x.Context = &c
	}
	if sv.Format != nil {
		f := ocpp15.ValueFormat(*sv.Format) // the same two formats
		x.Format = &f
	}
	if sv.Measurand != nil {
		m := ocpp15.Measurand(*sv.Measurand)
		if sv.Measurand.IsValid() && !m.IsValid() {
			return x, false
		}
		x.Measurand = &m
	}
	if sv.Location != nil {
		l := ocpp15.Location(*sv.Location)
		if sv.Location.IsValid() && !l.IsValid() {
			return x, false
		}
		x.Location = &l
	}
	if sv.Unit != nil {
		u := ocpp15.UnitOfMeasure(*sv.Unit)
		switch *sv.Unit {
		case ocpp16s.UnitOfMeasureA:
			u = ocpp15.UnitOfMeasureAmp
		case ocpp16s.UnitOfMeasureV:
			u = ocpp15.UnitOfMeasureVolt
		}
		if sv.Unit.IsValid() && !u.IsValid() {
			return x, false
		}
		x.Unit = &u
	}
	return x, true
}

// status15 maps a 1.5 connector status to the domain's (1.6) states. 1.5's
// Occupied covers everything from a plugged-in cable to a finished
// charge; the domain tells Preparing from Charging. Occupied becomes
// Charging while a transaction runs on the connector (the charger started
// one and has not stopped it), and Preparing otherwise (occupied but not
// charging yet: the cable is in, the driver has not started). This is
// lossy: SuspendedEV, SuspendedEVSE and Finishing are never the answer,
// a paused charge is Charging and a finished one still plugged in is
// Preparing. The other four statuses exist in 1.6 under the same names.
func status15(ctx context.Context, connectorID int, s ocpp15.ChargePointStatus, occupied Occupied) (ocpp16s.ChargePointStatus, error) {
	if s != ocpp15.ChargePointStatusOccupied {
		return ocpp16s.ChargePointStatus(s), nil
	}
	if occupied != nil {
		busy, err := occupied(ctx, connectorID)
		if err != nil {
			return "", err
		}
		if busy {
			return ocpp16s.ChargePointStatusCharging, nil
		}
	}
	return ocpp16s.ChargePointStatusPreparing, nil
}

// status16 maps a 1.6 connector status to 1.5's: the five states 1.6 split
// Occupied into are Occupied again (lossy, see status15).
func status16(s ocpp16s.ChargePointStatus) ocpp15.ChargePointStatus {
	switch s {
	case ocpp16s.ChargePointStatusPreparing, ocpp16s.ChargePointStatusCharging, ocpp16s.ChargePointStatusSuspendedEV,
		ocpp16s.ChargePointStatusSuspendedEVSE, ocpp16s.ChargePointStatusFinishing:
		return ocpp15.ChargePointStatusOccupied
	}
	return ocpp15.ChargePointStatus(s)
}

// errorCode15 maps a 1.5 error code to 1.6, which renamed Mode3Error (the
// IEC 61851 pilot-signal fault) to EVCommunicationError. The other twelve
// exist in 1.6 under the same names (UnderVoltage and WeakSignal too).
func errorCode15(c ocpp15.ChargePointErrorCode) ocpp16s.ChargePointErrorCode {
	if c == ocpp15.ChargePointErrorCodeMode3Error {
		return ocpp16s.ChargePointErrorCodeEVCommunicationError
	}
	return ocpp16s.ChargePointErrorCode(c)
}

// errorCode16 maps a 1.6 error code to 1.5. The three 1.6 added
// (InternalError, LocalListConflict, OverVoltage) are OtherError, 1.5's
// word for a fault it has no code for (lossy: info and vendorErrorCode
// still travel).
func errorCode16(c ocpp16s.ChargePointErrorCode) ocpp15.ChargePointErrorCode {
	switch c {
	case ocpp16s.ChargePointErrorCodeEVCommunicationError:
		return ocpp15.ChargePointErrorCodeMode3Error
	case ocpp16s.ChargePointErrorCodeInternalError, ocpp16s.ChargePointErrorCodeLocalListConflict, ocpp16s.ChargePointErrorCodeOverVoltage:
		return ocpp15.ChargePointErrorCodeOtherError
	}
	return ocpp15.ChargePointErrorCode(c)
}

// registrationStatus16 maps a 1.6 registration status to 1.5, which knows
// Accepted and Rejected only. Pending becomes Rejected: a rejected 1.5
// charger boots again after the interval, which is what Pending asks for
// (the operator has not decided yet).
func registrationStatus16(s ocpp16s.RegistrationStatus) ocpp15.RegistrationStatus {
	if s == ocpp16s.RegistrationStatusPending {
		return ocpp15.RegistrationStatusRejected
	}
	return ocpp15.RegistrationStatus(s)
}

// unlockStatus15 maps 1.5's answer to UnlockConnector to 1.6's words for
// the same: Accepted is Unlocked, Rejected UnlockFailed.
func unlockStatus15(s ocpp15.UnlockStatus) ocpp16s.UnlockStatus {
	switch s {
	case ocpp15.UnlockStatusAccepted:
		return ocpp16s.UnlockStatusUnlocked
	case ocpp15.UnlockStatusRejected:
		return ocpp16s.UnlockStatusUnlockFailed
	}
	return ocpp16s.UnlockStatus(s)
}

// unlockStatus16 maps 1.6's answer to UnlockConnector to 1.5's. NotSupported
// (the connector has no lock) is Rejected (lossy): it was not unlocked.
func unlockStatus16(s ocpp16s.UnlockStatus) ocpp15.UnlockStatus {
	switch s {
	case ocpp16s.UnlockStatusUnlocked:
		return ocpp15.UnlockStatusAccepted
	case ocpp16s.UnlockStatusUnlockFailed, ocpp16s.UnlockStatusNotSupported:
		return ocpp15.UnlockStatusRejected
	}
	return ocpp15.UnlockStatus(s)
}

// configurationStatus16 maps 1.6's answer to ChangeConfiguration to 1.5's.
// RebootRequired is Accepted (lossy): the charger took the value, and 1.5
// has no way to say it applies after a reboot.
func configurationStatus16(s ocpp16s.ConfigurationStatus) ocpp15.ConfigurationStatus {
	if s == ocpp16s.ConfigurationStatusRebootRequired {
		return ocpp15.ConfigurationStatusAccepted
	}
	return ocpp15.ConfigurationStatus(s)
}

// updateStatus15 maps 1.5's answer to SendLocalList to 1.6's. HashError
// (the list did not match the hash sent with it) is Failed (lossy): 1.6
// sends no hash, and the list was not applied.
func updateStatus15(s ocpp15.UpdateStatus) ocpp16s.UpdateStatus {
	if s == ocpp15.UpdateStatusHashError {
		return ocpp16s.UpdateStatusFailed
	}
	return ocpp16s.UpdateStatus(s)
}

// copyElements copies each element of src, a struct of one version, to the
// element of the same name of dst, its counterpart in the other, where the
// versions agree on the message (the same names, the same vocabulary). An
// element src holds that dst lacks, or an enumeration value dst's
// vocabulary lacks, is an *UnsupportedError: up15 and down16 map every
// difference the WSDLs have explicitly, so this is the net for any they
// missed, never a silent loss.
func copyElements(dst, src reflect.Value, path string) error {
	dfields, err := elementFields(dst.Type())
	if err != nil {
		return err
	}
	sfields, err := elementFields(src.Type())
	if err != nil {
		return err
	}
	for _, f := range sfields.list {
		name := f.name
		sv := src.Field(f.index)
		j, ok := dfields.byName[name]
		if !ok {
			if sv.IsZero() {
				continue
			}
			return &UnsupportedError{Field: joinPath(path, name), Reason: "no such element"}
		}
		if err := copyValue(dst.Field(j), sv, joinPath(path, name)); err != nil {
			return err
		}
	}
	return nil
}

// enum is a generated enumeration type.
type enum interface{ IsValid() bool }

func copyValue(dst, src reflect.Value, path string) error {
	mismatch := func() error {
		return fmt.Errorf("soapjson: %s: cannot map %s to %s", path, src.Type(), dst.Type())
	}
	switch {
	case src.Kind() == reflect.Pointer:
		if src.IsNil() {
			return nil
		}
		if dst.Kind() != reflect.Pointer {
			return mismatch()
		}
		p := reflect.New(dst.Type().Elem())
		if err := copyValue(p.Elem(), src.Elem(), path); err != nil {
			return err
		}
		dst.Set(p)
	case src.Kind() == reflect.Slice:
		if dst.Kind() != reflect.Slice {
			return mismatch()
		}
		if src.Len() == 0 {
			return nil
		}
		s := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			if err := copyValue(s.Index(i), src.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		dst.Set(s)
	case src.Type() == timeType || dst.Type() == timeType:
		if src.Type() != dst.Type() {
			return mismatch()
		}
		dst.Set(src)
	case src.Kind() == reflect.Struct && dst.Kind() == reflect.Struct:
		return copyElements(dst, src, path)
	case src.Kind() == reflect.String && dst.Kind() == reflect.String:
		dst.SetString(src.String())
		// A value dst's enumeration lacks is unsupported when src's
		// allows it; a value neither allows is left for Validate.
		if d, ok := dst.Interface().(enum); ok && !d.IsValid() {
			if s, ok := src.Interface().(enum); ok && s.IsValid() {
				return &UnsupportedError{Field: path, Reason: fmt.Sprintf("no value %s", src.String())}
			}
		}
	case src.Kind() == reflect.Int && dst.Kind() == reflect.Int:
		dst.SetInt(src.Int())
	case src.Kind() == reflect.Bool && dst.Kind() == reflect.Bool:
		dst.SetBool(src.Bool())
	case src.Kind() == reflect.Float64 && dst.Kind() == reflect.Float64:
		dst.SetFloat(src.Float())
	default:
		return mismatch()
	}
	return nil
}
