package ocpp16s

// centralsystem_gen.go and chargepoint_gen.go are generated from the Open
// Charge Alliance's OCPP 1.6 WSDLs (../wsdl, see its README.md). Regenerate
// with `go generate`.
//go:generate go run ../wsdlgen -cs ../wsdl/OCPP_CentralSystemService_1.6.wsdl -cp ../wsdl/OCPP_ChargePointService_1.6.wsdl -pkg ocpp16s
