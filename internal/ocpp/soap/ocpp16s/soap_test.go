package ocpp16s

import (
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap/soaptest"
)

func TestSchemaConformance(t *testing.T) {
	n := soaptest.Run(t, genEnumValues,
		soaptest.Service{WSDL: "../wsdl/OCPP_CentralSystemService_1.6.wsdl", Namespace: CentralSystemNamespace, Operations: operations(CentralSystemOperations)},
		soaptest.Service{WSDL: "../wsdl/OCPP_ChargePointService_1.6.wsdl", Namespace: ChargePointNamespace, Operations: operations(ChargePointOperations)},
	)
	t.Logf("%d documents checked with xmllint", n)
}

func operations(ops []Operation) []soaptest.Operation {
	out := make([]soaptest.Operation, len(ops))
	for i, op := range ops {
		out[i] = soaptest.Operation{
			Name:        op.Name,
			NewRequest:  func() soaptest.Message { return op.NewRequest() },
			NewResponse: func() soaptest.Message { return op.NewResponse() },
		}
	}
	return out
}
