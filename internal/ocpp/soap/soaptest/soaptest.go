// Package soaptest checks the types wsdlgen generates for an OCPP SOAP
// version against the XML Schema embedded in the WSDL they came from. It
// builds a valid example of every request and response by reflection,
// breaks each one in every way it can (a required element removed, an
// enumeration value out of range, a string over its maxLength), and asks an
// independent validator, libxml2's xmllint, for a verdict on each document;
// the generated Validate must agree. Only tests import it.
package soaptest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/soap/soapxsd"
)

// Message is the generated packages' Message: a SOAP Body element.
type Message = soapxsd.Message

// Operation is a generated Operation.
type Operation = soapxsd.Operation

// Service is one WSDL and the generated operations of its service.
type Service struct {
	WSDL       string // path of the WSDL, e.g. "../wsdl/OCPP_CentralSystemService_1.6.wsdl"
	Namespace  string // the generated <Role>Namespace
	Operations []Operation
}

// Xmllint returns the path of xmllint, or skips the test when it is absent.
func Xmllint(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not found (Debian: apt-get install libxml2-utils; .ci/run installs it): the generated SOAP types are not checked against the WSDL schema")
	}
	return path
}

var schemaRe = regexp.MustCompile(`(?s)<(\w+):schema\b.*</(\w+):schema>`)

// ExtractXSD writes the <schema> element of a WSDL's <wsdl:types> to a
// file in a temporary directory and returns its path. The schema's
// prefixes (s:, tns:) are declared on <wsdl:definitions>, so the
// declarations are copied onto the extracted root.
func ExtractXSD(t testing.TB, wsdl string) string {
	t.Helper()
	data, err := os.ReadFile(wsdl)
	if err != nil {
		t.Fatal(err)
	}
	m := schemaRe.FindSubmatchIndex(data)
	if m == nil {
		t.Fatalf("%s: no <schema> element", wsdl)
	}
	prefix := string(data[m[2]:m[3]])
	var decls []string
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if err != nil {
			t.Fatalf("%s: %v", wsdl, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" {
					decls = append(decls, fmt.Sprintf(`xmlns:%s=%q`, a.Name.Local, a.Value))
				}
			}
			break
		}
	}
	open := "<" + prefix + ":schema"
	xsd := strings.Replace(string(data[m[0]:m[1]]), open, open+" "+strings.Join(decls, " "), 1)
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(wsdl), filepath.Ext(wsdl))+".xsd")
	if err := os.WriteFile(path, []byte(xsd), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Doc is one XML document to validate, with the verdict wanted.
type Doc struct {
	Name  string // unique, used as the file name
	XML   []byte
	Valid bool
}

// Lint validates every document against xsd with one run of xmllint
// --noout --schema and returns the documents whose verdict is not the one
// wanted, each with xmllint's messages about it.
func Lint(t testing.TB, xmllint, xsd string, docs []Doc) (wrong []string) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--noout", "--schema", xsd}
	byFile := map[string]Doc{}
	for _, d := range docs {
		f := filepath.Join(dir, d.Name+".xml")
		if _, dup := byFile[f]; dup {
			t.Fatalf("two documents named %s", d.Name)
		}
		if err := os.WriteFile(f, d.XML, 0o644); err != nil {
			t.Fatal(err)
		}
		byFile[f] = d
		args = append(args, f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(xmllint, args...)
	cmd.Stderr = &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("xmllint: %v", err)
	}
	// xmllint ends its report on each file with "<file> validates" or
	// "<file> fails to validate"; other lines are messages that start with
	// the file name.
	verdict := map[string]bool{}
	msgs := map[string][]string{}
	for _, line := range strings.Split(stderr.String(), "\n") {
		switch {
		case strings.HasSuffix(line, " validates"):
			verdict[strings.TrimSuffix(line, " validates")] = true
		case strings.HasSuffix(line, " fails to validate"):
			verdict[strings.TrimSuffix(line, " fails to validate")] = false
		default:
			if f, _, ok := strings.Cut(line, ":"); ok {
				msgs[f] = append(msgs[f], line)
			}
		}
	}
	if len(verdict) == 0 {
		t.Fatalf("xmllint gave no verdicts: %s", stderr.String())
	}
	for f, d := range byFile {
		got, ok := verdict[f]
		switch {
		case !ok:
			wrong = append(wrong, fmt.Sprintf("%s: no verdict from xmllint", d.Name))
		case got != d.Valid:
			wrong = append(wrong, fmt.Sprintf("%s: xmllint valid=%v, want %v\n%s\n%s", d.Name, got, d.Valid, d.XML, strings.Join(msgs[f], "\n")))
		}
	}
	return wrong
}

// Time is the dateTime of every example.
var Time = time.Date(2026, 12, 7, 9, 30, 15, 0, time.UTC)

// Example fills v (a pointer to a generated struct) with a valid value:
// every optional element present, one element in each list, enumerations
// at their first value (enums maps a Go type name to its allowed values).
func Example(v any, enums map[string][]string) {
	fill(reflect.ValueOf(v).Elem(), enums)
}

var timeType = reflect.TypeFor[time.Time]()

func fill(v reflect.Value, enums map[string][]string) {
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(Time))
		return
	case v.Kind() == reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), enums)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Name != "XMLName" {
				fill(v.Field(i), enums)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0), enums)
	case reflect.String:
		if vals, ok := enums[v.Type().Name()]; ok {
			v.SetString(vals[0])
		} else {
			v.SetString("A1")
		}
	case reflect.Int:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(16.5)
	default:
		panic(fmt.Sprintf("soaptest: no example for %s", v.Type()))
	}
}

