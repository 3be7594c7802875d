package httpapi_test

import (
	"context"
	"fmt"

	"github.com/joule-ev/joule/internal/charging"
)

// The site methods of fakeService are the real ones (csms.Service on the
// test's SQLite store, see newEnvBus), so that the API tests of sites see
// the domain's validation and the store's paging. UpdateCharger changes
// the fake's chargers, checking a site against the real sites.

func (f *fakeService) CreateSite(ctx context.Context, x charging.Site) (charging.Site, error) {
	return f.sites.CreateSite(ctx, x)
}

func (f *fakeService) GetSite(ctx context.Context, id string) (charging.Site, error) {
	return f.sites.GetSite(ctx, id)
}

func (f *fakeService) ListSites(ctx context.Context, q charging.SiteQuery) (charging.Page[charging.Site], error) {
	return f.sites.ListSites(ctx, q)
}

func (f *fakeService) UpdateSite(ctx context.Context, id string, apply func(*charging.Site) error) (charging.Site, error) {
	return f.sites.UpdateSite(ctx, id, apply)
}

func (f *fakeService) DeleteSite(ctx context.Context, id string) error {
	return f.sites.DeleteSite(ctx, id)
}

func (f *fakeService) UpdateCharger(ctx context.Context, id string, u charging.ChargerUpdate) (charging.Charger, error) {
	f.mu.Lock()
	f.chargerUpdate = &u
	err := f.fail("UpdateCharger")
	f.mu.Unlock()
	if err != nil {
		return charging.Charger{}, err
	}
	if u.SecurityProfile != nil {
		if _, err := f.SetSecurityProfile(ctx, id, *u.SecurityProfile, u.AllowDowngrade); err != nil {
			return charging.Charger{}, err
		}
	}
	if u.OCPPVersionOverride != nil {
		if _, err := f.SetOCPPVersionOverride(ctx, id, *u.OCPPVersionOverride); err != nil {
			return charging.Charger{}, err
		}
	}
	if u.SiteID != nil && *u.SiteID != "" {
		if _, err := f.sites.GetSite(ctx, *u.SiteID); charging.ErrorCode(err) == charging.ENOTFOUND {
			return charging.Charger{}, charging.Errorf(charging.EUNPROCESSABLE, "siteId %q names no site", *u.SiteID)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.chargers[id]
	if !ok {
		return charging.Charger{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", id)
	}
	if u.Name != nil {
		c.Name = *u.Name
	}
	if u.SiteID != nil {
		c.SiteID = *u.SiteID
	}
	if u.TariffID != nil || u.GroupTariffs != nil {
		d := charging.ChargerDetails{TariffID: c.TariffID, GroupTariffs: c.GroupTariffs}
		u.ApplyTariffs(&d)
		if err := f.checkTariffs(ctx, "", d.TariffID, d.GroupTariffs); err != nil {
			return charging.Charger{}, err
		}
		c.TariffID, c.GroupTariffs = d.TariffID, d.GroupTariffs
	}
	for i, ku := range u.Connectors {
		k, ok := c.Connector(ku.ConnectorID)
		if !ok {
			k = charging.Connector{ConnectorID: ku.ConnectorID, Status: charging.StatusUnknown}
		}
		k = ku.Apply(k)
		if err := f.checkTariffs(ctx, fmt.Sprintf("connectors[%d].", i), k.TariffID, k.GroupTariffs); err != nil {
			return charging.Charger{}, err
		}
		c.Connectors = append(c.Connectors[:0:0], c.Connectors...)
		replaced := false
		for i := range c.Connectors {
			if c.Connectors[i].ConnectorID == k.ConnectorID {
				c.Connectors[i], replaced = k, true
			}
		}
		if !replaced {
			c.Connectors = append(c.Connectors, k)
		}
	}
	f.chargers[id] = c
	return c, nil
}
