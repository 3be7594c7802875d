package charging

import (
	"cmp"
	"regexp"
	"strings"
)

// What a connector is: its plug, whether the plug is a socket or a cable,
// AC or DC, and its maximum power. The words are OCPI 2.2.1's (Locations
// module: Connector.standard, format, power_type, max_electric_power), so
// that a connector maps one-to-one onto an OCPI Connector, and a Joule
// connector (an EVSE of OCPP 2.0.1's model) onto an OCPI EVSE.

// ConnectorType is a connector's plug or socket standard, OCPI 2.2.1's
// ConnectorType.
type ConnectorType string

// ConnectorType values (OCPI 2.2.1).
const (
	ConnectorCHAdeMO          ConnectorType = "CHADEMO"
	ConnectorChaoJi           ConnectorType = "CHAOJI"
	ConnectorDomesticA        ConnectorType = "DOMESTIC_A"
	ConnectorDomesticB        ConnectorType = "DOMESTIC_B"
	ConnectorDomesticC        ConnectorType = "DOMESTIC_C"
	ConnectorDomesticD        ConnectorType = "DOMESTIC_D"
	ConnectorDomesticE        ConnectorType = "DOMESTIC_E"
	ConnectorDomesticF        ConnectorType = "DOMESTIC_F" // Schuko (CEE 7/4)
	ConnectorDomesticG        ConnectorType = "DOMESTIC_G" // UK BS 1363
	ConnectorDomesticH        ConnectorType = "DOMESTIC_H"
	ConnectorDomesticI        ConnectorType = "DOMESTIC_I"
	ConnectorDomesticJ        ConnectorType = "DOMESTIC_J"
	ConnectorDomesticK        ConnectorType = "DOMESTIC_K"
	ConnectorDomesticL        ConnectorType = "DOMESTIC_L"
	ConnectorDomesticM        ConnectorType = "DOMESTIC_M"
	ConnectorDomesticN        ConnectorType = "DOMESTIC_N"
	ConnectorDomesticO        ConnectorType = "DOMESTIC_O"
	ConnectorGBTAC            ConnectorType = "GBT_AC"
	ConnectorGBTDC            ConnectorType = "GBT_DC"
	ConnectorIEC60309Single16 ConnectorType = "IEC_60309_2_single_16"
	ConnectorIEC60309Three16  ConnectorType = "IEC_60309_2_three_16"
	ConnectorIEC60309Three32  ConnectorType = "IEC_60309_2_three_32"
	ConnectorIEC60309Three64  ConnectorType = "IEC_60309_2_three_64"
	ConnectorType1            ConnectorType = "IEC_62196_T1"       // SAE J1772
	ConnectorCCS1             ConnectorType = "IEC_62196_T1_COMBO" // CCS1
	ConnectorType2            ConnectorType = "IEC_62196_T2"       // Mennekes
	ConnectorCCS2             ConnectorType = "IEC_62196_T2_COMBO" // CCS2
	ConnectorType3A           ConnectorType = "IEC_62196_T3A"
	ConnectorType3C           ConnectorType = "IEC_62196_T3C" // Scame
	ConnectorNEMA520          ConnectorType = "NEMA_5_20"
	ConnectorNEMA630          ConnectorType = "NEMA_6_30"
	ConnectorNEMA650          ConnectorType = "NEMA_6_50"
	ConnectorNEMA1030         ConnectorType = "NEMA_10_30"
	ConnectorNEMA1050         ConnectorType = "NEMA_10_50"
	ConnectorNEMA1430         ConnectorType = "NEMA_14_30"
	ConnectorNEMA1450         ConnectorType = "NEMA_14_50"
	ConnectorPantographUp     ConnectorType = "PANTOGRAPH_BOTTOM_UP"
	ConnectorPantographDown   ConnectorType = "PANTOGRAPH_TOP_DOWN"
	ConnectorTeslaR           ConnectorType = "TESLA_R"
	ConnectorTeslaS           ConnectorType = "TESLA_S"
)