// Breakage is one way to break a valid example: Break changes the Go
// value, and Fix, when set, edits its marshalled XML (a required element
// whose zero value still marshals must be removed from the document).
type Breakage struct {
	Name  string // e.g. "idTagInfo.status missing"
	Break func()
	XML   func([]byte) []byte
}

// Breakages lists every way to break the example in v (filled by Example):
// each required string element removed, each enumeration given a value
// outside it, each length-restricted string made too long, each restricted
// decimal given too many fraction digits. A Breakage
// changes v in place; take a fresh example for each.
func Breakages(v any, enums map[string][]string) []Breakage {
	var out []Breakage
	walk(reflect.ValueOf(v).Elem(), "", enums, &out)
	return out
}

func walk(v reflect.Value, path string, enums map[string][]string, out *[]Breakage) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if sf.Name == "XMLName" {
			continue
		}
		tag := strings.Split(sf.Tag.Get("xml"), ",")
		name := tag[0]
		if name == "" { // chardata: any string is allowed
			continue
		}
		isAttr := len(tag) > 1 && tag[1] == "attr"
		if isAttr {
			name = "@" + name
		}
		p := name
		if path != "" {
			p = path + "." + name
		}
		f := v.Field(i)
		required := true
		switch f.Kind() {
		case reflect.Pointer:
			f, required = f.Elem(), false
		case reflect.Slice:
			f, required, p = f.Index(0), false, p+"[0]"
		}
		if f.Kind() == reflect.Struct && f.Type() != timeType {
			walk(f, p, enums, out)
			continue
		}
		if f.Kind() == reflect.Float64 && f.Type().Name() != "float64" {
			// The one restricted decimal of the WSDLs (1.6's DecimalOne)
			// allows one fraction digit.
			*out = append(*out, Breakage{Name: p + " too many fraction digits", Break: func() { f.SetFloat(16.25) }})
		}
		if f.Kind() != reflect.String {
			continue
		}
		_, isEnum := enums[f.Type().Name()]
		if required && !isAttr {
			elem := tag[0]
			*out = append(*out, Breakage{
				Name:  p + " missing",
				Break: func() { f.SetString("") },
				XML: func(b []byte) []byte {
					empty := []byte("<" + elem + "></" + elem + ">")
					if bytes.Count(b, empty) != 1 {
						panic(fmt.Sprintf("soaptest: %s: want one %s in %s", p, empty, b))
					}
					return bytes.Replace(b, empty, nil, 1)
				},
			})
		}
		switch {
		case isEnum:
			*out = append(*out, Breakage{Name: p + " not in enumeration", Break: func() { f.SetString("NotAValue") }})
		case f.Type().Name() != "string":
			// Every named string type of the OCPP WSDLs has a maxLength of
			// at most 500; xmllint tells if one does not.
			*out = append(*out, Breakage{Name: p + " too long", Break: func() { f.SetString(strings.Repeat("x", 501)) }})
		}
	}
}

