package soapjson

import (
	"context"
	"encoding/json"
	"reflect"

	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// Occupied answers the question 1.5's status model leaves open: is the
// connector that reports Occupied charging? It is false when no
// transaction runs there. The central system asks its sessions.
type Occupied func(ctx context.Context, connectorID int) (charging bool, err error)

// request15 renders an OCPP 1.5 request body as the OCPP-J 1.6 JSON payload
// of the same operation. Most 1.5 messages have the shape 1.6 kept (same
// element names, a subset of the enumerations) and go through toJSON as
// they are; MeterValues, StopTransaction and StatusNotification changed
// and are mapped field by field to their ocpp16s type first. Fields 1.5
// lacks (a stop reason, a sample's phase) stay absent.
func request15(ctx context.Context, req any, occupied Occupied) (json.RawMessage, error) {
	switch r := req.(type) {
	case *ocpp15.MeterValuesRequest:
		return toJSON(&ocpp16s.MeterValuesRequest{ConnectorID: r.ConnectorID, TransactionID: r.TransactionID,
			MeterValue: meterValues15(r.Values)})
	case *ocpp15.StopTransactionRequest:
		out := &ocpp16s.StopTransactionRequest{TransactionID: r.TransactionID, Timestamp: r.Timestamp, MeterStop: r.MeterStop}
		if r.IDTag != nil {
			t := ocpp16s.IDToken(*r.IDTag)
			out.IDTag = &t
		}
		for _, td := range r.TransactionData {
			out.TransactionData = append(out.TransactionData, meterValues15(td.Values)...)
		}
		return toJSON(out)
	case *ocpp15.StatusNotificationRequest:
		status, err := status15(ctx, r.ConnectorID, r.Status, occupied)
		if err != nil {
			return nil, err
		}
		out := &ocpp16s.StatusNotificationRequest{ConnectorID: r.ConnectorID, Status: status,
			ErrorCode: errorCode15(r.ErrorCode), Timestamp: r.Timestamp,
			Info: (*ocpp16s.CiString50Type)(r.Info), VendorID: (*ocpp16s.CiString255Type)(r.VendorID),
			VendorErrorCode: (*ocpp16s.CiString50Type)(r.VendorErrorCode)}
		return toJSON(out)
	}
	return toJSON(req)
}

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

// toJSON15 renders a 1.5 body as 1.6 JSON.
func toJSON15(ctx context.Context, body any, occupied Occupied) (json.RawMessage, error) {
	return request15(ctx, body, occupied)
}

// fromJSON15 fills a 1.5 body from 1.6 JSON.
func fromJSON15(payload []byte, dst any) error {
	return response15(payload, dst)
}

// meterValues15 maps 1.5 "values with attributes" (each reading a value
// element whose attributes say what it measures) to 1.6 sampledValue
// elements carrying the same facts as child elements. 1.5 spells two units
// differently: Amp and Volt became A and V.
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

// status15 maps a 1.5 connector status to the domain's (1.6) states. 1.5's
// Occupied covers everything from a plugged-in cable to a finished
// charge; the domain tells Preparing from Charging. Occupied becomes
// Charging while a transaction runs on the connector (the charger started
// one and has not stopped it), and Preparing otherwise (occupied but not
// charging yet: the cable is in, the driver has not started). The other
// four statuses exist in 1.6 under the same names.
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

// errorCode15 maps a 1.5 error code to 1.6, which renamed Mode3Error (the
// IEC 61851 pilot-signal fault) to EVCommunicationError.
func errorCode15(c ocpp15.ChargePointErrorCode) ocpp16s.ChargePointErrorCode {
	if c == ocpp15.ChargePointErrorCodeMode3Error {
		return ocpp16s.ChargePointErrorCodeEVCommunicationError
	}
	return ocpp16s.ChargePointErrorCode(c)
}

// response15 fills a 1.5 response body from the OCPP-J 1.6 JSON response.
// Only BootNotification changed shape (1.5's heartbeatInterval is 1.6's
// interval) and vocabulary (1.5 has no Pending); the other responses are
// the same elements.
func response15(payload []byte, dst any) error {
	boot, ok := dst.(*ocpp15.BootNotificationResponse)
	if !ok {
		return fromJSON(payload, dst)
	}
	var r16 ocpp16s.BootNotificationResponse
	if err := fromJSON(payload, &r16); err != nil {
		return err
	}
	boot.Status = ocpp15.RegistrationStatus(r16.Status)
	if r16.Status == ocpp16s.RegistrationStatusPending {
		// A 1.5 charger knows Accepted and Rejected only. Rejected makes
		// it boot again after the interval, which is what Pending asks
		// for: the operator has not decided yet.
		boot.Status = ocpp15.RegistrationStatusRejected
	}
	boot.CurrentTime, boot.HeartbeatInterval = r16.CurrentTime, r16.Interval
	return nil
}
