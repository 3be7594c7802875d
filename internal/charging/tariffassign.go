package charging

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Tariffs are assigned at three levels: a site, a charger, and one
// connector (an EVSE). Each level has a tariff (TariffID, "" for none)
// and driver-group overrides (GroupTariffs: a driver group's name → a
// tariff id), which win over the level's tariff for the drivers of that
// group (User.DriverGroup). ResolveTariff picks the one that applies.

// TariffLevel names where a resolved tariff was assigned.
type TariffLevel string

const (
	LevelConnector TariffLevel = "connector"
	LevelCharger   TariffLevel = "charger"
	LevelSite      TariffLevel = "site"
)

// ResolveTariff returns the id of the tariff that applies to a driver of
// driverGroup ("" for none) charging at connector connectorID of ch, at
// site (nil when the charger is at none): the most specific level wins,
// connector, then charger, then site, and at each level the driver
// group's override before the level's tariff. "" means no tariff is
// assigned: charging there is free.
func ResolveTariff(site *Site, ch Charger, connectorID int, driverGroup string) (tariffID string) {
	tariffID, _ = ResolveTariffLevel(site, ch, connectorID, driverGroup)
	return tariffID
}

// ResolveTariffLevel is ResolveTariff that also says at which level the
// tariff was assigned ("" with no tariff).
func ResolveTariffLevel(site *Site, ch Charger, connectorID int, driverGroup string) (string, TariffLevel) {
	pick := func(id string, groups map[string]string) string {
		if driverGroup != "" {
			if g := groups[driverGroup]; g != "" {
				return g
			}
		}
		return id
	}
	if k, ok := ch.Connector(connectorID); ok && connectorID > 0 {
		if id := pick(k.TariffID, k.GroupTariffs); id != "" {
			return id, LevelConnector
		}
	}
	if id := pick(ch.TariffID, ch.GroupTariffs); id != "" {
		return id, LevelCharger
	}
	if site != nil {
		if id := pick(site.TariffID, site.GroupTariffs); id != "" {
			return id, LevelSite
		}
	}
	return "", ""
}

// MaxDriverGroup bounds a driver group's name, in characters.
const MaxDriverGroup = 64

var driverGroupPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// NormalizeDriverGroup returns g trimmed and in lower case, and whether it
// is a driver group's name: 1 to 64 of a-z, 0-9, '_' and '-'.
func NormalizeDriverGroup(g string) (string, bool) {
	g = strings.ToLower(strings.TrimSpace(g))
	return g, driverGroupPattern.MatchString(g)
}

// NormalizeGroupTariffs returns groups with its driver groups normalized
// (NormalizeDriverGroup), and nil for an empty map.
func NormalizeGroupTariffs(groups map[string]string) map[string]string {
	if len(groups) == 0 {
		return nil
	}
	out := make(map[string]string, len(groups))
	for g, id := range groups {
		n, _ := NormalizeDriverGroup(g)
		out[n] = id
	}
	return out
}

// ValidateTariffAssignment checks the form of one level's assignment
// (whether the tariffs exist is the service's to check): tariffID is ""
// or a tariff id, and every override maps a driver group to a tariff id.
// Field names in its EINVALID errors start with prefix (connectors[0].).
func ValidateTariffAssignment(prefix, tariffID string, groups map[string]string) error {
	if tariffID != "" && !ValidTariffID(tariffID) {
		return Errorf(EINVALID, "%stariffId must be a tariff id (1 to 36 letters, digits, '.', '_' or '-') or empty, got %q", prefix, tariffID)
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		n, ok := NormalizeDriverGroup(g)
		if !ok {
			return Errorf(EINVALID, "%sgroupTariffs keys must be driver groups (1 to 64 of a-z, 0-9, '_' and '-'), got %q", prefix, g)
		}
		if _, dup := groups[n]; dup && n != g {
			return Errorf(EINVALID, "%sgroupTariffs names driver group %q twice (driver groups are lower case)", prefix, n)
		}
		if id := groups[g]; !ValidTariffID(id) {
			return Errorf(EINVALID, "%sgroupTariffs.%s must be a tariff id (1 to 36 letters, digits, '.', '_' or '-'), got %q", prefix, g, id)
		}
	}
	return nil
}

// TariffIDs returns the tariff ids an assignment names, tariffID first,
// then the overrides' in driver-group order, each with its JSON field.
func TariffIDs(tariffID string, groups map[string]string) []TariffRef {
	var out []TariffRef
	if tariffID != "" {
		out = append(out, TariffRef{Field: "tariffId", TariffID: tariffID})
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, TariffRef{Field: "groupTariffs." + g, TariffID: groups[g]})
	}
	return out
}

// TariffRef is one tariff id an assignment names, and the JSON field that
// names it.
type TariffRef struct {
	Field    string
	TariffID string
}

// TariffAt is the tariff that applies to a driver at one connector: the
// answer of GET /api/v1/chargers/{id}/connectors/{connectorId}/tariff.
// Tariff is nil when charging there is free (no tariff assigned).
type TariffAt struct {
	Tariff      *Tariff     `json:"tariff"`
	Level       TariffLevel `json:"level,omitempty"`       // where it was assigned
	DriverGroup string      `json:"driverGroup,omitempty"` // the group it was resolved for
	// Quote is what a session starting now pays, in words and per unit
	// (VAT included); nil when free.
	Quote *TariffQuote `json:"quote"`
}

// TariffQuote is what charging costs at one moment, for a driver about to
// start: each dimension's price including VAT ("" when the tariff has
// none), and the whole in words.
type TariffQuote struct {
	Currency    string  `json:"currency"`
	EnergyPrice Decimal `json:"energyPrice,omitempty"` // per kWh
	TimePrice   Decimal `json:"timePrice,omitempty"`   // per hour charging
	IdlePrice   Decimal `json:"idlePrice,omitempty"`   // per hour parked, not charging
	FlatPrice   Decimal `json:"flatPrice,omitempty"`   // per session
	MinPrice    Decimal `json:"minPrice,omitempty"`
	Text        string  `json:"text"` // e.g. "0.36 EUR/kWh · 1.00 EUR per session"
}

// GroupTariffsPatch changes a level's driver-group overrides as a JSON
// merge patch does (PATCH {"groupTariffs": ...}): with Clear (null) every
// override goes first; then each group of Set gets its tariff, or loses
// its override when mapped to "".
type GroupTariffsPatch struct {
	Clear bool
	Set   map[string]string
}

// Apply returns m changed by the patch, normalized (NormalizeGroupTariffs);
// m itself is not changed.
func (p GroupTariffsPatch) Apply(m map[string]string) map[string]string {
	out := map[string]string{}
	if !p.Clear {
		maps.Copy(out, m)
	}
	for g, id := range p.Set {
		g, _ = NormalizeDriverGroup(g)
		if id = strings.TrimSpace(id); id == "" {
			delete(out, g)
		} else {
			out[g] = id
		}
	}
	return NormalizeGroupTariffs(out)
}

// validate returns an EINVALID *Error naming the first group or tariff id
// of Set that is not one ("" removes a group's override).
func (p GroupTariffsPatch) validate(prefix string) error {
	set := map[string]string{}
	for g, id := range p.Set {
		if id = strings.TrimSpace(id); id == "" {
			id = "-" // a removal: only the group is checked
		}
		set[g] = id
	}
	return ValidateTariffAssignment(prefix, "", set)
}