// Run checks every operation of each service: the valid example of each
// request and response validates with xmllint and with Validate, carries
// the service's namespace, survives an unmarshal round trip and does not
// decode as the other message of its operation; each of its breakages is
// rejected by both xmllint and Validate. It returns the number of
// documents xmllint checked; without xmllint it skips the test after the
// checks that need no validator.
func Run(t *testing.T, enums map[string][]string, services ...Service) int {
	// Without xmllint the Go-side checks still run; the test skips after.
	xmllint, lintErr := exec.LookPath("xmllint")
	total := 0
	for _, svc := range services {
		xsd := ExtractXSD(t, svc.WSDL)
		var docs []Doc
		for _, op := range svc.Operations {
			for _, kind := range []string{"Request", "Response"} {
				newMsg, other := op.NewRequest, op.NewResponse
				if kind == "Response" {
					newMsg, other = other, newMsg
				}
				name := op.Name + kind
				docs = append(docs, checkMessage(t, svc, name, newMsg, other, enums)...)
			}
		}
		if len(docs) == 0 {
			t.Fatalf("%s: no documents", svc.WSDL)
		}
		if lintErr != nil {
			continue
		}
		for _, w := range Lint(t, xmllint, xsd, docs) {
			t.Errorf("%s: %s", filepath.Base(svc.WSDL), w)
		}
		total += len(docs)
	}
	if lintErr != nil {
		Xmllint(t) // skips, saying why
	}
	return total
}

func checkMessage(t *testing.T, svc Service, name string, newMsg, other func() Message, enums map[string][]string) []Doc {
	t.Helper()
	example := func() Message {
		m := newMsg()
		Example(m, enums)
		return m
	}
	m := example()
	if err := m.Validate(); err != nil {
		t.Errorf("%s: Validate(example) = %v, want nil", name, err)
	}
	b, err := xml.Marshal(m)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	if want := fmt.Sprintf(` xmlns="%s"`, svc.Namespace); !bytes.Contains(b, []byte(want)) {
		t.Errorf("%s: %s lacks%s", name, b, want)
	}
	back := newMsg()
	if err := xml.Unmarshal(b, back); err != nil {
		t.Errorf("%s: unmarshal: %v", name, err)
	} else {
		reflect.ValueOf(back).Elem().FieldByName("XMLName").SetZero()
		if !reflect.DeepEqual(back, m) {
			t.Errorf("%s: round trip gives %+v, want %+v", name, back, m)
		}
	}
	if err := xml.Unmarshal(b, other()); err == nil {
		t.Errorf("%s: %s decodes as %T, want an error", name, b, other())
	}
	docs := []Doc{{Name: name, XML: b, Valid: true}}
	for i, br := range Breakages(example(), enums) {
		bad := example()
		br = Breakages(bad, enums)[i]
		br.Break()
		if err := bad.Validate(); err == nil {
			t.Errorf("%s with %s: Validate = nil, want an error", name, br.Name)
		} else if !strings.HasPrefix(err.Error(), strings.Fields(br.Name)[0]+":") {
			t.Errorf("%s with %s: Validate = %q, want an error about %s", name, br.Name, err, strings.Fields(br.Name)[0])
		}
		bb, err := xml.Marshal(bad)
		if err != nil {
			t.Fatalf("%s with %s: marshal: %v", name, br.Name, err)
		}
		if br.XML != nil {
			bb = br.XML(bb)
		}
		docs = append(docs, Doc{Name: fmt.Sprintf("%s-broken-%d", name, i), XML: bb, Valid: false})
	}
	return docs
}
