package main

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

const (
	nsXSD  = "http://www.w3.org/2001/XMLSchema"
	nsWSDL = "http://schemas.xmlsoap.org/wsdl/"
	nsWSAW = "http://www.w3.org/2006/05/addressing/wsdl"
)

// node is a generic XML element: the WSDL is read into a tree first, so that
// any construct the generator does not know is seen and refused.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []*node    `xml:",any"`
	Text    string     `xml:",chardata"` // read only for <documentation>
}

func (n *node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) is(space, local string) bool {
	return n.XMLName.Space == space && n.XMLName.Local == local
}

// canon is the definition of n without its documentation, attributes in a
// fixed order: two services define a shared type identically when their
// canon strings are equal.
func (n *node) canon() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.is(nsXSD, "annotation") {
			return
		}
		b.WriteString("<" + n.XMLName.Local)
		attrs := append([]xml.Attr(nil), n.Attrs...)
		sort.Slice(attrs, func(i, j int) bool { return attrs[i].Name.Local < attrs[j].Name.Local })
		for _, a := range attrs {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
				continue
			}
			fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
		}
		b.WriteString(">")
		for _, c := range n.Nodes {
			walk(c)
		}
		b.WriteString("</" + n.XMLName.Local + ">")
	}
	walk(n)
	return b.String()
}

// schema is what the generator takes from one WSDL: the named types, the
// global elements and the operations of the port type.
type schema struct {
	file     string
	ns       string
	prefixes map[string]string // namespace prefix -> URI, from the definitions and schema elements
	types    []*xsdType        // named types in document order
	byName   map[string]*xsdType
	elements []*element
	elemByNm map[string]*element
	ops      []*operation
}

// xsdType is a named simpleType or complexType, or an anonymous complexType
// of an element.
type xsdType struct {
	name    string
	doc     string
	complex bool
	canon   string
	message *element // the global element whose type this is, if any

	// simpleType
	base           string // XSD built-in local name
	enums          []string
	maxLength      int // -1: none
	minLength      int // -1: none
	fractionDigits int // -1: none

	// complexType
	fields        []*field
	simpleContent bool // text content of type base plus attributes
	attrs         []*attribute

	goName string
	shared bool // defined identically by the other service of the version, emitted there
}

type field struct {
	name     string
	typ      qname
	anon     *xsdType
	min, max int // max -1: unbounded
}

type attribute struct {
	name     string
	typ      qname
	required bool
}

type element struct {
	name   string
	typ    qname
	goName string
}

type operation struct {
	name                string
	inAction, outAction string
	in, out             *element
}

// qname is a reference to a type: a built-in XSD type (space nsXSD) or a
// type of the schema itself.
type qname struct{ space, local string }

