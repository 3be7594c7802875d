// Package schematest checks the decoders that ocppgen generates for an OCPP
// version against the Open Charge Alliance's JSON schemas: it synthesizes
// valid documents from each schema and invalid ones by mutating them, and
// cross-checks every verdict with an independent validator
// (santhosh-tekuri/jsonschema). Only tests import it.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Suite describes a version package's generated code to the checks: the
// schema file it was generated from and its generated entry points.
type Suite struct {
	SchemaFile     string   // the OCA schema array, e.g. "schemas/ocpp1_6.json"
	NumActions     int      // actions the schema file defines
	Actions        []string // the generated Actions
	NewRequest     func(action string) any
	NewResponse    func(action string) any
	DecodeRequest  func(action string, payload []byte) (any, *ocppj.Error)
	DecodeResponse func(action string, payload []byte) (any, *ocppj.Error)
}

// Schema is one message schema of the OCA file, both as the generic
// validator's compiled schema and as a raw tree used to synthesize examples.
type Schema struct {
	ID     string // the schema's $id, e.g. urn:BootNotification.req
	Action string
	IsReq  bool
	root   map[string]any
	schema *jsonschema.Schema
}

// Load reads an OCA schema file (a JSON array of message schemas) and
// compiles every schema with the generic validator.
func Load(t testing.TB, file string) []*Schema {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	var out []*Schema
	for _, raw := range raws {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		id := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		root := decodeAny(t, raw)
		name := strings.TrimPrefix(id, "urn:")
		ms := &Schema{ID: id, root: root.(map[string]any)}
		if a, ok := strings.CutSuffix(name, ".req"); ok {
			ms.Action, ms.IsReq = a, true
		} else {
			ms.Action = strings.TrimSuffix(name, ".conf")
		}
		out = append(out, ms)
	}
	for _, ms := range out {
		if ms.schema, err = c.Compile(ms.ID); err != nil {
			t.Fatalf("compile %s: %v", ms.ID, err)
		}
	}
	return out
}

func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func (c *Suite) decode(ms *Schema, b []byte) (any, *ocppj.Error) {
	if ms.IsReq {
		return c.DecodeRequest(ms.Action, b)
	}
	return c.DecodeResponse(ms.Action, b)
}

// Validate checks the JSON document b with the generic validator; nil
// means valid.
func (ms *Schema) Validate(t testing.TB, b []byte) error {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return ms.schema.Validate(doc)
}

func (ms *Schema) resolve(s map[string]any) map[string]any {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		return ms.root["definitions"].(map[string]any)[name].(map[string]any)
	}
	return s
}

func intKw(s map[string]any, k string) (int, bool) {
	v, ok := s[k]
	if !ok {
		return 0, false
	}
	n, err := v.(json.Number).Int64()
	if err != nil {
		panic(err)
	}
	return int(n), true
}

// example synthesizes a valid instance of s. full includes every optional
// property; variant rotates enum values and string/date-time shapes.
func (ms *Schema) example(s map[string]any, full bool, variant int) any {
	s = ms.resolve(s)
	if e, ok := s["enum"].([]any); ok {
		return e[variant%len(e)]
	}
	switch s["type"] {
	case "string":
		switch s["format"] {
		case "date-time":
			return []string{"2024-05-01T12:34:56Z", "2024-05-01T12:34:56.789Z", "2024-05-01T14:34:56+02:00", "2023-12-31T23:59:59.5-05:30"}[variant%4]
		case "uri":
			return "https://files.example.com/upload?id=7"
		}
		n := 8
		if m, ok := intKw(s, "maxLength"); ok {
			if variant%2 == 1 {
				return strings.Repeat("é", m) // maxLength counts characters, not bytes
			}
			n = min(n, m)
		}
		return "abcdefgh"[:n]
	case "integer":
		if variant%3 == 2 {
			return json.Number("7.0") // an integer-valued number is a JSON Schema integer
		}
		return json.Number("42")
	case "number":
		return json.Number([]string{"12.3", "-0.5", "16", "1e1"}[variant%4])
	case "boolean":
		return variant%2 == 0
	case "array":
		n := 1
		if full {
			n = 2
		}
		if m, ok := intKw(s, "minItems"); ok {
			n = max(n, m)
		}
		if m, ok := intKw(s, "maxItems"); ok {
			n = min(n, m)
		}
		items := s["items"].(map[string]any)
		arr := make([]any, n)
		for i := range arr {
			arr[i] = ms.example(items, full, variant+i)
		}
		return arr
	case "object":
		obj := map[string]any{}
		req := required(s)
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			if full || req[name] {
				obj[name] = ms.example(p.(map[string]any), full, variant)
			}
		}
		return obj
	case nil: // untyped: any JSON value
		return []any{map[string]any{"k": []any{json.Number("1"), "x", nil}}, "text", json.Number("2.5"), nil}[variant%4]
	}
	panic(fmt.Sprintf("%s: cannot synthesize %v", ms.ID, s))
}

