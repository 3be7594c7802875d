package soapxsd

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Operation is one operation of a service: the wsa:Action of its request
// and of its response, and constructors of their SOAP Body elements.
type Operation struct {
	Name           string
	RequestAction  string
	ResponseAction string
	NewRequest     func() Message
	NewResponse    func() Message
}

// Message is the Body element of a request or response. Its type carries
// the element's namespace, so encoding/xml marshals it ready for a SOAP Body.
type Message interface {
	// Validate reports the first value the service's schema does not allow.
	Validate() error
}

// ValidationError names the element (path from the Body element, e.g.
// "meterValue[0].sampledValue[1].measurand") whose value the schema does not
// allow, and why.
type ValidationError struct {
	Path   string
	Reason string
	// Occurrence is set when the element is absent or a list has too few
	// or too many elements (OCPP's OccurenceConstraintViolation), and not
	// when a value present is out of bounds (PropertyConstraintViolation),
	// so that callers choose the fault without reading Reason.
	Occurrence bool
}

func (e *ValidationError) Error() string { return e.Path + ": " + e.Reason }

// Path is the path of the child element name of the element at p ("" is
// the Body element).
func Path(p, name string) string {
	if p == "" {
		return name
	}
	return p + "." + name
}

// Index is the path of element i of the list at p.
func Index(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

// Missing reports a required element that is absent. encoding/xml
// decodes an absent element to the zero value, so an empty required string
// or a zero required dateTime counts as absent.
func Missing(p string) error {
	return &ValidationError{Path: p, Reason: "required element is missing", Occurrence: true}
}

// Occurs checks that the list at p has n elements within minOccurs and
// maxOccurs (negative: unbounded).
func Occurs(p string, n, minOccurs, maxOccurs int) error {
	if n < minOccurs {
		return &ValidationError{Path: p, Reason: fmt.Sprintf("%d elements, want at least %d", n, minOccurs), Occurrence: true}
	}
	if maxOccurs >= 0 && n > maxOccurs {
		return &ValidationError{Path: p, Reason: fmt.Sprintf("%d elements, want at most %d", n, maxOccurs), Occurrence: true}
	}
	return nil
}

// Length checks that s has minLength to maxLength (negative: unbounded)
// characters; XML Schema counts characters, not bytes.
func Length(p, s string, minLength, maxLength int) error {
	n := utf8.RuneCountInString(s)
	if maxLength >= 0 && n > maxLength {
		return &ValidationError{Path: p, Reason: fmt.Sprintf("length %d exceeds maxLength %d", n, maxLength)}
	}
	if n < minLength {
		return &ValidationError{Path: p, Reason: fmt.Sprintf("length %d is below minLength %d", n, minLength)}
	}
	return nil
}

// Enum reports v, a value outside an enumeration; allowed lists the
// enumeration's values as the message prints them ("Accepted, Rejected").
func Enum(p, v, allowed string) error {
	return &ValidationError{Path: p, Reason: fmt.Sprintf("%q is not one of the allowed values [%s]", v, allowed)}
}

// FractionDigits checks that v, in its shortest decimal form, has at most
// digits fraction digits.
func FractionDigits(p string, v float64, digits int) error {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > digits {
		return &ValidationError{Path: p, Reason: fmt.Sprintf("%s has more than %d fraction digits", s, digits)}
	}
	return nil
}
