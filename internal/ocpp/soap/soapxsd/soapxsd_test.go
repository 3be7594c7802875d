package soapxsd

import (
	"errors"
	"fmt"
	"testing"
)

func TestPath(t *testing.T) {
	p := Index(Path(Path("", "meterValue"), "sampledValue"), 1)
	if got, want := Path(p, "measurand"), "meterValue.sampledValue[1].measurand"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
	if got, want := Index(Path("", "values"), 12), "values[12]"; got != want {
		t.Errorf("Index = %q, want %q", got, want)
	}
}

// TestChecks pins each check's verdict, message and kind: the messages are
// what a charger reads in a SOAP fault, and Occurrence chooses the fault's
// subcode.
func TestChecks(t *testing.T) {
	for _, c := range []struct {
		name       string
		err        error
		want       string // Error(), "" for nil
		occurrence bool
	}{
		{"missing", Missing("idTag"), "idTag: required element is missing", true},
		{"occurs within", Occurs("p", 1, 1, 1), "", false},
		{"occurs unbounded", Occurs("p", 500, 0, -1), "", false},
		{"occurs too few", Occurs("sampledValue", 0, 1, -1), "sampledValue: 0 elements, want at least 1", true},
		{"occurs too many", Occurs("list", 3, 1, 2), "list: 3 elements, want at most 2", true},
		{"length within", Length("p", "TAG-1", 0, 20), "", false},
		{"length unbounded", Length("p", "a long enough string", 1, -1), "", false},
		// Characters, not bytes: 20 two-byte runes fit maxLength 20.
		{"length counts runes", Length("p", "éééééééééééééééééééé", 0, 20), "", false},
		{"length too long", Length("idTag", "TAG-LONGER-THAN-20-CHARS", 0, 20), "idTag: length 24 exceeds maxLength 20", false},
		{"length too short", Length("key", "", 1, 50), "key: length 0 is below minLength 1", false},
		{"enum", Enum("status", "Maybe", "Accepted, Rejected"), `status: "Maybe" is not one of the allowed values [Accepted, Rejected]`, false},
		{"fraction digits within", FractionDigits("limit", 16.5, 1), "", false},
		{"fraction digits integer", FractionDigits("limit", 32, 0), "", false},
		{"fraction digits too many", FractionDigits("limit", 16.25, 1), "limit: 16.25 has more than 1 fraction digits", false},
	} {
		if c.want == "" {
			if c.err != nil {
				t.Errorf("%s: %v, want nil", c.name, c.err)
			}
			continue
		}
		if c.err == nil {
			t.Errorf("%s: nil, want %q", c.name, c.want)
			continue
		}
		if c.err.Error() != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.err, c.want)
		}
		// Callers find the error wrapped, as the SOAP layers return it.
		v, ok := errors.AsType[*ValidationError](fmt.Errorf("ocpp16s: %w", c.err))
		if !ok {
			t.Errorf("%s: %T is no *ValidationError", c.name, c.err)
			continue
		}
		if v.Occurrence != c.occurrence {
			t.Errorf("%s: Occurrence = %v, want %v", c.name, v.Occurrence, c.occurrence)
		}
		if v.Path+": "+v.Reason != c.want {
			t.Errorf("%s: Path %q, Reason %q do not make %q", c.name, v.Path, v.Reason, c.want)
		}
	}
}