func required(s map[string]any) map[string]bool {
	req := map[string]bool{}
	if r, ok := s["required"].([]any); ok {
		for _, x := range r {
			req[x.(string)] = true
		}
	}
	return req
}

func maxEnumLen(v any) int {
	n := 1
	switch x := v.(type) {
	case map[string]any:
		if e, ok := x["enum"].([]any); ok {
			n = len(e)
		}
		for _, c := range x {
			n = max(n, maxEnumLen(c))
		}
	case []any:
		for _, c := range x {
			n = max(n, maxEnumLen(c))
		}
	}
	return n
}

// JSON is json.Marshal that fails the test on error.
func JSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON compares documents semantically: numbers by value, date-times by
// instant.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameJSON(v, y[k]) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return fx == fy
	case string:
		y, ok := b.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		tx, e1 := time.Parse(time.RFC3339Nano, strings.ToUpper(x)) // RFC 3339 allows "t" and "z"
		ty, e2 := time.Parse(time.RFC3339Nano, strings.ToUpper(y))
		return e1 == nil && e2 == nil && tx.Equal(ty)
	}
	return reflect.DeepEqual(a, b)
}

// EveryActionHasRequestAndResponse checks that the generated package has a
// request and a response type for every action of the schema file, and that
// Actions lists them in file order.
func (c *Suite) EveryActionHasRequestAndResponse(t *testing.T) {
	schemas := Load(t, c.SchemaFile)
	var actions []string
	for _, ms := range schemas {
		if ms.IsReq {
			actions = append(actions, ms.Action)
		}
		if c.NewRequest(ms.Action) == nil || c.NewResponse(ms.Action) == nil {
			t.Errorf("%s: missing generated type", ms.ID)
		}
	}
	if !slices.Equal(actions, c.Actions) {
		t.Errorf("Actions = %v, want %v", c.Actions, actions)
	}
	if len(c.Actions) != c.NumActions {
		t.Errorf("len(Actions) = %d, want %d", len(c.Actions), c.NumActions)
	}
	for _, f := range []func(string, []byte) (any, *ocppj.Error){c.DecodeRequest, c.DecodeResponse} {
		v, err := f("NoSuchAction", []byte(`{}`))
		if v != nil || err == nil || err.Code != ocppj.NotImplemented {
			t.Errorf("unknown action: got %v, %v", v, err)
		}
	}
}

type actioner interface{ ActionName() string }

// ValidExamples synthesizes valid documents for every message schema (only
// the required properties, then every property with each enum value in
// turn), and checks that the generic validator and the generated decoder
// accept them, that Validate accepts the decoded value, and that encoding
// and decoding again round-trips.
func (c *Suite) ValidExamples(t *testing.T) {
	for _, ms := range Load(t, c.SchemaFile) {
		t.Run(strings.TrimPrefix(ms.ID, "urn:"), func(t *testing.T) {
			var docs [][]byte
			docs = append(docs, JSON(t, ms.example(ms.root, false, 0)))
			for v := range max(4, maxEnumLen(ms.root)) {
				docs = append(docs, JSON(t, ms.example(ms.root, true, v)))
			}
			for _, doc := range docs {
				if err := ms.Validate(t, doc); err != nil {
					t.Fatalf("test bug: generic validator rejects example %s: %v", doc, err)
				}
				got, oerr := c.decode(ms, doc)
				if oerr != nil {
					t.Fatalf("decode %s: %s: %s", doc, oerr.Code, oerr.Description)
				}
				if a := got.(actioner).ActionName(); a != ms.Action {
					t.Errorf("ActionName() = %q", a)
				}
				if verr := got.(interface{ Validate() *ocppj.Error }).Validate(); verr != nil {
					t.Errorf("Validate() of decoded %s: %s", doc, verr.Description)
				}
				enc := JSON(t, got)
				if err := ms.Validate(t, enc); err != nil {
					t.Errorf("re-encoded %s is invalid: %v\n(from %s)", enc, err, doc)
				}
				if !sameJSON(decodeAny(t, doc), decodeAny(t, enc)) {
					t.Errorf("round trip changed the document:\n in  %s\n out %s", doc, enc)
				}
				again, oerr := c.decode(ms, enc)
				if oerr != nil {
					t.Fatalf("decode re-encoded %s: %s", enc, oerr.Description)
				}
				if !reflect.DeepEqual(got, again) {
					t.Errorf("decode(encode(x)) != x for %s", doc)
				}
			}
		})
	}
}

