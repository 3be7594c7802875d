package ocpp15

// centralsystem_gen.go and chargepoint_gen.go are generated from the
// e-laad.nl OCPP 1.5 WSDLs (../wsdl, see its README.md). Regenerate with
// `go generate`.
//go:generate go run ../wsdlgen -cs ../wsdl/ocpp_centralsystemservice_1.5_final.wsdl -cp ../wsdl/ocpp_chargepointservice_1.5_final.wsdl -pkg ocpp15
