package charging_test

import (
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

func TestNormalizeEVSEID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"DE*ABC*E123456*1", "DE*ABC*E123456*1", true},
		{"de*abc*e123456*1", "DE*ABC*E123456*1", true},
		{"DEABCE1234561", "DEABCE1234561", true},
		{"DE*ICE*E*1234567890*1", "DE*ICE*E*1234567890*1", true},
		{"NL*TNM*E840*6", "NL*TNM*E840*6", true},
		{"DE*AB*E1", "", false},                                     // operator id of 2
		{"DE*ABC*123", "", false},                                   // no E
		{"XX*ABC*E1", "", false},                                    // not a country
		{"D1*ABC*E1", "", false},                                    // not a country
		{"DE*ABC*E", "", false},                                     // no outlet id
		{"DE-ABC-E1", "", false},                                    // wrong separator
		{"DE*ABC*E" + "1234567890123456789012345678901", "", false}, // an outlet id of 31: eMI3 allows 30
		{"DE*ABC*E" + "123456789012345678901234567890", "DE*ABC*E123456789012345678901234567890", true},
	} {
		got, ok := charging.NormalizeEVSEID(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("NormalizeEVSEID(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    charging.Connector
		want charging.ConnectorSpec
		typ  string
	}{
		{"nothing known", charging.Connector{}, charging.ConnectorSpec{}, ""},
		{"reported only, implied DC and cable",
			charging.Connector{Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorCHAdeMO, MaxPowerW: 50000}},
			charging.ConnectorSpec{ConnectorType: charging.ConnectorCHAdeMO, Format: charging.FormatCable, PowerType: charging.PowerDC, MaxPowerW: 50000}, "CHAdeMO"},
		{"operator wins field by field",
			charging.Connector{
				Operator: charging.ConnectorSpec{ConnectorType: charging.ConnectorType2, MaxPowerW: 11000},
				Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, Format: charging.FormatSocket, PowerType: charging.PowerAC3Phase, MaxPowerW: 22000}},
			charging.ConnectorSpec{ConnectorType: charging.ConnectorType2, Format: charging.FormatSocket, PowerType: charging.PowerAC3Phase, MaxPowerW: 11000}, "Type2"},
		{"an AC plug implies nothing",
			charging.Connector{Operator: charging.ConnectorSpec{ConnectorType: charging.ConnectorType2}},
			charging.ConnectorSpec{ConnectorType: charging.ConnectorType2}, "Type2"},
		{"older free text shows as the type",
			charging.Connector{Operator: charging.ConnectorSpec{ConnectorType: "Schuko"}},
			charging.ConnectorSpec{}, "Schuko"},
		{"a reported plug wins over older free text",
			charging.Connector{Operator: charging.ConnectorSpec{ConnectorType: "Schuko"}, Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorDomesticF}},
			charging.ConnectorSpec{ConnectorType: charging.ConnectorDomesticF}, "DOMESTIC_F"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.k
			k.Resolve()
			got := charging.ConnectorSpec{ConnectorType: k.ConnectorType, Format: k.Format, PowerType: k.PowerType, MaxPowerW: k.MaxPowerW}
			if got != tc.want || k.Type != tc.typ {
				t.Errorf("resolved = %+v, type %q; want %+v, type %q", got, k.Type, tc.want, tc.typ)
			}
			if k.Operator != tc.k.Operator || k.Reported != tc.k.Reported {
				t.Errorf("Resolve changed the sources: %+v, %+v", k.Operator, k.Reported)
			}
		})
	}
}

func TestParseConnectorType(t *testing.T) {
	for in, want := range map[string]charging.ConnectorType{
		"CCS2": charging.ConnectorCCS2, "ccs 2": charging.ConnectorCCS2, "Type 2": charging.ConnectorType2, "CHAdeMO": charging.ConnectorCHAdeMO,
		"IEC_62196_T1_COMBO": charging.ConnectorCCS1, "TESLA_S": charging.ConnectorTeslaS, "Schuko": "", "iec_62196_t2": "",
	} {
		got, ok := charging.ParseConnectorType(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseConnectorType(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