type mutation struct {
	what string
	doc  any
	code ocppj.ErrorCode
	path string // JSON path the error must name; "" for the payload itself
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// mutations returns invalid variants of the valid document doc (an instance
// of s at path), each with the error code OCPP-J prescribes. set replaces
// the value in the whole document and returns the mutated copy.
func (ms *Schema) mutations(s map[string]any, val any, path string, set func(any) any) []mutation {
	s = ms.resolve(s)
	var out []mutation
	add := func(what string, v any, code ocppj.ErrorCode) {
		out = append(out, mutation{what: what + " at " + path, doc: set(v), code: code, path: path})
	}
	wrongTypes := func(skip string) {
		for _, w := range []struct {
			kind string
			v    any
		}{{"string", "x"}, {"number", json.Number("123")}, {"boolean", true}, {"object", map[string]any{}}, {"array", []any{}}, {"null", nil}} {
			if w.kind != skip && !(skip == "number" && w.kind == "integer") {
				add("type "+w.kind, w.v, ocppj.TypeConstraintViolation)
			}
		}
	}
	if _, ok := s["enum"]; ok {
		wrongTypes("string")
		add("enum", "NotAnAllowedValue", ocppj.PropertyConstraintViolation)
		return out
	}
	switch s["type"] {
	case "string":
		wrongTypes("string")
		if m, ok := intKw(s, "maxLength"); ok {
			add("maxLength", strings.Repeat("x", m+1), ocppj.PropertyConstraintViolation)
			add("maxLength runes", strings.Repeat("é", m+1), ocppj.PropertyConstraintViolation)
		}
		switch s["format"] {
		case "date-time":
			add("date-time", "2024-05-01 12:34:56", ocppj.PropertyConstraintViolation)
			add("date-time no zone", "2024-05-01T12:34:56", ocppj.PropertyConstraintViolation)
			add("date-time month", "2024-13-01T12:34:56Z", ocppj.PropertyConstraintViolation)
		case "uri":
			add("uri", "not a uri", ocppj.PropertyConstraintViolation)
		}
	case "integer", "number":
		wrongTypes("number")
		if s["type"] == "integer" {
			add("non-integer", json.Number("1.5"), ocppj.TypeConstraintViolation)
			add("numeric string", "1", ocppj.TypeConstraintViolation)
		}
		if m, ok := s["minimum"].(json.Number); ok {
			f, _ := m.Float64()
			add("minimum", json.Number(fmt.Sprint(f-1)), ocppj.PropertyConstraintViolation)
		}
		if m, ok := s["maximum"].(json.Number); ok {
			f, _ := m.Float64()
			add("maximum", json.Number(fmt.Sprint(f+1)), ocppj.PropertyConstraintViolation)
		}
		if m, ok := s["multipleOf"].(json.Number); ok && m == "0.1" {
			add("multipleOf", json.Number("0.15"), ocppj.PropertyConstraintViolation)
			add("multipleOf", json.Number("12.34"), ocppj.PropertyConstraintViolation)
		}
	case "boolean":
		wrongTypes("boolean")
	case "array":
		wrongTypes("array")
		arr := val.([]any)
		if m, ok := intKw(s, "minItems"); ok && m > 0 {
			add("minItems", arr[:m-1:m-1], ocppj.OccurrenceConstraintViolation)
		}
		if m, ok := intKw(s, "maxItems"); ok {
			long := slices.Repeat(arr[:1], m+1)
			add("maxItems", long, ocppj.OccurrenceConstraintViolation)
		}
		items := s["items"].(map[string]any)
		for i := range arr {
			// Every element at the first array level, only the first one
			// deeper down: nested arrays would multiply the cases.
			if i > 0 && strings.Contains(path, "[") {
				break
			}
			out = append(out, ms.mutations(items, arr[i], fmt.Sprintf("%s[%d]", path, i), func(v any) any {
				cp := slices.Clone(arr)
				cp[i] = v
				return set(cp)
			})...)
		}
	case "object":
		if path != "" {
			wrongTypes("object")
		}
		obj := val.(map[string]any)
		with := func(k string, v any, del bool) any {
			cp := make(map[string]any, len(obj)+1)
			for kk, vv := range obj {
				cp[kk] = vv
			}
			if del {
				delete(cp, k)
			} else {
				cp[k] = v
			}
			return set(cp)
		}
		if s["additionalProperties"] == false {
			out = append(out, mutation{what: "unknown property at " + path, doc: with("zzUnknown", 1, false), code: ocppj.FormatViolation, path: joinPath(path, "zzUnknown")})
		}
		props, _ := s["properties"].(map[string]any)
		for name := range required(s) {
			out = append(out, mutation{what: "missing " + joinPath(path, name), doc: with(name, nil, true), code: ocppj.OccurrenceConstraintViolation, path: joinPath(path, name)})
		}
		for name, p := range props {
			if v, ok := obj[name]; ok {
				out = append(out, ms.mutations(p.(map[string]any), v, joinPath(path, name), func(v any) any { return with(name, v, false) })...)
			}
		}
	}
	return out
}

// InvalidExamples mutates a full valid document of every message schema
// into invalid ones (wrong types, bounds, enum values, missing and unknown
// properties, malformed JSON) and checks that the generic validator and the
// generated decoder reject each, the decoder with the error code OCPP-J
// prescribes and the JSON path first in the description.
func (c *Suite) InvalidExamples(t *testing.T) {
	total := 0
	for _, ms := range Load(t, c.SchemaFile) {
		t.Run(strings.TrimPrefix(ms.ID, "urn:"), func(t *testing.T) {
			full := ms.example(ms.root, true, 0)
			muts := ms.mutations(ms.root, full, "", func(v any) any { return v })
			total += len(muts)
			for i, m := range muts {
				doc := JSON(t, m.doc)
				// The generic validator is the slow part; -short samples it.
				if !testing.Short() || i%7 == 0 {
					if err := ms.Validate(t, doc); err == nil {
						t.Errorf("%s: generic validator accepts %s", m.what, doc)
					}
				}
				got, oerr := c.decode(ms, doc)
				if oerr == nil {
					t.Errorf("%s: decoder accepts %s: %+v", m.what, doc, got)
					continue
				}
				if got != nil {
					t.Errorf("%s: decoder returned a value with an error", m.what)
				}
				if oerr.Code != m.code {
					t.Errorf("%s: code %s, want %s (%s)\n%s", m.what, oerr.Code, m.code, oerr.Description, doc)
				}
				if m.path != "" && !strings.HasPrefix(oerr.Description, m.path+": ") {
					t.Errorf("%s: description %q does not start with the path %q", m.what, oerr.Description, m.path)
				}
			}
			// Payloads that are not a JSON object, or not JSON.
			valid := JSON(t, full)
			for _, bad := range []string{`[]`, `"x"`, `1`, `null`, `true`, ``, ` `, `{`, `{"a"`, `{"a":}`, `{}}`, `{} {}`, `{,}`,
				string(valid[:len(valid)-1]), string(valid) + "x", "\xff"} {
				got, oerr := c.decode(ms, []byte(bad))
				if oerr == nil || oerr.Code != ocppj.FormatViolation || got != nil {
					t.Errorf("payload %q: got %v, %+v; want FormatViolation", bad, got, oerr)
				}
			}
		})
	}
	t.Logf("%d mutations checked", total)
	if total < 1000 {
		t.Errorf("only %d mutations; the generator of test cases is broken", total)
	}
}
