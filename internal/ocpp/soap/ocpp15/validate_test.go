package ocpp15

import (
	"errors"
	"testing"
	"time"
)

// TestValidationErrorOccurrence checks that 1.5's checks mark their kind
// as 1.6's do: a MeterValue without a <value> is an occurrence violation,
// a value with an unknown unit a property one.
func TestValidationErrorOccurrence(t *testing.T) {
	ts := time.Date(2026, 12, 7, 9, 30, 15, 0, time.UTC)
	bad := UnitOfMeasure("Percent")
	for _, c := range []struct {
		name       string
		m          Message
		want       string
		occurrence bool
	}{
		{"list too short", &MeterValuesRequest{ConnectorID: 1, Values: []MeterValue{{Timestamp: ts}}},
			"values[0].value: 0 elements, want at least 1", true},
		{"attribute not in enumeration", &MeterValuesRequest{ConnectorID: 1, Values: []MeterValue{{Timestamp: ts, Value: []MeterValueValue{{Value: "1", Unit: &bad}}}}},
			`values[0].value[0].@unit: "Percent" is not one of the allowed values [` + genUnitOfMeasureAllowed + `]`, false},
	} {
		err := c.m.Validate()
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Validate = %v, want %s", c.name, err, c.want)
			continue
		}
		if v, ok := errors.AsType[*ValidationError](err); !ok || v.Occurrence != c.occurrence {
			t.Errorf("%s: %#v, want a *ValidationError with Occurrence %v", c.name, err, c.occurrence)
		}
	}
}
