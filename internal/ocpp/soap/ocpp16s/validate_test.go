package ocpp16s

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestValidationErrorOccurrence checks the kind each check gives a
// failure: a SOAP endpoint answers an error with Occurrence with the fault
// subcode OccurenceConstraintViolation and any other with
// PropertyConstraintViolation.
func TestValidationErrorOccurrence(t *testing.T) {
	ts := time.Date(2026, 12, 7, 9, 30, 15, 0, time.UTC)
	for _, c := range []struct {
		name       string
		m          interface{ Validate() error }
		want       string
		occurrence bool
	}{
		{"required element missing", &AuthorizeRequest{}, "idTag: required element is missing", true},
		{"required dateTime missing", &MeterValuesRequest{ConnectorID: 1, MeterValue: []MeterValue{{SampledValue: []SampledValue{{Value: "1"}}}}},
			"meterValue[0].timestamp: required element is missing", true},
		{"list too short", &MeterValuesRequest{ConnectorID: 1, MeterValue: []MeterValue{{Timestamp: ts}}},
			"meterValue[0].sampledValue: 0 elements, want at least 1", true},
		{"string too long", &AuthorizeRequest{IDTag: "TAG-LONGER-THAN-20-CHARS"}, "idTag: length 24 exceeds maxLength 20", false},
		{"not in enumeration", &ResetRequest{Type: "Sideways"}, `type: "Sideways" is not one of the allowed values [Hard, Soft]`, false},
		{"too many fraction digits", &ChargingSchedulePeriod{Limit: 16.25}, "limit: 16.25 has more than 1 fraction digits", false},
	} {
		err := c.m.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Validate = %v, want %s", c.name, err, c.want)
			continue
		}
		v, ok := errors.AsType[*ValidationError](fmt.Errorf("decoding: %w", err))
		if !ok {
			t.Errorf("%s: %T is no *ValidationError", c.name, err)
			continue
		}
		if v.Occurrence != c.occurrence {
			t.Errorf("%s: Occurrence = %v, want %v", c.name, v.Occurrence, c.occurrence)
		}
	}
}
