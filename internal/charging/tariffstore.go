package charging

import (
	"context"
	"fmt"
	"regexp"
)

// TariffStore keeps tariffs. charging.Store embeds it. A tariff is stored
// whole (its JSON) with its id, currency and times beside it; sites,
// chargers and connectors name the tariffs assigned to them
// (tariffassign.go).
type TariffStore interface {
	// CreateTariff inserts a new tariff; an existing id is ECONFLICT.
	CreateTariff(ctx context.Context, t Tariff) error
	// GetTariff returns a tariff; ENOTFOUND when there is none.
	GetTariff(ctx context.Context, id string) (Tariff, error)
	// ListTariffs returns tariffs ordered by id (byte order).
	ListTariffs(ctx context.Context, q TariffQuery) (Page[Tariff], error)
	// SaveTariff overwrites an existing tariff (CreatedAt stays the
	// first one); ENOTFOUND when there is none.
	SaveTariff(ctx context.Context, t Tariff) error
	// DeleteTariff deletes a tariff. ENOTFOUND when there is none;
	// ECONFLICT, with a message naming one place it is assigned (a site,
	// a charger or a connector, as its tariff or a driver group's), while
	// it is assigned anywhere.
	DeleteTariff(ctx context.Context, id string) error
}

// MaxTariffID bounds a tariff id, in characters (OCPI's Tariff.id is
// string(36)).
const MaxTariffID = 36

var tariffIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,36}$`)

// ValidTariffID reports whether id is a tariff id: 1 to 36 letters,
// digits, '.', '_' or '-'.
func ValidTariffID(id string) bool { return tariffIDPattern.MatchString(id) }

// TariffUse is one place a tariff is assigned: a site, a charger or one
// connector of a charger, as its tariff or as a driver group's (Group
// not "").
type TariffUse struct {
	Kind        TariffLevel // LevelSite, LevelCharger or LevelConnector
	ID          string      // the site's or the charger's id
	ConnectorID int         // with LevelConnector
	Group       string      // the driver group; "" for the level's own tariff
}

// InUseError is DeleteTariff's ECONFLICT for a tariff assigned at u.
func (u TariffUse) InUseError(tariffID string) *Error {
	where := string(u.Kind) + " " + u.ID
	if u.Kind == LevelConnector {
		where = fmt.Sprintf("connector %d of charger %s", u.ConnectorID, u.ID)
	}
	if u.Group != "" {
		where = "driver group " + u.Group + " of " + where
	}
	return Errorf(ECONFLICT, "tariff %s is assigned to %s (and maybe elsewhere): assign another tariff there, or none, first", tariffID, where)
}
