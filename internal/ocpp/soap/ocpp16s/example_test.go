package ocpp16s_test

import (
	"encoding/xml"
	"fmt"

	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// A message marshals to an element in its service's namespace, ready for a
// SOAP Body; Validate names the element the schema does not allow.
func ExampleAuthorizeRequest() {
	b, err := xml.Marshal(&ocpp16s.AuthorizeRequest{IDTag: "TAG-1"})
	fmt.Println(string(b), err)
	fmt.Println((&ocpp16s.AuthorizeRequest{IDTag: "TAG-LONGER-THAN-20-CHARS"}).Validate())
	// Output:
	// <authorizeRequest xmlns="urn://Ocpp/Cs/2015/10/"><idTag>TAG-1</idTag></authorizeRequest> <nil>
	// idTag: length 24 exceeds maxLength 20
}

// The charge point's DataTransfer is a different element from the central
// system's: a body of one does not decode as the other.
func ExampleCPDataTransferRequest() {
	b, _ := xml.Marshal(&ocpp16s.CPDataTransferRequest{VendorID: "joule"})
	fmt.Println(string(b))
	fmt.Println(xml.Unmarshal(b, new(ocpp16s.DataTransferRequest)))
	// Output:
	// <dataTransferRequest xmlns="urn://Ocpp/Cp/2015/10/"><vendorId>joule</vendorId></dataTransferRequest>
	// expected element <dataTransferRequest> in name space urn://Ocpp/Cs/2015/10/ but have urn://Ocpp/Cp/2015/10/
}
