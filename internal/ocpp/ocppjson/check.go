package ocppjson

import (
	"math"
	"math/big"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// CheckMaxLength checks maxLength, which counts characters, not bytes.
func CheckMaxLength(s string, max int) *Error {
	if len(s) <= max {
		return nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(ocppj.PropertyConstraintViolation, "string length %d exceeds maxLength %d", n, max)
	}
	return nil
}

// CheckMinLength checks minLength, in characters.
func CheckMinLength(s string, min int) *Error {
	if n := utf8.RuneCountInString(s); n < min {
		return Errorf(ocppj.PropertyConstraintViolation, "string length %d is less than minLength %d", n, min)
	}
	return nil
}

// CheckItems checks minItems and maxItems; a negative bound is absent.
func CheckItems(n, min, max int) *Error {
	if min >= 0 && n < min {
		return Errorf(ocppj.OccurrenceConstraintViolation, "array has %d items, fewer than minItems %d", n, min)
	}
	if max >= 0 && n > max {
		return Errorf(ocppj.OccurrenceConstraintViolation, "array has %d items, more than maxItems %d", n, max)
	}
	return nil
}

// NilArray reports a required slice that is nil.
func NilArray() *Error {
	return Errorf(ocppj.OccurrenceConstraintViolation, "required array is nil (would be encoded as null); use an empty slice")
}

// CheckMinimum checks the inclusive minimum.
func CheckMinimum(v float64, min float64) *Error {
	if v < min {
		return Errorf(ocppj.PropertyConstraintViolation, "%v is less than minimum %v", v, min)
	}
	return nil
}

// CheckMaximum checks the inclusive maximum.
func CheckMaximum(v float64, max float64) *Error {
	if v > max {
		return Errorf(ocppj.PropertyConstraintViolation, "%v is greater than maximum %v", v, max)
	}
	return nil
}

// MustRat parses a multipleOf literal of the schema; the generated code
// calls it once per literal, at package initialization.
func MustRat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("ocppgen: bad rational " + s)
	}
	return r
}

// CheckMultipleOf checks that the JSON number literal lit is an exact
// multiple of m, using exact decimal arithmetic like JSON Schema validators.
func CheckMultipleOf(lit []byte, m *big.Rat, ms string) *Error {
	r, ok := new(big.Rat).SetString(string(lit))
	if !ok || !r.Quo(r, m).IsInt() {
		return Errorf(ocppj.PropertyConstraintViolation, "%s is not a multiple of %s", lit, ms)
	}
	return nil
}

// CheckMultipleOfFloat checks v as encoding/json would print it.
func CheckMultipleOfFloat(v float64, m *big.Rat, ms string) *Error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Errorf(ocppj.PropertyConstraintViolation, "%v is not a finite number", v)
	}
	return CheckMultipleOf(strconv.AppendFloat(nil, v, 'g', -1, 64), m, ms)
}

// CheckFinite rejects NaN and infinities, which JSON cannot carry.
func CheckFinite(v float64) *Error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Errorf(ocppj.PropertyConstraintViolation, "%v is not a finite number", v)
	}
	return nil
}

// CheckURI checks format: uri (an absolute URI).
func CheckURI(s string) *Error {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return Errorf(ocppj.PropertyConstraintViolation, "%q is not an absolute URI", s)
	}
	return nil
}
