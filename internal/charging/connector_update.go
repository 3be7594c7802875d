package charging

import (
	"fmt"
	"math"
	"strings"
)

// MaxConnectorPowerW bounds an operator's maxPowerW: 10 MW is beyond any
// charger (megawatt truck chargers stay under 4 MW).
const MaxConnectorPowerW = 10_000_000

// ConnectorUpdate is what an operator sets about a connector. A nil field
// is left as it is; a pointer to the zero value clears the operator's
// value (the charger's reported one shows again).
type ConnectorUpdate struct {
	// ConnectorID names the connector (from 1) in a ChargerUpdate.
	ConnectorID   int
	EVSEID        *string // an eMI3 EVSE ID; "" clears it
	ConnectorType *ConnectorType
	Format        *ConnectorFormat
	PowerType     *PowerType
	MaxPowerW     *float64
	// Type is the older way to set ConnectorType: a short name (CCS2,
	// CHAdeMO, Type2, CCS1, Type1) or a ConnectorType value; "" clears it.
	Type *string
	// TariffID assigns a tariff to the connector; "" clears it.
	TariffID *string
	// GroupTariffs changes the connector's driver-group overrides.
	GroupTariffs *GroupTariffsPatch
	// PhaseRotation sets how the connector is wired to the grid; "" clears it.
	PhaseRotation *PhaseRotation
}

// Validate returns an EINVALID *Error naming the first field that breaks
// a rule.
func (u ConnectorUpdate) Validate() error { return u.validate("") }

// validate is Validate with field names prefixed (connectors[0].).
func (u ConnectorUpdate) validate(prefix string) error {
	bad := func(field, format string, args ...any) error {
		return Errorf(EINVALID, "%s%s %s", prefix, field, fmt.Sprintf(format, args...))
	}
	if u.EVSEID != nil && *u.EVSEID != "" {
		if _, ok := NormalizeEVSEID(*u.EVSEID); !ok {
			return bad("evseId", "must be an eMI3 EVSE ID of at most 48 characters: an ISO 3166-1 alpha-2 country code, '*', "+
				"a 3-character operator id, '*', 'E' and the outlet id, e.g. DE*ABC*E123456*1; got %q", *u.EVSEID)
		}
	}
	if u.Type != nil && u.ConnectorType != nil {
		return bad("type", "and %sconnectorType set the same thing: give connectorType only", prefix)
	}
	if u.ConnectorType != nil && *u.ConnectorType != "" && !u.ConnectorType.Valid() {
		return bad("connectorType", "must be an OCPI ConnectorType such as IEC_62196_T2_COMBO (CCS2), CHADEMO or IEC_62196_T2 (Type 2); got %q", *u.ConnectorType)
	}
	if u.Type != nil && *u.Type != "" {
		if _, ok := ParseConnectorType(*u.Type); !ok {
			return bad("type", "must be CCS2, CCS1, CHAdeMO, Type2, Type1 or an OCPI ConnectorType; got %q", *u.Type)
		}
	}
	if u.Format != nil && *u.Format != "" && !u.Format.Valid() {
		return bad("format", "must be SOCKET or CABLE; got %q", *u.Format)
	}
	if u.PowerType != nil && *u.PowerType != "" && !u.PowerType.Valid() {
		return bad("powerType", "must be AC_1_PHASE, AC_2_PHASE, AC_2_PHASE_SPLIT, AC_3_PHASE or DC; got %q", *u.PowerType)
	}
	if u.MaxPowerW != nil {
		p := *u.MaxPowerW
		if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || p > MaxConnectorPowerW {
			return bad("maxPowerW", "must be a number of watts from 0 (unknown) to %d; got %v", MaxConnectorPowerW, p)
		}
	}
	if u.PhaseRotation != nil && !u.PhaseRotation.Valid() {
		return bad("phaseRotation", "must be how the connector's L1, L2 and L3 are wired to the grid's (R = L1, S = L2, T = L3): RST, RTS, SRT, STR, TRS or TSR, or NotApplicable, Unknown or \"\" when not known; got %q", *u.PhaseRotation)
	}
	return validateTariffUpdate(prefix, u.TariffID, u.GroupTariffs)
}

// validateTariffUpdate checks the tariff fields of an update.
func validateTariffUpdate(prefix string, id *string, groups *GroupTariffsPatch) error {
	if id != nil {
		if err := ValidateTariffAssignment(prefix, strings.TrimSpace(*id), nil); err != nil {
			return err
		}
	}
	if groups != nil {
		return groups.validate(prefix)
	}
	return nil
}

// applyTariffUpdate sets an assignment's fields from an update's.
func applyTariffUpdate(id *string, groups *GroupTariffsPatch, toID *string, toGroups *map[string]string) {
	if id != nil {
		*toID = strings.TrimSpace(*id)
	}
	if groups != nil {
		*toGroups = groups.Apply(*toGroups)
	}
}

