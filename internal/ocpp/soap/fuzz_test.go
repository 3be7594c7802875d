package soap_test

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/joule-ev/joule/internal/ocpp/soap"
)

// FuzzDecode checks that Decode never panics, that every failure is a
// *DecodeError with a fault to answer it, and that a decoded body is a
// standalone element encoding/xml can read.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(envelope16(hdrOK, bodyOK)))
	f.Add(soap.EncodeFault(soap.ActionNotSupported("/X"), "urn:uuid:1"))
	f.Add([]byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>e:Sender</e:Value></e:Code></e:Fault></e:Body></e:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := soap.Decode(data)
		if err != nil {
			if !errors.As(err, new(*soap.DecodeError)) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			if soap.FaultFor(err, "").Code == soap.CodeReceiver {
				t.Fatalf("decode error %v maps to a Receiver fault", err)
			}
			return
		}
		if m.Fault != nil {
			return
		}
		var anyElem struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(m.BodyXML, &anyElem); err != nil || anyElem.XMLName != m.Body {
			t.Fatalf("BodyXML %q: %v, element %v, want %v", m.BodyXML, err, anyElem.XMLName, m.Body)
		}
	})
}
