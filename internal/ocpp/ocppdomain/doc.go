// Package ocppdomain holds the translation between OCPP and the charging
// domain that OCPP 1.6 and 2.0.1 share: how the outcome of an outbound CALL
// becomes a domain error or a charging.CommandResult, and how a sampled
// meter value becomes a charging.MeterSample in base units.
//
// It imports ocppj and charging only. The version packages (ocpp16,
// ocpp201) import it and keep what differs between versions: message types,
// field names, defaults the specifications do not share.
package ocppdomain
