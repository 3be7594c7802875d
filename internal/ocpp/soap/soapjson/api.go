// Package soapjson converts OCPP-S message bodies (the types generated from
// the 1.5 and 1.6 WSDLs, packages ocpp15 and ocpp16s) to and from the
// OCPP-J 1.6 JSON payload of the same message. Joule's domain adapter for
// 1.6 (ocpp16.Station) speaks JSON, so every SOAP charger, and the
// simulator's SOAP chargers, go through here: a 1.6 body has the shape of
// its JSON message (the WSDL and the OCA schema name every element alike),
// and a 1.5 body is mapped where 1.6 changed it (meter values with
// attributes, the Occupied status, renamed enumeration values, fields 1.5
// lacks).
package soapjson

import (
	"context"
	"encoding/json"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp15"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// Body is a generated message body: it checks itself against its WSDL's
// schema.
type Body interface{ Validate() error }

// Operation is one WSDL operation of either version and service.
type Operation struct {
	Name        string
	NewRequest  func() Body
	NewResponse func() Body
}

type opKey struct {
	v    soap.Version
	s    soap.Service
	name string
}

var (
	operations = map[opKey]Operation{}
	opLists    = map[soap.Version]map[soap.Service][]Operation{}
)

func init() {
	add := func(v soap.Version, s soap.Service, name string, req, resp func() Body) {
		o := Operation{Name: name, NewRequest: req, NewResponse: resp}
		operations[opKey{v, s, name}] = o
		if opLists[v] == nil {
			opLists[v] = map[soap.Service][]Operation{}
		}
		opLists[v][s] = append(opLists[v][s], o)
	}
	for _, o := range ocpp16s.CentralSystemOperations {
		add(soap.V16, soap.CentralSystem, o.Name, func() Body { return o.NewRequest() }, func() Body { return o.NewResponse() })
	}
	for _, o := range ocpp16s.ChargePointOperations {
		add(soap.V16, soap.ChargePoint, o.Name, func() Body { return o.NewRequest() }, func() Body { return o.NewResponse() })
	}
	for _, o := range ocpp15.CentralSystemOperations {
		add(soap.V15, soap.CentralSystem, o.Name, func() Body { return o.NewRequest() }, func() Body { return o.NewResponse() })
	}
	for _, o := range ocpp15.ChargePointOperations {
		add(soap.V15, soap.ChargePoint, o.Name, func() Body { return o.NewRequest() }, func() Body { return o.NewResponse() })
	}
}

// Lookup finds an operation of a version's service by name.
func Lookup(v soap.Version, s soap.Service, name string) (Operation, bool) {
	o, ok := operations[opKey{v, s, name}]
	return o, ok
}

// Operations lists a version's service's operations in WSDL order.
func Operations(v soap.Version, s soap.Service) []Operation {
	return opLists[v][s]
}

// ToJSON renders body, a request or response of either version and either
// service, as the OCPP-J 1.6 JSON payload of the same message. occupied
// resolves a 1.5 StatusNotification's Occupied; nil makes it Preparing.
func ToJSON(ctx context.Context, body any, occupied Occupied) (json.RawMessage, error) {
	if is15(body) {
		return toJSON15(ctx, body, occupied)
	}
	return toJSON(body)
}

// FromJSON fills dst, a request or response body of either version and
// either service, from the OCPP-J 1.6 JSON payload of the same message.
// The caller validates dst: a 1.6 value 1.5 cannot say fails there.
func FromJSON(payload []byte, dst any) error {
	if is15(dst) {
		return fromJSON15(payload, dst)
	}
	return fromJSON(payload, dst)
}
