package soapjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// toJSON renders a SOAP body type of ocpp16s (or a 1.5 one whose shape 1.6
// kept) as the OCPP-J 1.6 JSON payload of the same message. The WSDL and
// the OCA JSON schemas name every field alike (idTag, connectorId, ...), so
// the element name of each field's xml tag is its JSON key; absent optional
// elements (nil pointers, empty repeated elements) are left out, as OCPP-J
// leaves them out. Attributes and character data have no JSON counterpart
// in 1.6: a type using them is an error (1.5 MeterValues is converted by
// hand before it gets here).
func toJSON(v any) (json.RawMessage, error) {
	x, err := jsonValue(reflect.ValueOf(v))
	if err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

var timeType = reflect.TypeFor[time.Time]()

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
		out := make(map[string]any, v.NumField())
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "XMLName" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if name == "" || name == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "chardata") {
				return nil, fmt.Errorf("soapjson: %s.%s has no JSON counterpart", t.Name(), f.Name)
			}
			fv := v.Field(i)
			if fv.Kind() == reflect.Pointer && fv.IsNil() || fv.Kind() == reflect.Slice && fv.Len() == 0 {
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

// fromJSON fills a SOAP response body type from the OCPP-J 1.6 JSON
// response of the same message. encoding/json matches keys to field names
// without regard to case, and every field of the generated response types
// is named after its element (idTagInfo → IDTagInfo, parentIdTag →
// ParentIDTag): TestResponseFieldsMatchElements holds that for every
// response type served, so no field is silently left empty.
func fromJSON(payload []byte, dst any) error {
	return json.Unmarshal(payload, dst)
}
