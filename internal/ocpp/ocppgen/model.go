package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

type kind int

const (
	kString kind = iota
	kEnum
	kInteger
	kNumber
	kBool
	kDateTime
	kArray
	kObject
	kAny // no type keyword: any JSON value, kept as json.RawMessage
)

// typ is the generator's view of one schema node.
type typ struct {
	kind       kind
	maxLength  int // -1: none
	minLength  int // -1: none
	format     string
	minimum    string // JSON number literal or ""
	maximum    string
	multipleOf string
	enum       *enumType
	items      *typ
	minItems   int // -1: none
	maxItems   int // -1: none
	obj        *structType
}

type enumType struct {
	name   string
	values []string
	consts []string
	key    string
}

type structType struct {
	name    string
	fields  []*field
	open    bool // additionalProperties is not false
	key     string
	message bool // top-level message type
	action  string
	isReq   bool
}

type field struct {
	json     string
	goName   string
	t        *typ
	required bool
}

// pointer reports whether an optional field is represented as a pointer.
// Rule: every optional property is a pointer (nil = absent), except arrays,
// which are plain slices with omitempty (nil = absent), and untyped values
// (json.RawMessage, nil = absent).
func (f *field) pointer() bool {
	return !f.required && f.t.kind != kArray && f.t.kind != kAny
}

type message struct {
	action string
	req    *structType
	resp   *structType
}

type model struct {
	overrides map[string]string
	structs   []*structType
	enums     []*enumType
	byKey     map[string]*structType // canonical object schema -> type
	enumNames map[string]*enumType
	names     map[string]string // taken Go type names -> what took them
	messages  []*message
	msgIndex  map[string]*message
}

func newModel(overrides map[string]string) *model {
	return &model{
		overrides: overrides,
		byKey:     map[string]*structType{},
		enumNames: map[string]*enumType{},
		names:     map[string]string{},
		msgIndex:  map[string]*message{},
	}
}

func fatalf(format string, args ...any) {
	panic(fmt.Errorf(format, args...))
}

// ctx carries naming context while walking one message schema.
type ctx struct {
	root   *node
	action string
	where  string // for error messages
}

func (m *model) addSchema(s *node) {
	id := s.str("$id")
	rest, ok := strings.CutPrefix(id, "urn:")
	if !ok {
		fatalf("schema $id %q does not start with urn:", id)
	}
	var action string
	var isReq bool
	switch {
	case strings.HasSuffix(rest, ".req"):
		action, isReq = strings.TrimSuffix(rest, ".req"), true
	case strings.HasSuffix(rest, ".conf"):
		action = strings.TrimSuffix(rest, ".conf")
	case strings.HasSuffix(rest, "Request"):
		action, isReq = strings.TrimSuffix(rest, "Request"), true
	case strings.HasSuffix(rest, "Response"):
		action = strings.TrimSuffix(rest, "Response")
	default:
		fatalf("schema $id %q: cannot tell request from response", id)
	}
	if i := strings.LastIndexByte(action, ':'); i >= 0 { // e.g. urn:OCPP:Cp:2:2020:3:BootNotificationRequest
		action = action[i+1:]
	}
	if !isIdent(action) {
		fatalf("schema $id %q: action %q is not a Go identifier", id, action)
	}
	msg := m.msgIndex[action]
	if msg == nil {
		msg = &message{action: action}
		m.msgIndex[action] = msg
		m.messages = append(m.messages, msg)
	}
	suffix := "Response"
	if isReq {
		suffix = "Request"
	}
	name := action + suffix
	if (isReq && msg.req != nil) || (!isReq && msg.resp != nil) {
		fatalf("duplicate schema for %s", name)
	}
	c := &ctx{root: s, action: action, where: id}
	if t := s.str("type"); t != "object" {
		fatalf("%s: top-level type is %q, want object", id, t)
	}
	st := &structType{name: name, message: true, action: action, isReq: isReq}
	m.claim(name, "message "+id)
	m.structs = append(m.structs, st)
	m.fillStruct(c, st, s, action)
	if isReq {
		msg.req = st
	} else {
		msg.resp = st
	}
}

// free returns name, or name with a numeric suffix if it is taken.
func (m *model) free(name string) string {
	n := name
	for i := 2; m.names[n] != ""; i++ {
		n = name + strconv.Itoa(i)
	}
	return n
}

func (m *model) claim(name, by string) {
	if prev, ok := m.names[name]; ok {
		fatalf("Go name %s claimed twice (%s, %s)", name, prev, by)
	}
	m.names[name] = by
}

func (m *model) checkKeywords(c *ctx, s *node, path string) {
	for _, k := range s.keys {
		if !supportedKeywords[k] && !ignoredKeywords[k] {
			fatalf("%s %s: unsupported JSON Schema keyword %q", c.where, path, k)
		}
	}
}