func parseWSDL(file string, data []byte) (*schema, error) {
	var root node
	if err := xml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if !root.is(nsWSDL, "definitions") {
		return nil, fmt.Errorf("%s: root element is %s, want wsdl:definitions", file, root.XMLName.Local)
	}
	s := &schema{file: file, prefixes: map[string]string{}, byName: map[string]*xsdType{}, elemByNm: map[string]*element{}}
	s.addPrefixes(&root)
	var xsd *node
	for _, c := range root.Nodes {
		if c.is(nsWSDL, "types") {
			for _, cc := range c.Nodes {
				if cc.is(nsXSD, "schema") {
					if xsd != nil {
						return nil, fmt.Errorf("%s: more than one schema in wsdl:types", file)
					}
					xsd = cc
				}
			}
		}
	}
	if xsd == nil {
		return nil, fmt.Errorf("%s: no <schema> in <wsdl:types>", file)
	}
	s.addPrefixes(xsd)
	s.ns, _ = xsd.attr("targetNamespace")
	if v, _ := xsd.attr("elementFormDefault"); v != "qualified" {
		return nil, fmt.Errorf("%s: elementFormDefault %q: only qualified is supported", file, v)
	}
	for _, c := range xsd.Nodes {
		var err error
		switch {
		case c.is(nsXSD, "simpleType"):
			err = s.addSimple(c)
		case c.is(nsXSD, "complexType"):
			name, _ := c.attr("name")
			var t *xsdType
			if t, err = s.parseComplex(c, name); err == nil {
				err = s.addType(t)
			}
		case c.is(nsXSD, "element"):
			err = s.addElement(c)
		default:
			err = fmt.Errorf("schema: <%s> is not supported", c.XMLName.Local)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := s.parseOperations(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, s.check()
}

func (s *schema) addPrefixes(n *node) {
	for _, a := range n.Attrs {
		if a.Name.Space == "xmlns" {
			s.prefixes[a.Name.Local] = a.Value
		}
	}
}

func (s *schema) resolve(v string) (qname, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		return qname{}, fmt.Errorf("unqualified type name %q", v)
	}
	space, ok := s.prefixes[prefix]
	if !ok {
		return qname{}, fmt.Errorf("undeclared prefix in %q", v)
	}
	return qname{space, local}, nil
}

func (s *schema) addType(t *xsdType) error {
	if t.name == "" {
		return fmt.Errorf("a top-level type without a name")
	}
	if s.byName[t.name] != nil {
		return fmt.Errorf("type %s defined twice", t.name)
	}
	s.byName[t.name] = t
	s.types = append(s.types, t)
	return nil
}

func docOf(n *node) string {
	for _, c := range n.Nodes {
		if c.is(nsXSD, "annotation") {
			for _, d := range c.Nodes {
				if d.is(nsXSD, "documentation") {
					return d.text()
				}
			}
		}
	}
	return ""
}

func (n *node) text() string {
	// Documentation spans lines with the file's indentation: keep the words.
	return strings.Join(strings.Fields(n.Text), " ")
}

// checkAttrs fails on any attribute of n not in allowed, so that a facet
// or option the generator does not implement is never silently dropped.
func checkAttrs(n *node, allowed ...string) error {
	for _, a := range n.Attrs {
		if a.Name.Space == "xmlns" {
			continue
		}
		ok := false
		for _, x := range allowed {
			ok = ok || a.Name.Local == x
		}
		if !ok {
			return fmt.Errorf("<%s> attribute %s is not supported", n.XMLName.Local, a.Name.Local)
		}
	}
	return nil
}

func (s *schema) addSimple(n *node) error {
	name, _ := n.attr("name")
	if err := checkAttrs(n, "name"); err != nil {
		return err
	}
	t := &xsdType{name: name, doc: docOf(n), canon: n.canon(), maxLength: -1, minLength: -1, fractionDigits: -1}
	var restr *node
	for _, c := range n.Nodes {
		switch {
		case c.is(nsXSD, "annotation"):
		case c.is(nsXSD, "restriction"):
			restr = c
		default:
			return fmt.Errorf("simpleType %s: <%s> is not supported", name, c.XMLName.Local)
		}
	}
	if restr == nil {
		return fmt.Errorf("simpleType %s: no restriction", name)
	}
	b, _ := restr.attr("base")
	base, err := s.resolve(b)
	if err != nil {
		return fmt.Errorf("simpleType %s: %w", name, err)
	}
	if base.space != nsXSD || (base.local != "string" && base.local != "decimal") {
		return fmt.Errorf("simpleType %s: base %s is not supported", name, b)
	}
	t.base = base.local
	for _, f := range restr.Nodes {
		v, _ := f.attr("value")
		if err := checkAttrs(f, "value"); err != nil {
			return fmt.Errorf("simpleType %s: %w", name, err)
		}
		switch {
		case f.is(nsXSD, "enumeration"):
			t.enums = append(t.enums, v)
		case f.is(nsXSD, "maxLength"), f.is(nsXSD, "minLength"), f.is(nsXSD, "fractionDigits"):
			x, err := strconv.Atoi(v)
			if err != nil || x < 0 {
				return fmt.Errorf("simpleType %s: %s %q", name, f.XMLName.Local, v)
			}
			switch f.XMLName.Local {
			case "maxLength":
				t.maxLength = x
			case "minLength":
				t.minLength = x
			default:
				t.fractionDigits = x
			}
		default:
			return fmt.Errorf("simpleType %s: facet %s is not supported", name, f.XMLName.Local)
		}
	}
	if t.base == "decimal" && (len(t.enums) > 0 || t.maxLength >= 0 || t.minLength >= 0) {
		return fmt.Errorf("simpleType %s: string facets on a decimal", name)
	}
	if t.base == "string" && t.fractionDigits >= 0 {
		return fmt.Errorf("simpleType %s: fractionDigits on a string", name)
	}
	return s.addType(t)
}

func (s *schema) parseComplex(n *node, name string) (*xsdType, error) {
	if err := checkAttrs(n, "name"); err != nil {
		return nil, err
	}
	t := &xsdType{name: name, doc: docOf(n), complex: true, canon: n.canon(), maxLength: -1, minLength: -1, fractionDigits: -1}
	for _, c := range n.Nodes {
		switch {
		case c.is(nsXSD, "annotation"):
		case c.is(nsXSD, "sequence"):
			if err := checkAttrs(c); err != nil {
				return nil, fmt.Errorf("complexType %s: %w", name, err)
			}
			for _, e := range c.Nodes {
				if !e.is(nsXSD, "element") {
					return nil, fmt.Errorf("complexType %s: <%s> in a sequence is not supported", name, e.XMLName.Local)
				}
				f, err := s.parseField(e)
				if err != nil {
					return nil, fmt.Errorf("complexType %s: %w", name, err)
				}
				t.fields = append(t.fields, f)
			}
		case c.is(nsXSD, "simpleContent"):
			if len(c.Nodes) != 1 || !c.Nodes[0].is(nsXSD, "extension") {
				return nil, fmt.Errorf("complexType %s: only simpleContent/extension is supported", name)
			}
			ext := c.Nodes[0]
			b, _ := ext.attr("base")
			if base, err := s.resolve(b); err != nil || base != (qname{nsXSD, "string"}) {
				return nil, fmt.Errorf("complexType %s: simpleContent base %q: only string is supported", name, b)
			}
			t.simpleContent = true
			for _, a := range ext.Nodes {
				if !a.is(nsXSD, "attribute") {
					return nil, fmt.Errorf("complexType %s: <%s> in an extension is not supported", name, a.XMLName.Local)
				}
				if err := checkAttrs(a, "name", "type", "use"); err != nil {
					return nil, fmt.Errorf("complexType %s: %w", name, err)
				}
				an, _ := a.attr("name")
				at, _ := a.attr("type")
				q, err := s.resolve(at)
				if err != nil {
					return nil, fmt.Errorf("complexType %s: attribute %s: %w", name, an, err)
				}
				use, _ := a.attr("use")
				if use != "" && use != "optional" && use != "required" {
					return nil, fmt.Errorf("complexType %s: attribute %s: use %q", name, an, use)
				}
				t.attrs = append(t.attrs, &attribute{name: an, typ: q, required: use == "required"})
			}
		default:
			return nil, fmt.Errorf("complexType %s: <%s> is not supported", name, c.XMLName.Local)
		}
	}
	return t, nil
}

func (s *schema) parseField(e *node) (*field, error) {
	if err := checkAttrs(e, "name", "type", "minOccurs", "maxOccurs"); err != nil {
		return nil, err
	}
	name, _ := e.attr("name")
	f := &field{name: name, min: 1, max: 1}
	if v, ok := e.attr("minOccurs"); ok {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return nil, fmt.Errorf("element %s: minOccurs %q", name, v)
		}
		f.min = x
	}
	if v, ok := e.attr("maxOccurs"); ok {
		if v == "unbounded" {
			f.max = -1
		} else {
			x, err := strconv.Atoi(v)
			if err != nil || x < 1 {
				return nil, fmt.Errorf("element %s: maxOccurs %q", name, v)
			}
			f.max = x
		}
	}
	if f.max != -1 && f.min > f.max {
		return nil, fmt.Errorf("element %s: minOccurs > maxOccurs", name)
	}
	if tn, ok := e.attr("type"); ok {
		q, err := s.resolve(tn)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", name, err)
		}
		f.typ = q
		for _, c := range e.Nodes {
			if !c.is(nsXSD, "annotation") {
				return nil, fmt.Errorf("element %s: both a type and <%s>", name, c.XMLName.Local)
			}
		}
		return f, nil
	}
	for _, c := range e.Nodes {
		switch {
		case c.is(nsXSD, "annotation"):
		case c.is(nsXSD, "complexType") && f.anon == nil:
			t, err := s.parseComplex(c, "")
			if err != nil {
				return nil, fmt.Errorf("element %s: %w", name, err)
			}
			f.anon = t
		default:
			return nil, fmt.Errorf("element %s: <%s> is not supported", name, c.XMLName.Local)
		}
	}
	if f.anon == nil {
		return nil, fmt.Errorf("element %s has no type", name)
	}
	return f, nil
}

