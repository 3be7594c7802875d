package ocpp15

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

func TestSchemaConformance(t *testing.T) {
	n := soaptest.Run(t, genEnumValues,
		soaptest.Service{WSDL: "../wsdl/ocpp_centralsystemservice_1.5_final.wsdl", Namespace: CentralSystemNamespace, Operations: CentralSystemOperations},
		soaptest.Service{WSDL: "../wsdl/ocpp_chargepointservice_1.5_final.wsdl", Namespace: ChargePointNamespace, Operations: ChargePointOperations},
	)
	t.Logf("%d documents checked with xmllint", n)
}
