package ocppjson

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// pathSeg is one element of the JSON path of an error: a property name or
// an array index.
type pathSeg struct {
	name  string
	index int
	isIdx bool
}

// Error is the internal error of the generated decoders and validators.
// The path is collected innermost first while the error bubbles up, so the
// success path never pays for path bookkeeping.
type Error struct {
	code ocppj.ErrorCode
	msg  string
	path []pathSeg
}

// Errorf returns an error with code and a formatted message and no path yet.
func Errorf(code ocppj.ErrorCode, format string, args ...any) *Error {
	return &Error{code: code, msg: fmt.Sprintf(format, args...)}
}

// At prefixes the path of e with the property name; it returns e.
func (e *Error) At(name string) *Error {
	e.path = append(e.path, pathSeg{name: name})
	return e
}

// AtIndex prefixes the path of e with the array index i; it returns e.
func (e *Error) AtIndex(i int) *Error {
	e.path = append(e.path, pathSeg{index: i, isIdx: true})
	return e
}

func (e *Error) pathString() string {
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		seg := e.path[i]
		if seg.isIdx {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg.name)
	}
	return b.String()
}

// OCPP converts e to the CALLERROR form, the path leading the description.
func (e *Error) OCPP() *ocppj.Error {
	desc := e.msg
	if p := e.pathString(); p != "" {
		desc = p + ": " + e.msg
	}
	return &ocppj.Error{Code: e.code, Description: desc}
}

// Missing reports a required property that is absent.
func Missing(name string) *Error {
	return (&Error{code: ocppj.OccurrenceConstraintViolation, msg: "required property is missing"}).At(name)
}

// UnknownProperty reports a property that additionalProperties: false forbids.
func UnknownProperty(key []byte) *Error {
	return (&Error{code: ocppj.FormatViolation, msg: "property is not allowed by the schema (additionalProperties: false)"}).At(string(key))
}

// EnumError reports a decoded string that is not one of allowed (a
// comma-separated list, as printed in the message).
func EnumError(raw []byte, allowed string) *Error {
	return Errorf(ocppj.PropertyConstraintViolation, "%q is not one of the allowed values [%s]", raw, allowed)
}

// InvalidEnum reports an enumeration value set in Go that is not allowed.
func InvalidEnum(v, allowed string) *Error {
	if v == "" {
		return Errorf(ocppj.PropertyConstraintViolation, "required enumeration value is empty; allowed values [%s]", allowed)
	}
	return Errorf(ocppj.PropertyConstraintViolation, "%q is not one of the allowed values [%s]", v, allowed)
}
