package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckedInUpToDate fails when a generated file of a version package
// differs from what the generator writes now: run go generate.
// versions are the version packages and their WSDLs in ../wsdl.
var versions = []struct{ pkg, cs, cp string }{
	{"ocpp15", "ocpp_centralsystemservice_1.5_final.wsdl", "ocpp_chargepointservice_1.5_final.wsdl"},
	{"ocpp16s", "OCPP_CentralSystemService_1.6.wsdl", "OCPP_ChargePointService_1.6.wsdl"},
}

func TestCheckedInUpToDate(t *testing.T) {
	for _, v := range versions {
		files, err := generateFiles(filepath.Join("../wsdl", v.cs), filepath.Join("../wsdl", v.cp), v.pkg)
		if err != nil {
			t.Fatalf("%s: %v", v.pkg, err)
		}
		if len(files) != 3 {
			t.Errorf("%s: %d files generated, want 3", v.pkg, len(files))
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join("..", v.pkg, name))
			if err != nil {
				t.Fatalf("%s: %v", v.pkg, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("../%s/%s is not the generator's output: run go generate ./internal/ocpp/soap/...", v.pkg, name)
			}
		}
	}
}

// TestRuntimeNotEmitted checks that the generated files declare no
// function of their own, only methods: the checks they call are soapxsd's,
// shared by every version. Operation, Message and ValidationError must stay
// aliases of soapxsd's types, so that the packages' API is what it was.
func TestRuntimeNotEmitted(t *testing.T) {
	for _, v := range versions {
		files, err := generateFiles(filepath.Join("../wsdl", v.cs), filepath.Join("../wsdl", v.cp), v.pkg)
		if err != nil {
			t.Fatalf("%s: %v", v.pkg, err)
		}
		aliases := map[string]bool{}
		for name, src := range files {
			f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
			if err != nil {
				t.Fatalf("%s/%s: %v", v.pkg, name, err)
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil {
						t.Errorf("%s/%s declares func %s, which belongs in soapxsd", v.pkg, name, d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						if ts, ok := s.(*ast.TypeSpec); ok && ts.Assign.IsValid() {
							aliases[ts.Name.Name+" = "+selector(ts.Type)] = true
						}
					}
				}
			}
		}
		for _, n := range []string{"Operation", "Message", "ValidationError"} {
			if !aliases[n+" = soapxsd."+n] {
				t.Errorf("%s: no alias %s = soapxsd.%s among %v", v.pkg, n, n, aliases)
			}
		}
	}
}

// selector prints a qualified type name such as soapxsd.Message.
func selector(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		if x, ok := s.X.(*ast.Ident); ok {
			return x.Name + "." + s.Sel.Name
		}
	}
	return "?"
}

func TestGoIdent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"idTag", "IDTag"},
		{"IdTagInfo", "IDTagInfo"},
		{"connectorId", "ConnectorID"},
		{"chargeBoxIdentity", "ChargeBoxIdentity"},
		{"Energy.Active.Import.Register", "EnergyActiveImportRegister"},
		{"L1-N", "L1N"},
		{"kWh", "KWh"},
		{"SoC", "SoC"},
		{"EVDisconnected", "EVDisconnected"},
		{"CiString20Type", "CiString20Type"},
	} {
		if got := goIdent(c.in); got != c.want {
			t.Errorf("goIdent(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRefusesUnsupported checks that a construct the generator does not
// implement is an error, not a type that validates less than the schema.
func TestRefusesUnsupported(t *testing.T) {
	const head = `<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t"
  xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" targetNamespace="urn:t">
<wsdl:types><s:schema targetNamespace="urn:t" elementFormDefault="qualified">`
	const tail = `<s:complexType name="Pong"/><s:element name="pingRequest" type="tns:Ping"/><s:element name="pingResponse" type="tns:Pong"/>
</s:schema></wsdl:types>
<wsdl:message name="In"><wsdl:part name="parameters" element="tns:pingRequest"/></wsdl:message>
<wsdl:message name="Out"><wsdl:part name="parameters" element="tns:pingResponse"/></wsdl:message>
<wsdl:portType name="P"><wsdl:operation name="Ping">
<wsdl:input message="tns:In" wsaw:Action="/Ping"/><wsdl:output message="tns:Out" wsaw:Action="/PingResponse"/>
</wsdl:operation></wsdl:portType></wsdl:definitions>`
	for _, c := range []struct{ name, types, want string }{
		{"nillable", `<s:complexType name="Ping"><s:sequence><s:element name="a" type="s:string" nillable="true"/></s:sequence></s:complexType>`, "nillable"},
		{"choice", `<s:complexType name="Ping"><s:choice><s:element name="a" type="s:string"/></s:choice></s:complexType>`, "choice"},
		{"pattern", `<s:simpleType name="S"><s:restriction base="s:string"><s:pattern value="a+"/></s:restriction></s:simpleType>`, "pattern"},
		{"built-in", `<s:complexType name="Ping"><s:sequence><s:element name="a" type="s:long"/></s:sequence></s:complexType>`, "long"},
		{"unknown type", `<s:complexType name="Ping"><s:sequence><s:element name="a" type="tns:Nope"/></s:sequence></s:complexType>`, "Nope"},
	} {
		doc := head + c.types + tail
		if c.name == "pattern" {
			doc = head + c.types + `<s:complexType name="Ping"/>` + tail
		}
		_, err := parseWSDL("t.wsdl", []byte(doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want an error naming %q", c.name, err, c.want)
		}
	}
	// The same document with a supported type parses, so the cases above
	// fail for the reason they name.
	ok := head + `<s:complexType name="Ping"><s:sequence><s:element name="a" type="s:string"/></s:sequence></s:complexType>` + tail
	s, err := parseWSDL("t.wsdl", []byte(ok))
	if err != nil {
		t.Fatalf("supported document: %v", err)
	}
	if len(s.ops) != 1 || s.ops[0].inAction != "/Ping" || s.ops[0].out.name != "pingResponse" {
		t.Errorf("operations = %+v, want Ping with /Ping and pingResponse", s.ops)
	}
}
