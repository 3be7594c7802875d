package schematest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Seed is a payload for the fuzz corpus: a real message of action.
type Seed struct {
	Action  string
	IsReq   bool
	Payload string
}

// Fuzz is the body of a version package's FuzzDecode: the fuzzer picks a
// message schema by index (which modulo the number of schemas: request and
// response of every action, in file order) and the payload, which goes
// through DecodeRequest or DecodeResponse as an inbound CALL or CALLRESULT
// would. The seeds are the package's golden payloads, the examples
// ValidExamples synthesizes from every schema and a few of InvalidExamples'
// mutations.
//
// It checks, with the generic validator as the reference:
//   - a refused payload yields no value and a payload error code (Format,
//     Type, Property or Occurrence violation) that both dialects can send,
//     with a valid UTF-8 description; malformed JSON is a FormatViolation;
//   - an accepted payload is JSON the generic validator accepts too: the
//     decoder is never laxer than the schema. Its value passes Validate and
//     holds only valid UTF-8; it re-encodes (encoding/json) to a document
//     the generic validator accepts, that means what the payload meant, and
//     that decodes to an identical value (the round trip; an empty optional
//     array counts as absent, see dropEmptyArrays);
//   - a payload the generic validator accepts is refused only where Joule
//     is deliberately stricter (see stricter).
func (c *Suite) Fuzz(f *testing.F, golden ...Seed) {
	schemas := Load(f, c.SchemaFile)
	index := map[string]uint8{}
	for i, ms := range schemas {
		index[ms.ID] = uint8(i)
	}
	for _, g := range golden {
		id := "urn:" + g.Action + ".conf"
		if g.IsReq {
			id = "urn:" + g.Action + ".req"
		}
		i, ok := index[id]
		if !ok {
			f.Fatalf("golden seed for unknown schema %s", id)
		}
		f.Add(i, []byte(g.Payload))
	}
	for i, ms := range schemas {
		full := ms.example(ms.root, true, 0)
		f.Add(uint8(i), JSON(f, ms.example(ms.root, false, 0)))
		f.Add(uint8(i), JSON(f, full))
		f.Add(uint8(i), JSON(f, ms.example(ms.root, true, 1)))
		muts := ms.mutations(ms.root, full, "", func(v any) any { return v })
		for _, m := range []int{0, len(muts) / 2, len(muts) - 1} {
			if m >= 0 && m < len(muts) {
				f.Add(uint8(i), JSON(f, muts[m].doc))
			}
		}
	}

	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		ms := schemas[int(which)%len(schemas)]
		in := bytes.Clone(payload)
		v, oerr := c.decode(ms, payload)
		if !bytes.Equal(in, payload) {
			t.Fatalf("%s: the decoder changed its input", ms.ID)
		}
		genErr := ms.Validate(t, payload)
		if oerr != nil {
			if v != nil {
				t.Fatalf("%s: decode(%q) returned %+v with the error %v", ms.ID, payload, v, oerr)
			}
			switch oerr.Code {
			case ocppj.FormatViolation, ocppj.TypeConstraintViolation, ocppj.PropertyConstraintViolation, ocppj.OccurrenceConstraintViolation:
			default:
				t.Fatalf("%s: decode(%q) code %s, want a payload error code", ms.ID, payload, oerr.Code)
			}
			for _, d := range []ocppj.Dialect{ocppj.Dialect16, ocppj.Dialect201} {
				if d.Parse(d.Name(oerr.Code)) != oerr.Code {
					t.Fatalf("%v cannot send %s", d, oerr.Code)
				}
			}
			if oerr.Description == "" || !utf8.ValidString(oerr.Description) {
				t.Fatalf("%s: decode(%q) description %q: want valid UTF-8 text", ms.ID, payload, oerr.Description)
			}
			if !json.Valid(payload) && oerr.Code != ocppj.FormatViolation {
				t.Fatalf("%s: malformed JSON %q refused with %s, want FormatViolation", ms.ID, payload, oerr.Code)
			}
			if genErr == nil && !stricter(payload, oerr) {
				t.Fatalf("%s: decoder refuses %q (%s: %s), which the schema allows", ms.ID, payload, oerr.Code, oerr.Description)
			}
			return
		}

		if !json.Valid(payload) {
			t.Fatalf("%s: decoder accepts malformed JSON %q", ms.ID, payload)
		}
		if genErr != nil {
			t.Fatalf("%s: decoder accepts %q, which the schema refuses: %v", ms.ID, payload, genErr)
		}
		if a := v.(actioner).ActionName(); a != ms.Action {
			t.Fatalf("%s: decoded a %T (action %s)", ms.ID, v, a)
		}
		if verr := v.(interface{ Validate() *ocppj.Error }).Validate(); verr != nil {
			t.Fatalf("%s: Validate() of the value decoded from %q: %s: %s", ms.ID, payload, verr.Code, verr.Description)
		}
		if s, ok := normalize(reflect.ValueOf(v)); !ok {
			t.Fatalf("%s: decoding %q gave the invalid UTF-8 string %q", ms.ID, payload, s)
		}
		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: the value decoded from %q does not encode: %v", ms.ID, payload, err)
		}
		if err := ms.Validate(t, enc); err != nil {
			t.Fatalf("%s: %q re-encodes to %s, which the schema refuses: %v", ms.ID, payload, enc, err)
		}
		if in, out := decodeAny(t, payload), decodeAny(t, enc); !hasDuplicateKeys(payload) && !sameJSON(dropEmptyArrays(in, out), out) {
			t.Fatalf("%s: the round trip changed the document:\n in  %q\n out %s", ms.ID, payload, enc)
		}
		again, oerr := c.decode(ms, enc)
		if oerr != nil {
			t.Fatalf("%s: re-encoded %s does not decode: %s: %s", ms.ID, enc, oerr.Code, oerr.Description)
		}
		normalize(reflect.ValueOf(again))
		if !reflect.DeepEqual(v, again) {
			t.Fatalf("%s: decode(encode(decode(%q))) differs:\n %+v\n %+v", ms.ID, payload, v, again)
		}
	})
}