// fillStruct fills st from object schema s; base is the name used to derive
// names of nested status/type enums.
func (m *model) fillStruct(c *ctx, st *structType, s *node, base string) {
	m.checkKeywords(c, s, st.name)
	if ap, ok := s.get("additionalProperties"); !ok || ap != false {
		if apn, isNode := ap.(*node); isNode && len(apn.keys) > 0 {
			fatalf("%s %s: schema-valued additionalProperties is not supported", c.where, st.name)
		}
		st.open = true
	}
	req := map[string]bool{}
	if r, ok := s.get("required"); ok {
		for _, x := range r.([]any) {
			req[x.(string)] = true
		}
	}
	props := s.obj("properties")
	used := map[string]string{}
	if props != nil {
		for _, pname := range props.keys {
			ps := props.obj(pname)
			if ps == nil {
				fatalf("%s: property %s is not a schema object", c.where, pname)
			}
			f := &field{json: pname, goName: goName(pname), required: req[pname]}
			if prev, dup := used[f.goName]; dup {
				fatalf("%s: properties %s and %s both map to Go field %s", c.where, prev, pname, f.goName)
			}
			used[f.goName] = pname
			f.t = m.typeOf(c, ps, pname, base, false)
			st.fields = append(st.fields, f)
		}
	}
	for r := range req {
		if props == nil || props.obj(r) == nil {
			fatalf("%s: required property %s is not declared in properties", c.where, r)
		}
	}
}

// typeOf converts a schema node. prop is the property name (naming hint),
// base the enclosing type name, item reports an array element.
func (m *model) typeOf(c *ctx, s *node, prop, base string, item bool) *typ {
	defName := ""
	if ref := s.str("$ref"); ref != "" {
		for _, k := range s.keys {
			if k != "$ref" && !ignoredKeywords[k] {
				fatalf("%s: keyword %q next to $ref is not supported", c.where, k)
			}
		}
		defName = strings.TrimPrefix(ref, "#/definitions/")
		s = resolveRef(c.root, ref)
	}
	m.checkKeywords(c, s, prop)
	t := &typ{maxLength: -1, minLength: -1, minItems: -1, maxItems: -1}
	typeName := s.str("type")
	if _, ok := s.get("enum"); ok {
		if typeName != "string" {
			fatalf("%s %s: enum of type %q is not supported", c.where, prop, typeName)
		}
		t.kind = kEnum
		t.enum = m.enumOf(c, s, prop, base, defName)
		return t
	}
	switch typeName {
	case "string":
		t.kind = kString
		switch f := s.str("format"); f {
		case "":
		case "date-time":
			t.kind = kDateTime
		case "uri":
			t.format = f
		default:
			fatalf("%s %s: unsupported format %q", c.where, prop, f)
		}
		t.maxLength = intKeyword(s, "maxLength")
		t.minLength = intKeyword(s, "minLength")
	case "integer", "number":
		t.kind = kInteger
		if typeName == "number" {
			t.kind = kNumber
		}
		t.minimum = numKeyword(s, "minimum")
		t.maximum = numKeyword(s, "maximum")
		t.multipleOf = numKeyword(s, "multipleOf")
		if t.kind == kInteger && t.multipleOf != "" {
			fatalf("%s %s: multipleOf on integer is not supported", c.where, prop)
		}
	case "boolean":
		t.kind = kBool
	case "array":
		t.kind = kArray
		items := s.obj("items")
		if items == nil {
			fatalf("%s %s: array without a single items schema", c.where, prop)
		}
		t.minItems = intKeyword(s, "minItems")
		t.maxItems = intKeyword(s, "maxItems")
		t.items = m.typeOf(c, items, prop, base, true)
	case "object":
		t.kind = kObject
		t.obj = m.structOf(c, s, prop, item, defName)
	case "":
		for _, k := range s.keys {
			if !ignoredKeywords[k] {
				fatalf("%s %s: untyped schema with keyword %q is not supported", c.where, prop, k)
			}
		}
		t.kind = kAny
	default:
		fatalf("%s %s: unsupported type %q", c.where, prop, typeName)
	}
	return t
}

func intKeyword(s *node, k string) int {
	v, ok := s.get(k)
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(string(v.(json.Number)))
	if err != nil || n < 0 {
		fatalf("bad %s %v", k, v)
	}
	return n
}

func numKeyword(s *node, k string) string {
	v, ok := s.get(k)
	if !ok {
		return ""
	}
	return string(v.(json.Number))
}

func (m *model) rename(name string) string {
	if o, ok := m.overrides[name]; ok {
		return o
	}
	return name
}