// Empty reports whether the update changes nothing.
func (u ConnectorUpdate) Empty() bool {
	return u.EVSEID == nil && u.ConnectorType == nil && u.Format == nil && u.PowerType == nil && u.MaxPowerW == nil && u.Type == nil &&
		u.TariffID == nil && u.GroupTariffs == nil && u.PhaseRotation == nil
}

// Apply returns c with the update's fields set, normalized (an EVSE ID in
// upper case, a short type name as its ConnectorType), and resolved.
// The update must be valid.
func (u ConnectorUpdate) Apply(c Connector) Connector {
	if u.EVSEID != nil {
		c.EVSEID, _ = NormalizeEVSEID(*u.EVSEID)
	}
	if u.Type != nil {
		t, _ := ParseConnectorType(*u.Type)
		c.Operator.ConnectorType = t
	}
	if u.ConnectorType != nil {
		c.Operator.ConnectorType = *u.ConnectorType
	}
	if u.Format != nil {
		c.Operator.Format = *u.Format
	}
	if u.PowerType != nil {
		c.Operator.PowerType = *u.PowerType
	}
	if u.MaxPowerW != nil {
		c.Operator.MaxPowerW = *u.MaxPowerW
	}
	if u.PhaseRotation != nil {
		c.Operator.PhaseRotation = *u.PhaseRotation
	}
	applyTariffUpdate(u.TariffID, u.GroupTariffs, &c.TariffID, &c.GroupTariffs)
	c.Resolve()
	return c
}

// MaxChargerName bounds a charger's name, in characters.
const MaxChargerName = 255

// ChargerUpdate is an operator's change to a charger (PATCH
// /api/v1/chargers/{id}); nil fields stay as they are, and it applies as
// one unit: all of it, or nothing.
type ChargerUpdate struct {
	Name   *string // "" clears it
	SiteID *string // "" takes the charger off its site
	// Connectors are changes to connectors, each naming its ConnectorID;
	// a connector the charger has not reported yet is declared.
	Connectors []ConnectorUpdate
	// OCPPVersionOverride is "ocpp1.6", "ocpp2.0.1", or "" to let the
	// charger choose again, from its next connection.
	OCPPVersionOverride *string
	// SecurityProfile is the profile the charger must connect with from
	// its next connection; below its MinSecurityProfile it needs
	// AllowDowngrade.
	SecurityProfile *int
	AllowDowngrade  bool
	// TariffID assigns a tariff to the charger; "" clears it.
	TariffID *string
	// GroupTariffs changes the charger's driver-group overrides.
	GroupTariffs *GroupTariffsPatch
}

// ApplyTariffs sets d's tariff fields from the update's.
func (u ChargerUpdate) ApplyTariffs(d *ChargerDetails) {
	applyTariffUpdate(u.TariffID, u.GroupTariffs, &d.TariffID, &d.GroupTariffs)
}

// Validate returns an EINVALID *Error naming the first field that breaks
// a rule (the site's existence is checked when the update applies).
func (u ChargerUpdate) Validate() error {
	if u.Name != nil {
		if n := len([]rune(strings.TrimSpace(*u.Name))); n > MaxChargerName {
			return Errorf(EINVALID, "name must be at most %d characters, got %d", MaxChargerName, n)
		}
	}
	if u.SiteID != nil && len(*u.SiteID) > 64 {
		return Errorf(EINVALID, "siteId %q is not a site id", *u.SiteID)
	}
	seen := map[int]bool{}
	for i, k := range u.Connectors {
		prefix := fmt.Sprintf("connectors[%d].", i)
		if k.ConnectorID < 1 {
			return Errorf(EINVALID, "%sconnectorId must be 1 or more, got %d", prefix, k.ConnectorID)
		}
		if seen[k.ConnectorID] {
			return Errorf(EINVALID, "%sconnectorId %d is in the list twice", prefix, k.ConnectorID)
		}
		seen[k.ConnectorID] = true
		if err := k.validate(prefix); err != nil {
			return err
		}
	}
	if u.AllowDowngrade && u.SecurityProfile == nil {
		return Errorf(EINVALID, "allowDowngrade applies to a securityProfile change; give securityProfile too")
	}
	if p := u.SecurityProfile; p != nil && (*p < ProfileNone || *p > ProfileMTLS) {
		return Errorf(EINVALID, "securityProfile must be 0, 1, 2 or 3, got %d", *p)
	}
	if v := u.OCPPVersionOverride; v != nil && *v != "" && *v != OCPP16 && *v != OCPP201 {
		return Errorf(EINVALID, "ocppVersionOverride must be %q, %q or empty, got %q", OCPP16, OCPP201, *v)
	}
	return validateTariffUpdate("", u.TariffID, u.GroupTariffs)
}
