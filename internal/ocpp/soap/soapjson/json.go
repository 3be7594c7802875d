package soapjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
)

// toJSON renders a SOAP body type of ocpp16s as the OCPP-J 1.6 JSON payload
// of the same message. The WSDL and the OCA JSON schemas name every field
// alike (idTag, connectorId, ...), so the element name of each field's xml
// tag is its JSON key; absent optional elements (nil pointers, empty
// repeated elements) are left out, as OCPP-J leaves them out, except where
// the JSON schema requires the array (requiredArrays). Attributes and
// character data have no JSON counterpart in 1.6: a type using them is an
// error (1.5 MeterValues is mapped to 1.6 before it gets here).
func toJSON(v any) (json.RawMessage, error) {
	x, err := jsonValue(reflect.ValueOf(v))
	if err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

var timeType = reflect.TypeFor[time.Time]()

// requiredArrays are the repeated elements the OCA schema requires, where
// the WSDL allows none: MeterValues.req wants "meterValue" even when it is
// empty. (The schema's other required arrays, sampledValue and
// chargingSchedulePeriod, are minOccurs 1 in the WSDL too.)
var requiredArrays = map[reflect.Type]string{
	reflect.TypeFor[ocpp16s.MeterValuesRequest](): "meterValue",
}

func jsonValue(v reflect.Value) (any, error) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		// OCPP-J wants UTC with the zone written out; sub-second digits
		// are kept when the charger sent them.
		return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano), nil
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		fs, err := elementFields(t)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(fs.list))
		for _, f := range fs.list {
			name := f.name
			fv := v.Field(f.index)
			if fv.Kind() == reflect.Pointer && fv.IsNil() || fv.Kind() == reflect.Slice && fv.Len() == 0 {
				if requiredArrays[t] == name {
					out[name] = []any{}
				}
				continue
			}
			x, err := jsonValue(fv)
			if err != nil {
				return nil, err
			}
			out[name] = x
		}
		return out, nil
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range v.Len() {
			x, err := jsonValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	case reflect.Bool:
		return v.Bool(), nil
	}
	return nil, fmt.Errorf("soapjson: cannot render %s as JSON", v.Type())
}

// elementName is the element a struct field holds, its JSON key.
func elementName(t reflect.Type, f reflect.StructField) (string, error) {
	name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
	if name == "" || name == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "chardata") {
		return "", fmt.Errorf("soapjson: %s.%s has no JSON counterpart", t.Name(), f.Name)
	}
	return name, nil
}

// checkJSON holds what the OCA schema asks of a 1.6 body beyond its WSDL:
// GetDiagnostics and UpdateFirmware want an absolute URI ("format": "uri")
// where the WSDL's anyURI also takes a relative reference.
func checkJSON(body any) error {
	var op, location string
	switch b := body.(type) {
	case *ocpp16s.GetDiagnosticsRequest:
		op, location = "GetDiagnostics", b.Location
	case *ocpp16s.UpdateFirmwareRequest:
		op, location = "UpdateFirmware", b.Location
	default:
		return nil
	}
	if u, err := url.Parse(location); err != nil || !u.IsAbs() {
		return &UnsupportedError{Version: soap.V16, Operation: op, Field: "location",
			Reason: fmt.Sprintf("%q is not an absolute URI, which OCPP-J 1.6 requires", location)}
	}
	return nil
}

// fromJSON fills a SOAP body type of ocpp16s from the OCPP-J 1.6 JSON
// payload of the same message. Keys are matched to the element names of
// the xml tags exactly; a key no field holds is an error (the OCA schemas
// allow no other properties, and a key silently dropped would be a value
// lost). null counts as absent, an empty array as no elements.
func fromJSON(payload []byte, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("soapjson: cannot fill %T", dst)
	}
	return decode(payload, v.Elem(), "")
}

// jsonAliases are values the OCA schema allows besides the WSDL's: the
// 1.6 JSON schema lists the misspelling "Celcius" next to "Celsius" (the
// 1.6 specification's typo), the WSDL only "Celsius". They mean the same.
var jsonAliases = map[reflect.Type]map[string]string{
	reflect.TypeFor[ocpp16s.UnitOfMeasure](): {"Celcius": string(ocpp16s.UnitOfMeasureCelsius)},
}

func decode(raw json.RawMessage, v reflect.Value, path string) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	fail := func(format string, args ...any) error { return decodeError(path, format, args...) }
	if v.Kind() == reflect.Pointer {
		p := reflect.New(v.Type().Elem())
		if err := decode(raw, p.Elem(), path); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	if v.Type() == timeType {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fail("want a date-time: %v", err)
		}
		t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
		if err != nil {
			return fail("%q is not an RFC 3339 date-time", s)
		}
		v.Set(reflect.ValueOf(t.UTC()))
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fail("want an object: %v", err)
		}
		fs, err := elementFields(v.Type())
		if err != nil {
			return err
		}
		keys := slices.Sorted(maps.Keys(obj)) // the first bad key is the same every time
		for _, key := range keys {
			x := obj[key]
			i, ok := fs.byName[key]
			if !ok {
				return fail("%s has no element %q", v.Type().Name(), key)
			}
			if err := decode(x, v.Field(i), joinPath(path, key)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fail("want an array: %v", err)
		}
		if len(items) == 0 {
			return nil
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, x := range items {
			if err := decode(x, s.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fail("want a string: %v", err)
		}
		if a, ok := jsonAliases[v.Type()][s]; ok {
			s = a
		}
		v.SetString(s)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n json.Number
		if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '"' {
			// json.Number takes a number in quotes too.
			return fail("want an integer, not the string %s", raw)
		}
		if err := json.Unmarshal(raw, &n); err != nil {
			return fail("want an integer: %v", err)
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			// JSON Schema's integer includes 7.0 and 7e2.
			f, ferr := n.Float64()
			if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
				return fail("%s is not an integer", n)
			}
			i = int64(f)
		}
		if v.OverflowInt(i) {
			return fail("%d is out of range", i)
		}
		v.SetInt(i)
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			return fail("want a number: %v", err)
		}
		v.SetFloat(f)
		return nil
	case reflect.Bool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return fail("want a boolean: %v", err)
		}
		v.SetBool(b)
		return nil
	}
	return fail("cannot fill %s from JSON", v.Type())
}

func decodeError(path, format string, args ...any) error {
	if path != "" {
		path += ": "
	}
	return fmt.Errorf("soapjson: %s%s", path, fmt.Sprintf(format, args...))
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldSets caches elementFields per struct type.
var fieldSets sync.Map // reflect.Type → *fieldSet

// fieldSet is a struct type's fields that hold elements, in order, and by
// element name.
type fieldSet struct {
	list   []elemField
	byName map[string]int // element name → field index
}

type elemField struct {
	index int
	name  string
}

// elementFields returns a struct type's element fields (read once per
// type: every message converts through here).
func elementFields(t reflect.Type) (*fieldSet, error) {
	if fs, ok := fieldSets.Load(t); ok {
		return fs.(*fieldSet), nil
	}
	fs := &fieldSet{byName: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "XMLName" || !f.IsExported() {
			continue
		}
		name, err := elementName(t, f)
		if err != nil {
			return nil, err
		}
		fs.list = append(fs.list, elemField{i, name})
		fs.byName[name] = i
	}
	fieldSets.Store(t, fs)
	return fs, nil
}
