package ocppjson_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/ocppjson"
)

// decode runs read on the value of property "v" of payload, the way the
// generated decoders do: Start, BeginObject, NextKey, the read, then Finish.
func decode(payload string, read func(s *ocppjson.Scanner) *ocppjson.Error) *ocppj.Error {
	s := ocppjson.NewScanner([]byte(payload))
	e := s.Start()
	if e == nil {
		e = s.BeginObject()
	}
	for n := 0; e == nil; {
		key, ok, err := s.NextKey(&n)
		if err != nil || !ok {
			e = err
			break
		}
		if string(key) != "v" {
			e = ocppjson.UnknownProperty(key)
			break
		}
		if err := read(&s); err != nil {
			e = err.At("v")
		}
	}
	return s.Finish(e)
}

func TestReadString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		code     ocppj.ErrorCode
	}{
		{`"plain"`, "plain", ""},
		{`""`, "", ""},
		{`"A\u00e9\"\\\/\n\t\r\b\f"`, "Aé\"\\/\n\t\r\b\f", ""},
		{`"\ud83d\ude00"`, "😀", ""},
		{`"\ud83d"`, "\uFFFD", ""}, // a lone surrogate becomes U+FFFD, as in encoding/json
		{`"é"`, "é", ""},
		// Invalid UTF-8 (a Latin-1 charger, a surrogate encoded as UTF-8)
		// becomes U+FFFD byte by byte, as in encoding/json.
		{"\"Lades\xe4ule\"", "Lades\uFFFDule", ""},
		{"\"\xed\xa0\x80\"", "\uFFFD\uFFFD\uFFFD", ""},
		{"\"\xff\\n\xc3\\u00a9\"", "\uFFFD\n\uFFFD©", ""},
		{"\"\xf0\x9f\x9a\"", "\uFFFD\uFFFD\uFFFD", ""}, // a cut 4-byte sequence
		{`1`, "", ocppj.TypeConstraintViolation},
		{`null`, "", ocppj.TypeConstraintViolation},
		{`"\x"`, "", ocppj.FormatViolation},
		{`"\u12"`, "", ocppj.FormatViolation},
		{"\"a\x01\"", "", ocppj.FormatViolation},
		{`"open`, "", ocppj.FormatViolation},
	} {
		var got string
		err := decode(`{"v":`+tc.in+`}`, func(s *ocppjson.Scanner) *ocppjson.Error {
			var e *ocppjson.Error
			got, e = s.ReadString()
			return e
		})
		var std string
		if tc.code == "" && json.Unmarshal([]byte(tc.in), &std) != nil || std != tc.want {
			t.Errorf("test bug: encoding/json decodes %q to %q, not %q", tc.in, std, tc.want)
		}
		switch {
		case tc.code == "" && (err != nil || got != tc.want):
			t.Errorf("ReadString(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("ReadString(%s) error = %v, want %s", tc.in, err, tc.code)
		}
	}
}

func TestReadInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		code ocppj.ErrorCode
	}{
		{"0", 0, ""}, {"-7", -7, ""}, {"7.0", 7, ""}, {"1e3", 1000, ""}, {"123456789012345678", 123456789012345678, ""},
		{"9223372036854775807", math.MaxInt64, ""}, {"-9223372036854775808", math.MinInt64, ""},
		{"9223372036854775808", 0, ocppj.PropertyConstraintViolation}, {"1e400", 0, ocppj.PropertyConstraintViolation},
		{"1.5", 0, ocppj.TypeConstraintViolation}, {`"1"`, 0, ocppj.TypeConstraintViolation},
		{"01", 0, ocppj.FormatViolation}, {"-", 0, ocppj.FormatViolation}, {"1.", 0, ocppj.FormatViolation}, {"1e", 0, ocppj.FormatViolation},
	} {
		var got int
		err := decode(`{"v":`+tc.in+`}`, func(s *ocppjson.Scanner) *ocppjson.Error {
			var e *ocppjson.Error
			got, e = s.ReadInt()
			return e
		})
		switch {
		case tc.code == "" && (err != nil || got != tc.want):
			t.Errorf("ReadInt(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("ReadInt(%s) error = %v, want %s", tc.in, err, tc.code)
		}
	}
}