func (m *model) structOf(c *ctx, s *node, prop string, item bool, defName string) *structType {
	key := canonical(s, c.root)
	if st, ok := m.byKey[key]; ok {
		return st
	}
	var name string
	if defName != "" {
		name = goName(strings.TrimSuffix(defName, "Type"))
	} else {
		name = goName(prop)
		if item {
			name = singular(name)
		}
	}
	name = m.rename(name)
	if _, taken := m.names[name]; taken {
		name = m.free(m.rename(c.action + name))
	}
	st := &structType{name: name, key: key}
	m.claim(name, c.where+" "+prop)
	m.byKey[key] = st
	m.structs = append(m.structs, st)
	m.fillStruct(c, st, s, name)
	return st
}

func (m *model) enumOf(c *ctx, s *node, prop, base, defName string) *enumType {
	var values []string
	seen := map[string]bool{}
	for _, v := range s.m["enum"].([]any) {
		str, ok := v.(string)
		if !ok {
			fatalf("%s %s: non-string enum value %v", c.where, prop, v)
		}
		if str == "" {
			fatalf("%s %s: empty enum value is not supported (optional enums use \"\" for absent)", c.where, prop)
		}
		if !seen[str] {
			seen[str] = true
			values = append(values, str)
		}
	}
	key := strings.Join(values, "\x00")
	var name string
	switch {
	case defName != "":
		name = goName(strings.TrimSuffix(defName, "Type"))
	case prop == "status" || prop == "type":
		name = base + goName(prop)
	default:
		name = goName(prop)
	}
	name = m.rename(name)
	if e, ok := m.enumNames[name]; ok && e.key == key {
		return e
	}
	if _, taken := m.names[name]; taken {
		name = m.rename(c.action + name)
		if e, ok := m.enumNames[name]; ok && e.key == key {
			return e
		}
	}
	name = m.free(name)
	e := &enumType{name: name, values: values, key: key}
	m.claim(name, c.where+" "+prop)
	usedConst := map[string]bool{}
	for _, v := range values {
		cn := name + constSuffix(v)
		for i := 2; usedConst[cn] || m.names[cn] != ""; i++ {
			cn = name + constSuffix(v) + strconv.Itoa(i)
		}
		usedConst[cn] = true
		m.claim(cn, "enum constant "+name+" "+v)
		e.consts = append(e.consts, cn)
	}
	m.enumNames[name] = e
	m.enums = append(m.enums, e)
	return e
}

var initialisms = map[string]bool{
	"ID": true, "IDS": true, "URL": true, "URI": true, "UUID": true, "HTTP": true, "HTTPS": true,
	"JSON": true, "API": true, "IP": true, "TLS": true, "SQL": true, "XML": true, "TCP": true,
	"UDP": true, "DNS": true,
}

// splitWords splits camelCase, PascalCase, ALLCAPSWord and separator
// delimited names into words.
func splitWords(s string) []string {
	var words []string
	rs := []rune(s)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, string(rs[start:end]))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		switch {
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush(i)
			start = i
		case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
			// "OCSPRequest": split before the last upper case letter of a run,
			// but keep plural initialisms such as "IDs" together.
			if !(rs[i+1] == 's' && (i+2 == len(rs) || !unicode.IsLower(rs[i+2]))) {
				flush(i)
				start = i
			}
		}
	}
	flush(len(rs))
	return words
}

// goName turns a JSON property or definition name into an exported Go
// identifier using Go initialisms: idTag -> IDTag, connectorId -> ConnectorID.
func goName(s string) string {
	var b strings.Builder
	for _, w := range splitWords(s) {
		up := strings.ToUpper(w)
		switch {
		case up == "IDS":
			b.WriteString("IDs")
		case initialisms[up]:
			b.WriteString(up)
		default:
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			b.WriteString(string(r))
		}
	}
	if b.Len() == 0 || !isIdent(b.String()) {
		fatalf("cannot derive a Go name from %q", s)
	}
	return b.String()
}

// constSuffix turns an enum value into an identifier suffix:
// "Energy.Active.Import.Register" -> EnergyActiveImportRegister, "L1-N" -> L1N.
func constSuffix(v string) string {
	var b strings.Builder
	upNext := true
	for _, r := range v {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upNext = true
			continue
		}
		if r > unicode.MaxASCII {
			continue
		}
		if upNext {
			r = unicode.ToUpper(r)
			upNext = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Value"
	}
	return b.String()
}

func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies") && len(s) > 4:
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(s, "IDs"):
		return strings.TrimSuffix(s, "s")
	case strings.HasSuffix(s, "ss"), strings.HasSuffix(s, "us"), strings.HasSuffix(s, "Data"):
		return s
	case strings.HasSuffix(s, "s") && len(s) > 3:
		return s[:len(s)-1]
	}
	return s
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