// ConnectorTypes lists every ConnectorType, in OCPI's order.
var ConnectorTypes = []ConnectorType{
	ConnectorCHAdeMO, ConnectorChaoJi,
	ConnectorDomesticA, ConnectorDomesticB, ConnectorDomesticC, ConnectorDomesticD, ConnectorDomesticE,
	ConnectorDomesticF, ConnectorDomesticG, ConnectorDomesticH, ConnectorDomesticI, ConnectorDomesticJ,
	ConnectorDomesticK, ConnectorDomesticL, ConnectorDomesticM, ConnectorDomesticN, ConnectorDomesticO,
	ConnectorGBTAC, ConnectorGBTDC,
	ConnectorIEC60309Single16, ConnectorIEC60309Three16, ConnectorIEC60309Three32, ConnectorIEC60309Three64,
	ConnectorType1, ConnectorCCS1, ConnectorType2, ConnectorCCS2, ConnectorType3A, ConnectorType3C,
	ConnectorNEMA520, ConnectorNEMA630, ConnectorNEMA650, ConnectorNEMA1030, ConnectorNEMA1050, ConnectorNEMA1430, ConnectorNEMA1450,
	ConnectorPantographUp, ConnectorPantographDown, ConnectorTeslaR, ConnectorTeslaS,
}

// Valid reports whether t is one of ConnectorTypes.
func (t ConnectorType) Valid() bool {
	for _, x := range ConnectorTypes {
		if x == t {
			return true
		}
	}
	return false
}

// shortNames are the names drivers know the common plugs by. They are the
// values of Connector.Type, which clients older than ConnectorType show,
// and what PATCH .../connectors/{id} {"type": ...} has always taken.
var shortNames = []struct {
	name string
	t    ConnectorType
}{
	{"CCS2", ConnectorCCS2},
	{"CCS1", ConnectorCCS1},
	{"CHAdeMO", ConnectorCHAdeMO},
	{"Type2", ConnectorType2},
	{"Type1", ConnectorType1},
}

// ShortName returns the common name of t (CCS2, CHAdeMO, Type2, CCS1,
// Type1), or t itself for the others.
func (t ConnectorType) ShortName() string {
	for _, s := range shortNames {
		if s.t == t {
			return s.name
		}
	}
	return string(t)
}

// ParseConnectorType reads a ConnectorType value or a short name (CCS2,
// CHAdeMO, Type 2, ...; case and spaces do not matter).
func ParseConnectorType(s string) (ConnectorType, bool) {
	if t := ConnectorType(s); t.Valid() {
		return t, true
	}
	key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	for _, x := range shortNames {
		if strings.ToLower(x.name) == key {
			return x.t, true
		}
	}
	return "", false
}

// dc reports whether a plug carries DC only.
func (t ConnectorType) dc() bool {
	switch t {
	case ConnectorCHAdeMO, ConnectorChaoJi, ConnectorGBTDC, ConnectorCCS1, ConnectorCCS2,
		ConnectorPantographUp, ConnectorPantographDown:
		return true
	}
	return false
}

// captive reports whether a plug is always on a cable fixed to the
// charger (a car has the socket).
func (t ConnectorType) captive() bool {
	switch t {
	case ConnectorCHAdeMO, ConnectorChaoJi, ConnectorGBTDC, ConnectorCCS1, ConnectorCCS2,
		ConnectorType1, ConnectorTeslaR, ConnectorTeslaS:
		return true
	}
	return false
}

// ConnectorFormat says whether a connector is a socket (the driver brings
// the cable) or a cable fixed to the charger, OCPI 2.2.1's ConnectorFormat.
type ConnectorFormat string

const (
	FormatSocket ConnectorFormat = "SOCKET"
	FormatCable  ConnectorFormat = "CABLE"
)

// Valid reports whether f is SOCKET or CABLE.
func (f ConnectorFormat) Valid() bool { return f == FormatSocket || f == FormatCable }

// PowerType is how a connector delivers power, OCPI 2.2.1's PowerType.
type PowerType string

const (
	PowerAC1Phase      PowerType = "AC_1_PHASE"
	PowerAC2Phase      PowerType = "AC_2_PHASE"
	PowerAC2PhaseSplit PowerType = "AC_2_PHASE_SPLIT"
	PowerAC3Phase      PowerType = "AC_3_PHASE"
	PowerDC            PowerType = "DC"
)

