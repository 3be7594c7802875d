package csms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

func ptr[T any](v T) *T { return &v }

// TestUpdateChargerIsOneUnit: a PATCH of a charger's name, site,
// connectors and security profile applies whole or not at all.
func TestUpdateChargerIsOneUnit(t *testing.T) {
	ctx := context.Background()
	f := newFaultFixture(t, charging.OCPP16)
	x, err := f.svc.CreateSite(ctx, charging.Site{Name: " Depot ", Address: charging.Address{Country: "nld"}})
	must(t, err)
	if x.Name != "Depot" || x.Address.Country != "NLD" || x.ID == "" {
		t.Fatalf("site = %+v, want trimmed name, upper-case country and an id", x)
	}
	before, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	up := charging.ChargerUpdate{
		Name: ptr(" Bay 1 "), SiteID: ptr(x.ID), SecurityProfile: ptr(0), OCPPVersionOverride: ptr(charging.OCPP201),
		Connectors: []charging.ConnectorUpdate{
			{ConnectorID: 1, EVSEID: ptr("nl*jou*e1*1"), Type: ptr("CCS2"), MaxPowerW: ptr(150000.0)},
			{ConnectorID: 3, ConnectorType: ptr(charging.ConnectorType2)},
		},
	}
	f.fs.FailLastWrite(errDisk)
	_, err = f.svc.UpdateCharger(ctx, "CP-1", up)
	if err == nil || !strings.Contains(err.Error(), errDisk.Error()) {
		t.Fatalf("UpdateCharger with its last write failing = %v, want %v", err, errDisk)
	}
	after, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if after.Name != before.Name || after.SiteID != "" || len(after.Connectors) != len(before.Connectors) ||
		after.OCPPVersionOverride != "" || after.Connectors[1].EVSEID != "" {
		t.Fatalf("after a failed unit: %+v; want the charger as it was", after)
	}

	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	c, err := f.svc.UpdateCharger(ctx, "CP-1", up)
	must(t, err)
	k1, _ := c.Connector(1)
	k3, _ := c.Connector(3)
	if c.Name != "Bay 1" || c.SiteID != x.ID || c.OCPPVersionOverride != charging.OCPP201 ||
		k1.EVSEID != "NL*JOU*E1*1" || k1.ConnectorType != charging.ConnectorCCS2 || k1.MaxPowerW != 150000 || k1.Status != charging.StatusAvailable ||
		k3.ConnectorType != charging.ConnectorType2 || k3.Status != charging.StatusUnknown {
		t.Errorf("charger = %+v; want every part applied (name trimmed, EVSE id upper case, connector 3 declared)", c)
	}
	if e := <-sub.Events(); e.Type != charging.EventChargerUpdated || e.Charger == nil || e.Charger.Name != "Bay 1" {
		t.Errorf("event = %+v, want charger.updated with the new name", e)
	}
	stored, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if stored.Name != "Bay 1" || stored.SiteID != x.ID {
		t.Errorf("stored charger = %+v, want Bay 1 at %s", stored, x.ID)
	}
}

// TestUpdateChargerRefusals: a refused part leaves the rest undone.
func TestUpdateChargerRefusals(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	must(t, f.svc.Connected(ctx, "CP-2", charging.OCPP16))
	_, err := f.svc.UpdateCharger(ctx, "CP-2", charging.ChargerUpdate{Connectors: []charging.ConnectorUpdate{{ConnectorID: 1, EVSEID: ptr("DE*JOU*E7")}}})
	must(t, err)

	for _, tc := range []struct {
		name string
		up   charging.ChargerUpdate
		code string
		in   string
	}{
		{"unknown site", charging.ChargerUpdate{Name: ptr("Bay 1"), SiteID: ptr("nope")}, charging.EUNPROCESSABLE, "siteId"},
		{"taken EVSE id", charging.ChargerUpdate{Name: ptr("Bay 1"), Connectors: []charging.ConnectorUpdate{{ConnectorID: 2, EVSEID: ptr("de*jou*e7")}}}, charging.ECONFLICT, "DE*JOU*E7"},
		{"downgrade", charging.ChargerUpdate{Name: ptr("Bay 1"), SecurityProfile: ptr(1)}, charging.ECONFLICT, "password"},
		{"bad EVSE id", charging.ChargerUpdate{Name: ptr("Bay 1"), Connectors: []charging.ConnectorUpdate{{ConnectorID: 2, EVSEID: ptr("E7")}}}, charging.EINVALID, "connectors[0].evseId"},
		{"unknown charger", charging.ChargerUpdate{Name: ptr("Bay 1")}, charging.ENOTFOUND, "CP-9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "CP-1"
			if tc.code == charging.ENOTFOUND {
				id = "CP-9"
			}
			_, err := f.svc.UpdateCharger(ctx, id, tc.up)
			wantCode(t, err, tc.code)
			if !strings.Contains(charging.ErrorMessage(err), tc.in) {
				t.Errorf("message %q, want it to mention %s", charging.ErrorMessage(err), tc.in)
			}
			c, err := f.store.GetCharger(ctx, "CP-1")
			must(t, err)
			if c.Name != "" {
				t.Errorf("name = %q after a refused update, want none", c.Name)
			}
		})
	}
}