func TestReadNumberMultipleOf(t *testing.T) {
	tenth := ocppjson.MustRat("0.1")
	for _, tc := range []struct {
		in   string
		want float64
		code ocppj.ErrorCode
	}{
		{"16.1", 16.1, ""}, {"-0.5", -0.5, ""}, {"1e1", 10, ""}, {"16", 16, ""},
		{"16.15", 0, ocppj.PropertyConstraintViolation}, {"true", 0, ocppj.TypeConstraintViolation},
	} {
		var got float64
		err := decode(`{"v":`+tc.in+`}`, func(s *ocppjson.Scanner) *ocppjson.Error {
			x, lit, e := s.ReadNumber()
			if e != nil {
				return e
			}
			got = x
			return ocppjson.CheckMultipleOf(lit, tenth, "0.1")
		})
		switch {
		case tc.code == "" && (err != nil || got != tc.want):
			t.Errorf("ReadNumber(%s) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("ReadNumber(%s) error = %v, want %s", tc.in, err, tc.code)
		}
	}
	if e := ocppjson.CheckMultipleOfFloat(16.1, tenth, "0.1"); e != nil {
		t.Errorf("CheckMultipleOfFloat(16.1) = %v, want nil", e.OCPP())
	}
	if e := ocppjson.CheckMultipleOfFloat(math.NaN(), tenth, "0.1"); e == nil {
		t.Error("CheckMultipleOfFloat(NaN) = nil, want an error")
	}
}

func TestReadDateTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{`"2024-05-01T12:00:00.123+02:00"`, time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC), true},
		{`"2024-05-01t12:00:00z"`, time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), true},
		{`"2024-05-01 12:00:00Z"`, time.Time{}, false},
		{`"2024-05-01T12:00:00"`, time.Time{}, false},
		{`"2024-13-01T12:00:00Z"`, time.Time{}, false},
		// time.Parse's lax fallback takes these; RFC 3339 does not.
		{`"2024-05-01T12:00:00,5Z"`, time.Time{}, false},
		{`"2024-05-01T1:00:00.5Z"`, time.Time{}, false},
		{`"2024-05-01T12:00:00+24:00"`, time.Time{}, false},
		{`"2024-05-01T12:00:00+01:60"`, time.Time{}, false},
		// Valid RFC 3339, but the UTC year is not 0..9999: JSON cannot carry it.
		{`"0000-01-01T00:00:00+01:00"`, time.Time{}, false},
		{`"9999-12-31T23:59:59-01:00"`, time.Time{}, false},
		{`"0000-01-01T00:00:00Z"`, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		var got time.Time
		err := decode(`{"v":`+tc.in+`}`, func(s *ocppjson.Scanner) *ocppjson.Error {
			var e *ocppjson.Error
			got, e = s.ReadDateTime()
			return e
		})
		switch {
		case tc.ok && (err != nil || !got.Equal(tc.want) || got.Location() != time.UTC):
			t.Errorf("ReadDateTime(%s) = %v, %v; want %v in UTC", tc.in, got, err, tc.want)
		case !tc.ok && (err == nil || err.Code != ocppj.PropertyConstraintViolation):
			t.Errorf("ReadDateTime(%s) error = %v, want PropertyConstraintViolation", tc.in, err)
		}
	}
}

func TestSkipAndReadRaw(t *testing.T) {
	const v = `{"a":[1,-2.5e3,"x\"y",true,false,null,{}],"b":{"c":[[]]}}`
	var raw []byte
	err := decode(`{"v": `+v+` }`, func(s *ocppjson.Scanner) *ocppjson.Error {
		var e *ocppjson.Error
		raw, e = s.ReadRaw()
		return e
	})
	if err != nil || string(raw) != v {
		t.Errorf("ReadRaw = %s, %v; want %s", raw, err, v)
	}
	err = decode("{\"v\":[\"a\xffb\",{\"\xc3\":1}]}", func(s *ocppjson.Scanner) *ocppjson.Error {
		var e *ocppjson.Error
		raw, e = s.ReadRaw()
		return e
	})
	if want := "[\"a\uFFFDb\",{\"\uFFFD\":1}]"; err != nil || string(raw) != want {
		t.Errorf("ReadRaw of invalid UTF-8 = %q, %v; want %q", raw, err, want)
	}
	deep := strings.Repeat("[", 1002) + strings.Repeat("]", 1002)
	err = decode(`{"v":`+deep+`}`, func(s *ocppjson.Scanner) *ocppjson.Error { return s.Skip() })
	if err == nil || err.Code != ocppj.FormatViolation {
		t.Errorf("Skip(1002 nested arrays) error = %v, want FormatViolation", err)
	}
}