func (s *schema) addElement(n *node) error {
	if err := checkAttrs(n, "name", "type"); err != nil {
		return err
	}
	name, _ := n.attr("name")
	tn, _ := n.attr("type")
	q, err := s.resolve(tn)
	if err != nil {
		return fmt.Errorf("element %s: %w", name, err)
	}
	if len(n.Nodes) > 0 {
		return fmt.Errorf("element %s: content is not supported", name)
	}
	e := &element{name: name, typ: q}
	s.elements = append(s.elements, e)
	s.elemByNm[name] = e
	return nil
}

func (s *schema) parseOperations(root *node) error {
	msgs := map[string]*element{} // message name -> body element
	for _, m := range root.Nodes {
		if !m.is(nsWSDL, "message") {
			continue
		}
		name, _ := m.attr("name")
		for _, p := range m.Nodes {
			if !p.is(nsWSDL, "part") {
				continue
			}
			if pn, _ := p.attr("name"); pn != "parameters" {
				continue // the chargeBoxIdentity header
			}
			en, _ := p.attr("element")
			q, err := s.resolve(en)
			if err != nil || q.space != s.ns || s.elemByNm[q.local] == nil {
				return fmt.Errorf("message %s: unknown element %q", name, en)
			}
			msgs[name] = s.elemByNm[q.local]
		}
	}
	for _, pt := range root.Nodes {
		if !pt.is(nsWSDL, "portType") {
			continue
		}
		for _, o := range pt.Nodes {
			if !o.is(nsWSDL, "operation") {
				continue
			}
			op := &operation{}
			op.name, _ = o.attr("name")
			for _, io := range o.Nodes {
				mn, _ := io.attr("message")
				_, local, _ := strings.Cut(mn, ":")
				var action string
				for _, a := range io.Attrs {
					if a.Name.Space == nsWSAW && a.Name.Local == "Action" {
						action = a.Value
					}
				}
				switch {
				case io.is(nsWSDL, "input"):
					op.in, op.inAction = msgs[local], action
				case io.is(nsWSDL, "output"):
					op.out, op.outAction = msgs[local], action
				}
			}
			if op.in == nil || op.out == nil || op.inAction == "" || op.outAction == "" {
				return fmt.Errorf("operation %s: input, output or their wsaw:Action missing", op.name)
			}
			s.ops = append(s.ops, op)
		}
	}
	if len(s.ops) == 0 {
		return fmt.Errorf("no operations")
	}
	return nil
}