// TestDeviceModelConnectors: what a 2.0.1 charger reports about its
// connectors is kept beside the operator's values, which win.
func TestDeviceModelConnectors(t *testing.T) {
	ctx := context.Background()
	f := newFaultFixture(t, charging.OCPP201)
	report := charging.DeviceReport{
		Variables: []charging.Variable{{Component: "Connector", EVSEID: 1, ConnectorID: 1, Variable: "ConnectorType", Value: "cCCS2"}},
		Connectors: []charging.ConnectorReport{
			{ConnectorID: 1, Spec: charging.ConnectorSpec{ConnectorType: charging.ConnectorCCS2, Format: charging.FormatCable}},
			{ConnectorID: 3, Spec: charging.ConnectorSpec{ConnectorType: charging.ConnectorCHAdeMO, MaxPowerW: 50000}},
		},
	}
	// One unit: the variables and the connectors, or nothing.
	f.fs.FailLastWrite(errDisk)
	if err := f.svc.DeviceModelReported(ctx, "CP-1", report); err == nil {
		t.Fatal("DeviceModelReported with its last write failing = nil, want the error")
	}
	if has, err := f.store.HasVariables(ctx, "CP-1"); err != nil || has {
		t.Fatalf("HasVariables after a failed report = %v, %v; want false", has, err)
	}
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	must(t, f.svc.DeviceModelReported(ctx, "CP-1", report))
	if e := <-sub.Events(); e.Type != charging.EventChargerUpdated || e.Charger == nil || len(e.Charger.Connectors) != 3 {
		t.Errorf("event = %+v, want charger.updated with 3 connectors", e)
	}
	// A later part of the report adds the power; the type stays.
	must(t, f.svc.DeviceModelReported(ctx, "CP-1", charging.DeviceReport{
		Connectors: []charging.ConnectorReport{{ConnectorID: 1, Spec: charging.ConnectorSpec{MaxPowerW: 150000, PowerType: charging.PowerDC}}},
	}))
	c, err := f.svc.GetCharger(ctx, "CP-1")
	must(t, err)
	k1, _ := c.Connector(1)
	k3, _ := c.Connector(3)
	if k1.ConnectorType != charging.ConnectorCCS2 || k1.MaxPowerW != 150000 || k1.PowerType != charging.PowerDC || k1.Status != charging.StatusAvailable ||
		k3.ConnectorType != charging.ConnectorCHAdeMO || k3.MaxPowerW != 50000 || k3.Status != charging.StatusUnknown {
		t.Errorf("connectors = %+v; want 1: CCS2 150 kW DC Available, 3: CHAdeMO 50 kW declared Unknown", c.Connectors)
	}

	// The operator's value wins; the reported one stays beside it.
	_, err = f.svc.UpdateConnector(ctx, "CP-1", 1, charging.ConnectorUpdate{MaxPowerW: ptr(120000.0)})
	must(t, err)
	must(t, f.svc.DeviceModelReported(ctx, "CP-1", charging.DeviceReport{
		Connectors: []charging.ConnectorReport{{ConnectorID: 1, Spec: charging.ConnectorSpec{MaxPowerW: 160000}}},
	}))
	c, err = f.svc.GetCharger(ctx, "CP-1")
	must(t, err)
	k1, _ = c.Connector(1)
	if k1.MaxPowerW != 120000 || k1.Operator.MaxPowerW != 120000 || k1.Reported.MaxPowerW != 160000 {
		t.Errorf("connector 1 = %+v; want the operator's 120 kW, the reported 160 kW kept beside it", k1)
	}
	// Cleared, the reported value shows again.
	_, err = f.svc.UpdateConnector(ctx, "CP-1", 1, charging.ConnectorUpdate{MaxPowerW: ptr(0.0)})
	must(t, err)
	c, err = f.svc.GetCharger(ctx, "CP-1")
	must(t, err)
	if k1, _ = c.Connector(1); k1.MaxPowerW != 160000 {
		t.Errorf("connector 1 power = %v after the operator cleared theirs, want the reported 160000", k1.MaxPowerW)
	}
}

func TestSites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, err := f.svc.CreateSite(ctx, charging.Site{Name: "X", TimeZone: "Europe/Nowhere"})
	wantCode(t, err, charging.EINVALID)
	x, err := f.svc.CreateSite(ctx, charging.Site{Name: "Depot", TimeZone: "Europe/Amsterdam"})
	must(t, err)

	// An update that breaks a rule changes nothing; the id and times are not the caller's.
	_, err = f.svc.UpdateSite(ctx, x.ID, func(s *charging.Site) error { s.Address.Country = "NL"; return nil })
	wantCode(t, err, charging.EINVALID)
	got, err := f.svc.UpdateSite(ctx, x.ID, func(s *charging.Site) error {
		s.ID, s.CreatedAt, s.Name = "other", s.CreatedAt.Add(1), "Depot North"
		return nil
	})
	must(t, err)
	if got.ID != x.ID || !got.CreatedAt.Equal(x.CreatedAt) || got.Name != "Depot North" || got.TimeZone != "Europe/Amsterdam" {
		t.Errorf("updated site = %+v; want id and createdAt kept, the new name", got)
	}
	stored, err := f.svc.GetSite(ctx, x.ID)
	must(t, err)
	if stored.Name != "Depot North" || !stored.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("stored site = %+v, want the update as answered (%v)", stored, got.UpdatedAt)
	}

	_, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{SiteID: ptr(x.ID)})
	must(t, err)
	err = f.svc.DeleteSite(ctx, x.ID)
	wantCode(t, err, charging.ECONFLICT)
	if !strings.Contains(charging.ErrorMessage(err), "1 charger") {
		t.Errorf("message %q, want it to say 1 charger", charging.ErrorMessage(err))
	}
	_, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{SiteID: ptr("")})
	must(t, err)
	must(t, f.svc.DeleteSite(ctx, x.ID))
	_, err = f.svc.GetSite(ctx, x.ID)
	wantCode(t, err, charging.ENOTFOUND)
}