func TestFinish(t *testing.T) {
	str := func(s *ocppjson.Scanner) *ocppjson.Error { _, e := s.ReadString(); return e }
	for _, tc := range []struct {
		in   string
		code ocppj.ErrorCode
		desc string
	}{
		{`{"v":"x"}`, "", ""},
		{` {"v":"x"} `, "", ""},
		{``, ocppj.FormatViolation, "payload is empty, expected a JSON object"},
		{`[]`, ocppj.FormatViolation, "payload must be a JSON object, got array"},
		{`{"v":"x"} {}`, ocppj.FormatViolation, ""},
		{`{"v":"x",}`, ocppj.FormatViolation, ""},
		{`{"v" "x"}`, ocppj.FormatViolation, ""},
		{`{"w":1}`, ocppj.FormatViolation, "w: property is not allowed by the schema (additionalProperties: false)"},
		{`{"v":1}`, ocppj.TypeConstraintViolation, "v: expected string, got number"},
		// A semantic error in a document that is not JSON at all: FormatViolation wins.
		{`{"v":1,`, ocppj.FormatViolation, "malformed JSON"},
	} {
		err := decode(tc.in, str)
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%q: error %v, want none", tc.in, err)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("%q: error %v, want %s", tc.in, err, tc.code)
		case tc.desc != "" && err.Description != tc.desc:
			t.Errorf("%q: description %q, want %q", tc.in, err.Description, tc.desc)
		}
	}
}

func TestErrorPath(t *testing.T) {
	e := ocppjson.Missing("measurand").AtIndex(2).At("sampledValue").AtIndex(0).At("meterValue").OCPP()
	const want = "meterValue[0].sampledValue[2].measurand: required property is missing"
	if e.Code != ocppj.OccurrenceConstraintViolation || e.Description != want {
		t.Errorf("error = %s %q, want OccurrenceConstraintViolation %q", e.Code, e.Description, want)
	}
	if got := ocppjson.Errorf(ocppj.GenericError, "x").OCPP().Description; got != "x" {
		t.Errorf("description without a path = %q, want %q", got, "x")
	}
}

func TestChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    *ocppjson.Error
		code ocppj.ErrorCode // "" = no error
	}{
		{"maxLength runes", ocppjson.CheckMaxLength("éééé", 4), ""},
		{"maxLength", ocppjson.CheckMaxLength("ééééé", 4), ocppj.PropertyConstraintViolation},
		{"minLength", ocppjson.CheckMinLength("é", 2), ocppj.PropertyConstraintViolation},
		{"items ok", ocppjson.CheckItems(1, 1, -1), ""},
		{"minItems", ocppjson.CheckItems(0, 1, -1), ocppj.OccurrenceConstraintViolation},
		{"maxItems", ocppjson.CheckItems(3, -1, 2), ocppj.OccurrenceConstraintViolation},
		{"nil array", ocppjson.NilArray(), ocppj.OccurrenceConstraintViolation},
		{"minimum", ocppjson.CheckMinimum(-1, 0), ocppj.PropertyConstraintViolation},
		{"maximum", ocppjson.CheckMaximum(101, 100), ocppj.PropertyConstraintViolation},
		{"finite", ocppjson.CheckFinite(math.Inf(1)), ocppj.PropertyConstraintViolation},
		{"uri", ocppjson.CheckURI("ftp://fw.example.com/v2.bin"), ""},
		{"relative uri", ocppjson.CheckURI("fw.bin"), ocppj.PropertyConstraintViolation},
		{"enum", ocppjson.EnumError([]byte("Foo"), "A, B"), ocppj.PropertyConstraintViolation},
		{"empty enum", ocppjson.InvalidEnum("", "A, B"), ocppj.PropertyConstraintViolation},
	} {
		switch {
		case tc.code == "" && tc.e != nil:
			t.Errorf("%s: error %v, want none", tc.name, tc.e.OCPP())
		case tc.code != "" && (tc.e == nil || tc.e.OCPP().Code != tc.code):
			t.Errorf("%s: error %v, want %s", tc.name, tc.e, tc.code)
		}
	}
}

type unit string

func TestNewEnumSlab(t *testing.T) {
	s := ocppjson.NewScanner(nil)
	var ps []*unit
	for i := range 40 { // more than one slab
		ps = append(ps, ocppjson.NewEnum(&s, unit(strings.Repeat("k", i))))
	}
	*ps[0] = "changed"
	for i, p := range ps[1:] {
		if want := unit(strings.Repeat("k", i+1)); *p != want {
			t.Fatalf("value %d = %q, want %q: pointers alias each other", i+1, *p, want)
		}
	}
}