// check resolves every reference and marks the types of global elements as
// message types.
func (s *schema) check() error {
	known := func(q qname) error {
		if q.space == nsXSD {
			if _, ok := builtins[q.local]; !ok {
				return fmt.Errorf("%s: built-in type %s is not supported", s.file, q.local)
			}
			return nil
		}
		if q.space != s.ns || s.byName[q.local] == nil {
			return fmt.Errorf("%s: unknown type {%s}%s", s.file, q.space, q.local)
		}
		return nil
	}
	var checkType func(t *xsdType) error
	checkType = func(t *xsdType) error {
		for _, f := range t.fields {
			if f.anon != nil {
				if err := checkType(f.anon); err != nil {
					return err
				}
				continue
			}
			if err := known(f.typ); err != nil {
				return err
			}
			if f.typ.space == s.ns && s.byName[f.typ.local].message != nil {
				return fmt.Errorf("%s: %s.%s uses message type %s as a nested element", s.file, t.name, f.name, f.typ.local)
			}
		}
		for _, a := range t.attrs {
			if err := known(a.typ); err != nil {
				return err
			}
			if a.typ.space == s.ns && s.byName[a.typ.local].complex {
				return fmt.Errorf("%s: attribute %s has a complex type", s.file, a.name)
			}
		}
		return nil
	}
	for _, e := range s.elements {
		if err := known(e.typ); err != nil {
			return err
		}
		if e.typ.space == s.ns {
			t := s.byName[e.typ.local]
			if !t.complex {
				return fmt.Errorf("%s: element %s of simple type %s is not supported", s.file, e.name, t.name)
			}
			if t.message != nil {
				return fmt.Errorf("%s: type %s is the type of two elements", s.file, t.name)
			}
			t.message = e
		}
	}
	for _, t := range s.types {
		if err := checkType(t); err != nil {
			return err
		}
	}
	return nil
}

// builtins maps the supported XSD built-in types to Go types.
var builtins = map[string]string{
	"string":   "string",
	"anyURI":   "string",
	"int":      "int",
	"boolean":  "bool",
	"dateTime": "time.Time",
	"decimal":  "float64",
}
