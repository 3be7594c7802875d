package ocpp16s

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

func TestSchemaConformance(t *testing.T) {
	n := soaptest.Run(t, genEnumValues,
		soaptest.Service{WSDL: "../wsdl/OCPP_CentralSystemService_1.6.wsdl", Namespace: CentralSystemNamespace, Operations: CentralSystemOperations},
		soaptest.Service{WSDL: "../wsdl/OCPP_ChargePointService_1.6.wsdl", Namespace: ChargePointNamespace, Operations: ChargePointOperations},
	)
	t.Logf("%d documents checked with xmllint", n)
}
