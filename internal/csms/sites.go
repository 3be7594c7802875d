package csms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Sites and the operator's side of a charger: its name, its site, what its
// connectors are. Each change is one unit of work, and publishes its event
// once it is durable.

// CreateSite creates a site with a new id; the site's own ID, CreatedAt
// and UpdatedAt are ignored.
func (s *Service) CreateSite(ctx context.Context, x charging.Site) (charging.Site, error) {
	x = x.Clone()
	x.Normalize()
	if err := x.Validate(); err != nil {
		return charging.Site{}, err
	}
	now := s.storedNow()
	x.ID, x.CreatedAt, x.UpdatedAt = newID(), now, now
	err := s.update(ctx, func(u *unit) error {
		if err := checkTariffs(ctx, u.tx, "", x.TariffID, x.GroupTariffs); err != nil {
			return err
		}
		return u.tx.CreateSite(ctx, x)
	})
	if err != nil {
		return charging.Site{}, err
	}
	s.publishSite(ctx, charging.EventSiteCreated, x)
	return x, nil
}

// GetSite returns a site.
func (s *Service) GetSite(ctx context.Context, id string) (charging.Site, error) {
	return s.store.GetSite(ctx, id)
}

// ListSites returns a page of sites, by name.
func (s *Service) ListSites(ctx context.Context, q charging.SiteQuery) (charging.Page[charging.Site], error) {
	return s.store.ListSites(ctx, q)
}

// UpdateSite changes a site: apply gets the stored site and changes it
// (an API's merge patch); the result is validated and saved in the same
// unit of work, so two updates never undo each other. apply may run more
// than once and must do nothing else; it cannot change the site's id or
// times.
func (s *Service) UpdateSite(ctx context.Context, id string, apply func(*charging.Site) error) (charging.Site, error) {
	var x charging.Site
	err := s.update(ctx, func(u *unit) error {
		old, err := u.tx.GetSite(ctx, id)
		if err != nil {
			return err
		}
		x = old.Clone()
		if err := apply(&x); err != nil {
			return err
		}
		x.ID, x.CreatedAt, x.UpdatedAt = old.ID, old.CreatedAt, s.storedNow()
		x.Normalize()
		if err := x.Validate(); err != nil {
			return err
		}
		if err := checkTariffs(ctx, u.tx, "", x.TariffID, x.GroupTariffs); err != nil {
			return err
		}
		return u.tx.SaveSite(ctx, x)
	})
	if err != nil {
		return charging.Site{}, err
	}
	s.publishSite(ctx, charging.EventSiteUpdated, x)
	return x, nil
}

// DeleteSite deletes a site at which no charger is; a site with chargers
// is ECONFLICT, saying how many (move them or take them off the site
// first: deleting a site never changes a charger).
func (s *Service) DeleteSite(ctx context.Context, id string) error {
	if err := s.store.DeleteSite(ctx, id); err != nil {
		return err
	}
	s.publish(ctx, charging.Event{Type: charging.EventSiteDeleted, SiteID: id})
	return nil
}

// storedNow is now as a store keeps it (to the microsecond), so that a
// site answered at once is the one read later.
func (s *Service) storedNow() time.Time { return s.utcNow().Truncate(time.Microsecond) }

func (s *Service) publishSite(ctx context.Context, typ string, x charging.Site) {
	s.publish(ctx, charging.Event{Type: typ, SiteID: x.ID, Site: &x})
}

// UpdateCharger applies an operator's change to a charger (name, site,
// connectors, OCPP version override, security profile, tariffs) as one
// unit of work: every part, or none when one is refused. A siteId or a
// tariff id that names none is EUNPROCESSABLE; an EVSE id another connector has is ECONFLICT.
// Once durable, the change is published as charger.updated.
func (s *Service) UpdateCharger(ctx context.Context, chargerID string, up charging.ChargerUpdate) (charging.Charger, error) {
	if err := up.Validate(); err != nil {
		return charging.Charger{}, err
	}
	tariffs := up.TariffID != nil || up.GroupTariffs != nil
	if up.Name == nil && up.SiteID == nil && len(up.Connectors) == 0 && up.OCPPVersionOverride == nil && up.SecurityProfile == nil && !tariffs {
		return s.GetCharger(ctx, chargerID)
	}
	unlock := s.lock(chargerID)
	defer unlock()
	var c charging.Charger
	err := s.update(ctx, func(u *unit) error {
		var err error
		c, err = u.tx.GetCharger(ctx, chargerID)
		if err != nil {
			return err
		}
		// The security profile first: it is the part most likely refused.
		if up.SecurityProfile != nil {
			if err := setSecurityProfile(ctx, u.tx, &c, *up.SecurityProfile, up.AllowDowngrade); err != nil {
				return err
			}
			if err := u.tx.SaveCharger(ctx, c); err != nil {
				return err
			}
		}
		if up.Name != nil || up.SiteID != nil || tariffs {
			d := charging.ChargerDetails{Name: c.Name, SiteID: c.SiteID, TariffID: c.TariffID, GroupTariffs: c.GroupTariffs}
			if tariffs {
				up.ApplyTariffs(&d)
				if err := checkTariffs(ctx, u.tx, "", d.TariffID, d.GroupTariffs); err != nil {
					return err
				}
			}
			if up.Name != nil {
				d.Name = strings.TrimSpace(*up.Name)
			}
			if up.SiteID != nil {
				d.SiteID = *up.SiteID
			}
			if d.SiteID != "" && d.SiteID != c.SiteID {
				if _, err := u.tx.GetSite(ctx, d.SiteID); charging.ErrorCode(err) == charging.ENOTFOUND {
					return charging.Errorf(charging.EUNPROCESSABLE, "siteId %q names no site", d.SiteID)
				} else if err != nil {
					return err
				}
			}
			if err := u.tx.SaveChargerDetails(ctx, chargerID, d); err != nil {
				return err
			}
		}
		for i, ku := range up.Connectors {
			if _, err := s.updateConnector(ctx, u.tx, c, ku.ConnectorID, ku, fmt.Sprintf("connectors[%d].", i)); err != nil {
				return err
			}
		}
		if up.OCPPVersionOverride != nil {
			if err := u.tx.SetOCPPVersionOverride(ctx, chargerID, *up.OCPPVersionOverride); err != nil {
				return err
			}
		}
		c, err = u.tx.GetCharger(ctx, chargerID)
		return err
	})
	if err != nil {
		return charging.Charger{}, err
	}
	present(&c)
	s.publish(ctx, charging.Event{Type: charging.EventChargerUpdated, ChargerID: chargerID, Charger: &c})
	return c, nil
}