// PowerTypes lists every PowerType.
var PowerTypes = []PowerType{PowerAC1Phase, PowerAC2Phase, PowerAC2PhaseSplit, PowerAC3Phase, PowerDC}

// Valid reports whether p is one of PowerTypes.
func (p PowerType) Valid() bool {
	for _, x := range PowerTypes {
		if x == p {
			return true
		}
	}
	return false
}

// PowerTypeOfPhases is the power type of a supply with n AC phases, 0
// meaning DC (OCPP 2.0.1 SupplyPhases); "" for any other n.
func PowerTypeOfPhases(n int) PowerType {
	switch n {
	case 0:
		return PowerDC
	case 1:
		return PowerAC1Phase
	case 2:
		return PowerAC2Phase
	case 3:
		return PowerAC3Phase
	}
	return ""
}

// ConnectorSpec is what one source says a connector is. Zero fields are
// unknown to that source.
type ConnectorSpec struct {
	ConnectorType ConnectorType   `json:"connectorType,omitempty"`
	Format        ConnectorFormat `json:"format,omitempty"`
	PowerType     PowerType       `json:"powerType,omitempty"`
	MaxPowerW     float64         `json:"maxPowerW,omitempty"`
	PhaseRotation PhaseRotation   `json:"phaseRotation,omitempty"`
}

// Resolve sets the connector's effective ConnectorType, Format, PowerType,
// MaxPowerW and Type from its two sources, field by field: what the
// operator set wins over what the charger reported; what neither says is
// implied by the plug where the plug allows one answer only (a CCS2 or
// CHAdeMO connector is DC and on a cable). Stores resolve the connectors
// they return.
//
// An operator's connector type from before ConnectorType existed may be
// free text (the older API took any); it is kept, is not a ConnectorType,
// and shows as Type while neither source names a known plug.
func (k *Connector) Resolve() {
	op, rep := k.Operator, k.Reported
	t := op.ConnectorType
	if !t.Valid() {
		t = ""
	}
	if !rep.ConnectorType.Valid() {
		rep.ConnectorType = ""
	}
	k.ConnectorType = cmp.Or(t, rep.ConnectorType)
	var impliedFormat ConnectorFormat
	var impliedPower PowerType
	if k.ConnectorType.captive() {
		impliedFormat = FormatCable
	}
	if k.ConnectorType.dc() {
		impliedPower = PowerDC
	}
	k.Format = cmp.Or(op.Format, rep.Format, impliedFormat)
	k.PowerType = cmp.Or(op.PowerType, rep.PowerType, impliedPower)
	k.MaxPowerW = cmp.Or(op.MaxPowerW, rep.MaxPowerW)
	if !rep.PhaseRotation.Valid() {
		rep.PhaseRotation = ""
	}
	k.PhaseRotation = cmp.Or(op.PhaseRotation, rep.PhaseRotation)
	k.Type = k.ConnectorType.ShortName()
	if k.ConnectorType == "" {
		k.Type = string(op.ConnectorType) // older free text, or ""
	}
}

// evseIDPattern is the eMI3 EVSE ID (eMI3 "Part 2: business objects",
// used by OCPI 2.2.1 EVSE.evse_id and ISO 15118): an ISO 3166-1 alpha-2
// country code, the 3-character spot operator id, "E", and the power
// outlet id (letters, digits and '*'), with the '*' separators between
// the parts optional: DE*ABC*E123456*1, DEABCE1234561, and ISO 15118's
// DE*ICE*E*1234567890*1.
var evseIDPattern = regexp.MustCompile(`^([A-Z]{2})\*?[A-Z0-9]{3}\*?E\*?[A-Z0-9][A-Z0-9*]{0,29}$`)

// NormalizeEVSEID returns id in upper case (eMI3 ids compare
// case-insensitively) and whether it is an eMI3 EVSE ID of at most 48
// characters (OCPI's limit) whose country is an ISO 3166-1 code.
func NormalizeEVSEID(id string) (string, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	m := evseIDPattern.FindStringSubmatch(id)
	if m == nil || len(id) > 48 {
		return id, false
	}
	_, ok := alpha3Of(m[1])
	return id, ok
}
