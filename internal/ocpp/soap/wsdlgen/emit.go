package main

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"
)

// service is one WSDL with the Go names chosen for it.
type service struct {
	s      *schema
	role   string // "CentralSystem" or "ChargePoint": prefix of the package-level names
	prefix string // prefix of type names that clash with the other service's
}

// assignNames gives every type and element a Go name. The central system's
// service is named first and keeps the plain names; a charge-point type
// whose definition is identical to the central system's (the WSDLs mark
// IdTagInfo, IdToken, AuthorizationStatus, ... as "shared with
// ChargePointService") is shared, and any other clash gets the prefix.
func assignNames(cs, cp *service) error {
	used := map[string]string{} // Go name -> what it names, for clash errors
	for _, n := range []string{"Operation", "Message", "ValidationError", cs.role + "Namespace", cp.role + "Namespace", cs.role + "Operations", cp.role + "Operations"} {
		used[n] = "a package-level name"
	}
	claim := func(name, what string) error {
		if prev, ok := used[name]; ok {
			return fmt.Errorf("Go name %s of %s is already %s", name, what, prev)
		}
		used[name] = what
		return nil
	}
	var named func(sv *service, t *xsdType, name string) error
	named = func(sv *service, t *xsdType, name string) error {
		t.goName = name
		if err := claim(name, sv.s.file+" type "+t.name); err != nil {
			return err
		}
		for _, f := range t.fields {
			if f.anon != nil {
				// An anonymous type is named after its type and element:
				// MeterValue's <value> is MeterValueValue.
				if err := named(sv, f.anon, name+goIdent(f.name)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	elems := func(sv *service, prefix func(string) string) error {
		for _, e := range sv.s.elements {
			if e.typ.space == sv.s.ns {
				e.goName = sv.s.byName[e.typ.local].goName
				continue
			}
			e.goName = prefix(goIdent(e.name))
			if err := claim(e.goName, sv.s.file+" element "+e.name); err != nil {
				return err
			}
		}
		return nil
	}

	for _, t := range cs.s.types {
		if err := named(cs, t, goIdent(t.name)); err != nil {
			return err
		}
	}
	if err := elems(cs, func(s string) string { return s }); err != nil {
		return err
	}

	// A charge-point type is shared when it is defined identically, is no
	// message type in either service, and every type it refers to is shared
	// too (repeat until nothing changes).
	for _, t := range cp.s.types {
		o := cs.s.byName[t.name]
		t.shared = o != nil && o.canon == t.canon && o.message == nil && t.message == nil
	}
	for changed := true; changed; {
		changed = false
		for _, t := range cp.s.types {
			if !t.shared {
				continue
			}
			for _, q := range t.refs() {
				if q.space == cp.s.ns && !cp.s.byName[q.local].shared {
					t.shared, changed = false, true
				}
			}
		}
	}
	for _, t := range cp.s.types {
		if t.shared {
			t.goName = cs.s.byName[t.name].goName
			continue
		}
		name := goIdent(t.name)
		if _, clash := used[name]; clash {
			name = cp.prefix + name
		}
		if err := named(cp, t, name); err != nil {
			return err
		}
	}
	return elems(cp, func(s string) string {
		if _, clash := used[s]; clash {
			return cp.prefix + s
		}
		return s
	})
}

func (t *xsdType) refs() []qname {
	var out []qname
	for _, f := range t.fields {
		if f.anon != nil {
			out = append(out, f.anon.refs()...)
		} else {
			out = append(out, f.typ)
		}
	}
	for _, a := range t.attrs {
		out = append(out, a.typ)
	}
	return out
}

type emitter struct {
	b  bytes.Buffer
	sv *service
}

func (g *emitter) p(format string, args ...any) {
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteByte('\n')
}

func comment(text string) string {
	if text == "" {
		return ""
	}
	var b strings.Builder
	line := "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 78 && line != "//" {
			b.WriteString(line + "\n")
			line = "//"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}

// resolved is what a reference names: a built-in (Go type in goType) or a
// schema type.
type resolved struct {
	goType  string
	builtin string
	t       *xsdType
}

func (g *emitter) resolve(q qname) resolved {
	if q.space == nsXSD {
		return resolved{goType: builtins[q.local], builtin: q.local}
	}
	t := g.sv.s.byName[q.local]
	return resolved{goType: t.goName, t: t}
}

func (g *emitter) fieldType(f *field) resolved {
	if f.anon != nil {
		return resolved{goType: f.anon.goName, t: f.anon}
	}
	return g.resolve(f.typ)
}

// runtimePkg is the package of the checks and types every version package
// shares, written by hand rather than emitted into each.
const runtimePkg = "github.com/joule-ev/joule/internal/ocpp/soap/soapxsd"

// generate writes one service's file. The central system's file also holds
// the declarations both files use: the aliases of runtimePkg's types.
func generate(pkg string, sv *service, common bool) ([]byte, error) {
	g := &emitter{sv: sv}
	s := sv.s
	g.p("// %sNamespace is the target namespace of %s.", sv.role, s.file)
	g.p("const %sNamespace = %q", sv.role, s.ns)
	g.p("")
	g.p("// %sOperations lists the operations of %s in port type order.", sv.role, s.file)
	g.p("var %sOperations = []Operation{", sv.role)
	for _, op := range s.ops {
		g.p("{Name: %q, RequestAction: %q, ResponseAction: %q, NewRequest: func() Message { return new(%s) }, NewResponse: func() Message { return new(%s) }},",
			op.name, op.inAction, op.outAction, op.in.goName, op.out.goName)
	}
	g.p("}")
	g.p("")
	if common {
		g.emitCommon()
	}
	ops := map[*element]*operation{}
	for _, op := range s.ops {
		ops[op.in], ops[op.out] = op, op
	}
	for _, e := range s.elements {
		if e.typ.space == nsXSD {
			g.p("// %s is the %s element of %s, the SOAP header that names the charger.", e.goName, e.name, s.ns)
			g.p("type %s struct {", e.goName)
			g.p("XMLName xml.Name `xml:\"%s %s\"`", s.ns, e.name)
			g.p("Value %s `xml:\",chardata\"`", builtins[e.typ.local])
			g.p("}")
			g.p("")
		}
	}
	var all []*xsdType
	var walk func(t *xsdType)
	walk = func(t *xsdType) {
		all = append(all, t)
		for _, f := range t.fields {
			if f.anon != nil {
				walk(f.anon)
			}
		}
	}
	for _, t := range s.types {
		if !t.shared {
			walk(t)
		}
	}
	for _, t := range all {
		if t.complex {
			g.emitStruct(t, ops[t.message])
		} else {
			g.emitSimple(t)
		}
	}

	body := g.b.String()
	var h bytes.Buffer
	fmt.Fprintf(&h, "// Code generated by wsdlgen from %s; DO NOT EDIT.\n\npackage %s\n\nimport (\n", s.file, pkg)
	for _, imp := range []string{"encoding/xml", "time", "", runtimePkg} {
		short := imp[strings.LastIndexByte(imp, '/')+1:]
		switch {
		case imp == "":
			h.WriteString("\n") // the standard library's group ends
		case strings.Contains(body, short+"."):
			fmt.Fprintf(&h, "%q\n", imp)
		}
	}
	h.WriteString(")\n\n")
	h.WriteString(body)
	out, err := format.Source(h.Bytes())
	if err != nil {
		return h.Bytes(), err
	}
	return out, nil
}

// emitCommon declares the package's names for the runtime's types. They
// are aliases, not types of their own, so that the version packages keep
// the API they had when each carried a copy of the runtime (code naming
// ocpp16s.ValidationError or ocpp15.Operation compiles unchanged), while
// every version shares one implementation; ocpp15.ValidationError and
// ocpp16s.ValidationError are therefore one type.
func (g *emitter) emitCommon() {
	g.b.WriteString(`// Operation is one operation of a service (soapxsd.Operation): the
// wsa:Action of its request and of its response, and constructors of their
// SOAP Body elements.
type Operation = soapxsd.Operation

// Message is the Body element of a request or response (soapxsd.Message).
// Its type carries the element's namespace, so encoding/xml marshals it
// ready for a SOAP Body.
type Message = soapxsd.Message

// ValidationError is the error Validate returns (soapxsd.ValidationError):
// the path of the element the schema does not allow, why, and whether the
// element is absent or repeated the wrong number of times (Occurrence).
type ValidationError = soapxsd.ValidationError

`)
}

func (g *emitter) emitSimple(t *xsdType) {
	switch {
	case len(t.enums) > 0:
		g.b.WriteString(comment(fmt.Sprintf("%s is the enumeration %s of %s. %s", t.goName, t.name, g.sv.s.ns, t.doc)))
		g.p("type %s string", t.goName)
		g.p("")
		g.p("// Allowed values of %s.", t.goName)
		g.p("const (")
		seen := map[string]bool{}
		for _, v := range t.enums {
			c := t.goName + goIdent(v)
			if seen[c] {
				panic(fmt.Errorf("%s: two values of %s give constant %s", g.sv.s.file, t.name, c))
			}
			seen[c] = true
			g.p("%s %s = %q", c, t.goName, v)
		}
		g.p(")")
		g.p("")
		g.p("// %sValues lists the allowed values of %s in schema order.", t.goName, t.goName)
		g.p("var %sValues = []%s{", t.goName, t.goName)
		for _, v := range t.enums {
			g.p("%s,", t.goName+goIdent(v))
		}
		g.p("}")
		g.p("")
		g.p("const gen%sAllowed = %q", t.goName, strings.Join(t.enums, ", "))
		g.p("")
		g.p("// IsValid reports whether v is one of the allowed values of %s.", t.goName)
		g.p("func (v %s) IsValid() bool {", t.goName)
		g.p("switch v {")
		var cs []string
		for _, v := range t.enums {
			cs = append(cs, t.goName+goIdent(v))
		}
		g.p("case %s:", strings.Join(cs, ", "))
		g.p("return true")
		g.p("}")
		g.p("return false")
		g.p("}")
	case t.base == "decimal":
		g.b.WriteString(comment(fmt.Sprintf("%s is the decimal type %s of %s (at most %d fraction digits). %s", t.goName, t.name, g.sv.s.ns, t.fractionDigits, t.doc)))
		g.p("type %s float64", t.goName)
	default:
		var facets []string
		if t.minLength >= 0 {
			facets = append(facets, fmt.Sprintf("minLength %d", t.minLength))
		}
		if t.maxLength >= 0 {
			facets = append(facets, fmt.Sprintf("maxLength %d", t.maxLength))
		}
		g.b.WriteString(comment(fmt.Sprintf("%s is the string type %s of %s (%s). %s", t.goName, t.name, g.sv.s.ns, strings.Join(facets, ", "), t.doc)))
		g.p("type %s string", t.goName)
	}
	g.p("")
}

func (g *emitter) emitStruct(t *xsdType, op *operation) {
	s := g.sv.s
	switch {
	case op != nil && op.in == t.message:
		g.p("// %s is the SOAP Body of the %s request (element %s of %s, wsa:Action %s).", t.goName, op.name, t.message.name, s.ns, op.inAction)
	case op != nil:
		g.p("// %s is the SOAP Body of the %s response (element %s of %s, wsa:Action %s).", t.goName, op.name, t.message.name, s.ns, op.outAction)
	case t.name == "":
		g.p("// %s is the anonymous type of an element of %s.", t.goName, s.ns)
	default:
		g.p("// %s is the complex type %s of %s.", t.goName, t.name, s.ns)
	}
	if t.doc != "" {
		g.p("//")
		g.b.WriteString(comment(t.doc))
	}
	g.p("type %s struct {", t.goName)
	if t.message != nil {
		g.p("XMLName xml.Name `xml:\"%s %s\"`", s.ns, t.message.name)
	}
	names := map[string]bool{"XMLName": true}
	unique := func(n string) string {
		if names[n] {
			panic(fmt.Errorf("%s: %s has two fields named %s", s.file, t.goName, n))
		}
		names[n] = true
		return n
	}
	for _, f := range t.fields {
		r := g.fieldType(f)
		name := unique(goIdent(f.name))
		switch {
		case f.max != 1:
			g.p("%s []%s `xml:\"%s\"` // %s", name, r.goType, f.name, occurs(f))
		case f.min == 0:
			g.p("%s *%s `xml:\"%s,omitempty\"`", name, r.goType, f.name)
		default:
			g.p("%s %s `xml:\"%s\"`", name, r.goType, f.name)
		}
	}
	if t.simpleContent {
		g.p("%s string `xml:\",chardata\"`", unique("Value"))
	}
	for _, a := range t.attrs {
		r := g.resolve(a.typ)
		name := unique(goIdent(a.name))
		if a.required {
			g.p("%s %s `xml:\"%s,attr\"`", name, r.goType, a.name)
		} else {
			g.p("%s *%s `xml:\"%s,attr,omitempty\"`", name, r.goType, a.name)
		}
	}
	g.p("}")
	g.p("")
	g.p("// Validate reports the first value of m that the schema does not allow.")
	g.p("func (m *%s) Validate() error { return m.validate(\"\") }", t.goName)
	g.p("")
	g.p("func (m *%s) validate(p string) error {", t.goName)
	for _, f := range t.fields {
		r := g.fieldType(f)
		name := goIdent(f.name)
		path := fmt.Sprintf("soapxsd.Path(p, %q)", f.name)
		switch {
		case f.max != 1:
			if f.min > 0 || f.max >= 0 {
				g.p("if err := soapxsd.Occurs(%s, len(m.%s), %d, %d); err != nil { return err }", path, name, f.min, f.max)
			}
			g.guarded("for i := range m."+name, func() { g.check(r, "m."+name+"[i]", fmt.Sprintf("soapxsd.Index(%s, i)", path), false) })
		case f.min == 0:
			g.guarded("if m."+name+" != nil", func() { g.check(r, "(*m."+name+")", path, false) })
		default:
			g.check(r, "m."+name, path, true)
		}
	}
	for _, a := range t.attrs {
		r := g.resolve(a.typ)
		name := goIdent(a.name)
		path := fmt.Sprintf("soapxsd.Path(p, %q)", "@"+a.name)
		if a.required {
			g.check(r, "m."+name, path, true)
		} else {
			g.guarded("if m."+name+" != nil", func() { g.check(r, "(*m."+name+")", path, false) })
		}
	}
	g.p("return nil")
	g.p("}")
	g.p("")
}

// guarded emits "head { body }" ("if m.X != nil", "for i := range m.X"), or
// nothing when body emits nothing: an optional dateTime has no check.
func (g *emitter) guarded(head string, body func()) {
	outer := g.b
	g.b = bytes.Buffer{}
	body()
	inner := g.b
	g.b = outer
	if inner.Len() == 0 {
		return
	}
	g.p("%s {", head)
	g.b.Write(inner.Bytes())
	g.p("}")
}

func occurs(f *field) string {
	if f.max < 0 {
		return fmt.Sprintf("minOccurs %d, maxOccurs unbounded", f.min)
	}
	return fmt.Sprintf("minOccurs %d, maxOccurs %d", f.min, f.max)
}

// check emits the checks of value v at path (a Go expression evaluated only
// when reporting). present says the value is a required single element,
// whose zero value means it was absent; a slice element or a dereferenced
// pointer is present by construction.
func (g *emitter) check(r resolved, v, path string, present bool) {
	if r.t == nil {
		switch r.builtin {
		case "string", "anyURI":
			if present {
				g.p("if %s == \"\" { return soapxsd.Missing(%s) }", v, path)
			}
		case "dateTime":
			if present {
				g.p("if %s.IsZero() { return soapxsd.Missing(%s) }", v, path)
			}
		}
		return
	}
	t := r.t
	switch {
	case t.complex:
		g.p("if err := %s.validate(%s); err != nil { return err }", v, path)
	case len(t.enums) > 0:
		if present {
			g.p("if %s == \"\" { return soapxsd.Missing(%s) }", v, path)
		}
		g.p("if !%s.IsValid() { return soapxsd.Enum(%s, string(%s), gen%sAllowed) }", v, path, v, t.goName)
	case t.base == "decimal":
		if t.fractionDigits >= 0 {
			g.p("if err := soapxsd.FractionDigits(%s, float64(%s), %d); err != nil { return err }", path, v, t.fractionDigits)
		}
	default:
		if present {
			g.p("if %s == \"\" { return soapxsd.Missing(%s) }", v, path)
		}
		if t.minLength >= 0 || t.maxLength >= 0 {
			g.p("if err := soapxsd.Length(%s, string(%s), %d, %d); err != nil { return err }", path, v, max(t.minLength, 0), t.maxLength)
		}
	}
}

// enumTable writes a test file mapping each enumeration's Go name to its
// values, so that the tests' example builder (which works by reflection and
// cannot list a type's constants) picks allowed values.
func enumTable(pkg string, svcs ...*service) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by wsdlgen; DO NOT EDIT.\n\npackage %s\n\n", pkg)
	b.WriteString("// genEnumValues maps each enumeration's Go type name to its allowed values.\n")
	b.WriteString("var genEnumValues = map[string][]string{\n")
	for _, sv := range svcs {
		for _, t := range sv.s.types {
			if len(t.enums) > 0 && !t.shared {
				fmt.Fprintf(&b, "%q: {", t.goName)
				for _, v := range t.enums {
					fmt.Fprintf(&b, "%q, ", v)
				}
				b.WriteString("},\n")
			}
		}
	}
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		panic(err)
	}
	return out
}