// stricter reports whether the decoder refused a payload that the generic
// validator accepts for a reason Joule chose:
//   - an integer beyond int64, a number beyond float64, or a date-time
//     whose UTC year is outside 0 to 9999: Go values, and JSON going back
//     out, cannot carry them ("out of range");
//   - a date-time the generic validator's laxer check lets through (it
//     takes second 60 and signed fields); FuzzParseDateTime in ocppjson
//     holds the decoder's date-times to RFC 3339;
//   - untyped data nested more than 1000 deep;
//   - a repeated property name: the decoder checks every occurrence, the
//     generic validator only the last one.
func stricter(payload []byte, oerr *ocppj.Error) bool {
	d := oerr.Description
	return strings.Contains(d, "out of range") || strings.Contains(d, "RFC 3339 date-time") ||
		strings.Contains(d, "nesting too deep") || hasDuplicateKeys(payload)
}

// hasDuplicateKeys reports whether any object in the JSON document b names
// a property twice (false for malformed JSON).
func hasDuplicateKeys(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		keys  map[string]bool
		isObj bool
		inKey bool // the next string token in this object is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return false
		}
		top := len(stack) - 1
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				if top >= 0 && stack[top].isObj {
					stack[top].inKey = true
				}
				stack = append(stack, frame{keys: map[string]bool{}, isObj: tok == '{', inKey: tok == '{'})
			default:
				stack = stack[:top]
			}
			continue
		case string:
			if top >= 0 && stack[top].isObj && stack[top].inKey {
				if stack[top].keys[tok] {
					return true
				}
				stack[top].keys[tok] = true
				stack[top].inKey = false
				continue
			}
		}
		if top >= 0 && stack[top].isObj {
			stack[top].inKey = true // a value ended
		}
	}
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	timeType       = reflect.TypeFor[time.Time]()
)

// dropEmptyArrays deletes from the document in each object member that is
// an empty array and that out, the re-encoded document, lacks: an optional
// array (omitempty) that is empty is not encoded, and no OCPP message gives
// an empty optional array a meaning apart from its absence (both mean no
// items). It returns in.
func dropEmptyArrays(in, out any) any {
	switch x := in.(type) {
	case map[string]any:
		y, _ := out.(map[string]any)
		for k, v := range x {
			if arr, ok := v.([]any); ok && len(arr) == 0 {
				if _, kept := y[k]; !kept {
					delete(x, k)
					continue
				}
			}
			dropEmptyArrays(v, y[k])
		}
	case []any:
		y, _ := out.([]any)
		for i := range x {
			if i < len(y) {
				dropEmptyArrays(x[i], y[i])
			}
		}
	}
	return in
}

// normalize compacts every json.RawMessage in the value v points to (the
// decoder keeps untyped data verbatim, encoding/json compacts it), makes
// every empty slice of an omitempty field nil (encoding/json omits both,
// see dropEmptyArrays) and reports the first string that is not valid
// UTF-8.
func normalize(v reflect.Value) (bad string, ok bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return normalize(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			return "", true
		}
		for i := range v.NumField() {
			fv := v.Field(i)
			if fv.Kind() == reflect.Slice && fv.Len() == 0 && strings.Contains(v.Type().Field(i).Tag.Get("json"), ",omitempty") {
				fv.SetZero()
				continue
			}
			if bad, ok := normalize(fv); !ok {
				return bad, false
			}
		}
	case reflect.Slice:
		if v.Type() == rawMessageType {
			if !utf8.Valid(v.Bytes()) {
				return string(v.Bytes()), false
			}
			var buf bytes.Buffer
			if json.Compact(&buf, v.Bytes()) == nil {
				v.SetBytes(buf.Bytes())
			}
			return "", true
		}
		for i := range v.Len() {
			if bad, ok := normalize(v.Index(i)); !ok {
				return bad, false
			}
		}
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return v.String(), false
		}
	}
	return "", true
}
