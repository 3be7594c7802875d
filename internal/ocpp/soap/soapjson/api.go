// Package soapjson converts OCPP-S message bodies (the types generated from
// the 1.5 and 1.6 WSDLs, packages ocpp15 and ocpp16s) to and from the
// OCPP-J 1.6 JSON payload of the same message, for every operation of both
// services of both versions, requests and responses alike. Joule's domain
// adapter for 1.6 (ocpp16.Station) speaks JSON, so every SOAP charger goes
// through here (its requests to the central system, Joule's calls to its
// own service), and so do the simulator's SOAP chargers.
//
// A 1.6 body has the shape of its JSON message: the WSDL and the OCA schema
// name every element alike. A 1.5 body is mapped to or from its 1.6
// counterpart first, explicitly where 1.6 changed the message (v15.go lists
// every difference) and element by element where it did not. What 1.5
// cannot say is never dropped from a message the central system sends:
// FromJSON answers an *UnsupportedError instead. From a message a charger
// sends, a sampled value 1.5 cannot describe is dropped (a 1.5 meter would
// not report it), a value with a near 1.5 counterpart is mapped to it
// (v15.go says what each such mapping loses), and a notification of a
// status 1.5 lacks is an *UnsupportedError, as a 1.5 charger sends none.
package soapjson

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapxsd"
)

// Body is a generated message body: it checks itself against its WSDL's
// schema.
type Body = soapxsd.Message

// Operation is one WSDL operation of either version and service (the
// generated tables' own type).
type Operation = soapxsd.Operation

type opKey struct {
	v    soap.Version
	s    soap.Service
	name string
}

// bodyInfo says which message a body type is.
type bodyInfo struct {
	opKey
	request bool
}

var (
	operations = map[opKey]Operation{}
	opLists    = map[soap.Version]map[soap.Service][]Operation{}
	bodies     = map[reflect.Type]bodyInfo{}
)

func init() {
	add := func(v soap.Version, s soap.Service, ops []Operation) {
		for _, o := range ops {
			k := opKey{v, s, o.Name}
			operations[k] = o
			if opLists[v] == nil {
				opLists[v] = map[soap.Service][]Operation{}
			}
			opLists[v][s] = append(opLists[v][s], o)
			bodies[reflect.TypeOf(o.NewRequest())] = bodyInfo{k, true}
			bodies[reflect.TypeOf(o.NewResponse())] = bodyInfo{k, false}
		}
	}
	add(soap.V16, soap.CentralSystem, ocpp16s.CentralSystemOperations)
	add(soap.V16, soap.ChargePoint, ocpp16s.ChargePointOperations)
	add(soap.V15, soap.CentralSystem, ocpp15.CentralSystemOperations)
	add(soap.V15, soap.ChargePoint, ocpp15.ChargePointOperations)
}

// Lookup finds an operation of a version's service by name. 1.5 lacks
// 1.6's smart charging and TriggerMessage (ClearChargingProfile,
// GetCompositeSchedule, SetChargingProfile, TriggerMessage): a caller that
// finds no 1.5 operation can answer with an *UnsupportedError naming only
// the Operation.
func Lookup(v soap.Version, s soap.Service, name string) (Operation, bool) {
	o, ok := operations[opKey{v, s, name}]
	return o, ok
}

// Operations lists a version's service's operations in WSDL order.
func Operations(v soap.Version, s soap.Service) []Operation {
	return opLists[v][s]
}

// ToJSON renders body, a request or response of either version and either
// service, as the OCPP-J 1.6 JSON payload of the same message, which the
// OCA schema of its operation accepts when body is valid. occupied resolves
// a 1.5 StatusNotification's Occupied; nil makes it Preparing. A body the
// JSON schema cannot take, valid as it is in its WSDL, is an
// *UnsupportedError with Version 1.6: a 1.5 string longer than 1.6 allows
// (1.5 left info, vendorId, configuration keys and values, ... unbounded),
// a location that is not an absolute URI.
func ToJSON(ctx context.Context, body any, occupied Occupied) (json.RawMessage, error) {
	if is15(body) {
		return toJSON15(ctx, body, occupied)
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	return toJSON(body)
}

// FromJSON fills dst, a request or response body of either version and
// either service, from the OCPP-J 1.6 JSON payload of the same message.
// A key that is not an element of the 1.6 message is an error, so nothing
// is lost unseen. Into a 1.5 body, what 1.5 cannot say is an
// *UnsupportedError naming the element (a charging profile, a status 1.5
// lacks) or, in a message a charger sends, mapped or dropped as v15.go
// says (a sampled value 1.5 cannot describe, a status 1.5 folds into
// another). The caller validates dst.
func FromJSON(payload []byte, dst any) error {
	if is15(dst) {
		return fromJSON15(payload, dst)
	}
	return fromJSON(payload, dst)
}

// UnsupportedError reports content of a message that the other version
// cannot express. Version is the one that lacks it: 1.5 when FromJSON
// cannot fill a 1.5 body from a 1.6 message, 1.6 when ToJSON cannot say a
// 1.5 (or SOAP 1.6) body in OCPP-J 1.6 JSON. Field is the element's path in
// the message (1.6's names, e.g. "chargingProfile", "configurationKey[0].key"),
// empty when the operation itself is missing from the version.
type UnsupportedError struct {
	Version   soap.Version
	Operation string
	Field     string
	Reason    string
}

func (e *UnsupportedError) Error() string {
	what := e.Operation
	switch {
	case what == "":
		what = e.Field
	case e.Field != "":
		what += "." + e.Field
	}
	msg := fmt.Sprintf("OCPP %s cannot express %s", e.Version, what)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// unsupported fills in the version and operation of an *UnsupportedError
// that a mapping function returned with the field and reason only.
func unsupported(err error, v soap.Version, op string) error {
	if u, ok := err.(*UnsupportedError); ok {
		u.Version, u.Operation = v, op
	}
	return err
}

// counterpart16 returns a new 1.6 body of the same message as a 1.5 body.
func counterpart16(body any) (Body, bodyInfo, error) {
	info, ok := bodies[reflect.TypeOf(body)]
	if !ok {
		return nil, info, fmt.Errorf("soapjson: %T is not a message body", body)
	}
	o, ok := operations[opKey{soap.V16, info.s, info.name}]
	if !ok {
		// Every 1.5 operation exists in 1.6 (TestCounterparts).
		return nil, info, fmt.Errorf("soapjson: OCPP 1.6 has no %s %s", info.s, info.name)
	}
	if info.request {
		return o.NewRequest(), info, nil
	}
	return o.NewResponse(), info, nil
}
