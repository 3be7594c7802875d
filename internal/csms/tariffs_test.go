package csms_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// validateTariff stands in for the tariff engine's validation: it
// upper-cases the currency, which must then be a code, and wants an
// element.
func validateTariff(t *charging.Tariff) error {
	t.Currency = strings.ToUpper(t.Currency)
	if !charging.ValidCurrency(t.Currency) {
		return charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code, got %q", t.Currency)
	}
	if len(t.Elements) == 0 {
		return charging.Errorf(charging.EINVALID, "elements must have at least one element")
	}
	return nil
}

// newTariffFixture is newFixture with validateTariff.
func newTariffFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{store: store, cmd: &fakeCommander{}, bus: inmem.NewBus(), clock: &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}}
	f.svc = csms.New(store, f.bus, f.cmd, nil, f.clock.now, csms.Config{ValidateTariff: validateTariff})
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
	_, err = f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	for _, n := range []int{1, 2} {
		must(t, f.svc.StatusChanged(ctx, "CP-1", charging.StatusReport{ConnectorID: n, Status: charging.StatusAvailable, ErrorCode: "NoError"}))
	}
	return f
}

func energyTariff(id, price string) charging.Tariff {
	return charging.Tariff{ID: id, Currency: "eur", Elements: []charging.TariffElement{{
		PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: charging.Decimal(price), StepSize: 1}}}}}
}

func TestTariffLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newTariffFixture(t)
	created := f.clock.now()

	// An id of Joule's, the validator's normalization, the clock's times.
	x, err := f.svc.CreateTariff(ctx, energyTariff("", "0.30"))
	must(t, err)
	if len(x.ID) != 16 || x.Currency != "EUR" || !x.CreatedAt.Equal(created) || !x.UpdatedAt.Equal(created) {
		t.Errorf("created = %+v, want a 16-character id, currency EUR, times %v", x, created)
	}
	got, err := f.svc.GetTariff(ctx, x.ID)
	must(t, err)
	if got.Currency != "EUR" || got.Elements[0].PriceComponents[0].Price != "0.30" {
		t.Errorf("stored = %+v", got)
	}
	y, err := f.svc.CreateTariff(ctx, energyTariff(" members ", "0.25"))
	must(t, err)
	if y.ID != "members" {
		t.Errorf("id = %q, want members (trimmed)", y.ID)
	}
	for _, tc := range []struct {
		name string
		t    charging.Tariff
		code string
		msg  string
	}{
		{"existing id", energyTariff("members", "0.1"), charging.ECONFLICT, "tariff members exists"},
		{"bad id", energyTariff("mem bers", "0.1"), charging.EINVALID, `id must be 1 to 36 letters, digits, '.', '_' or '-', got "mem bers"`},
		{"id too long", energyTariff(strings.Repeat("a", 37), "0.1"), charging.EINVALID, "id must be 1 to 36"},
		{"the validator's refusal", charging.Tariff{ID: "T-x", Currency: "EUR"}, charging.EINVALID, "elements must have at least one element"},
	} {
		_, err := f.svc.CreateTariff(ctx, tc.t)
		if charging.ErrorCode(err) != tc.code || !strings.Contains(charging.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: %v, want %s %q", tc.name, err, tc.code, tc.msg)
		}
	}
	p, err := f.svc.ListTariffs(ctx, charging.TariffQuery{})
	must(t, err)
	if len(p.Items) != 2 {
		t.Errorf("%d tariffs, want 2", len(p.Items))
	}

	// Replace: the first createdAt, a new updatedAt; never created.
	f.clock.add(time.Hour)
	r := energyTariff("members", "0.20")
	r.Currency, r.Name = "chf", "Members"
	r.CreatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // ignored
	rep, err := f.svc.ReplaceTariff(ctx, r)
	must(t, err)
	if rep.Currency != "CHF" || rep.Name != "Members" || !rep.CreatedAt.Equal(created) || !rep.UpdatedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("replaced = %+v, want CHF Members created %v updated an hour later", rep, created)
	}
	_, err = f.svc.ReplaceTariff(ctx, energyTariff("nope", "0.1"))
	wantCode(t, err, charging.ENOTFOUND)
	_, err = f.svc.GetTariff(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND)
	_, err = f.svc.ReplaceTariff(ctx, charging.Tariff{ID: "members", Currency: "EURO", Elements: r.Elements})
	wantCode(t, err, charging.EINVALID)
	got, err = f.svc.GetTariff(ctx, "members")
	must(t, err)
	if got.Currency != "CHF" {
		t.Errorf("after a refused replace: currency %q, want CHF", got.Currency)
	}

	must(t, f.svc.DeleteTariff(ctx, x.ID))
	wantCode(t, f.svc.DeleteTariff(ctx, x.ID), charging.ENOTFOUND)
}

func TestTariffAssignments(t *testing.T) {
	ctx := context.Background()
	f := newTariffFixture(t)
	for _, id := range []string{"T-site", "T-members", "T-charger", "T-fast"} {
		_, err := f.svc.CreateTariff(ctx, energyTariff(id, "0.30"))
		must(t, err)
	}
	// Unknown tariffs are EUNPROCESSABLE, naming the field; nothing is written.
	_, err := f.svc.CreateSite(ctx, charging.Site{Name: "Depot", TariffID: "nope"})
	if charging.ErrorCode(err) != charging.EUNPROCESSABLE || charging.ErrorMessage(err) != `tariffId "nope" names no tariff` {
		t.Errorf("CreateSite with an unknown tariff = %v", err)
	}
	sites, err := f.svc.ListSites(ctx, charging.SiteQuery{})
	must(t, err)
	if len(sites.Items) != 0 {
		t.Errorf("%d sites after a refused create, want none", len(sites.Items))
	}
	x, err := f.svc.CreateSite(ctx, charging.Site{Name: "Depot", TariffID: "T-site", GroupTariffs: map[string]string{"Members": "T-members"}})
	must(t, err)
	if x.GroupTariffs["members"] != "T-members" || len(x.GroupTariffs) != 1 {
		t.Errorf("site groups = %v, want members (lower case) → T-members", x.GroupTariffs)
	}
	_, err = f.svc.UpdateSite(ctx, x.ID, func(s *charging.Site) error {
		s.GroupTariffs = map[string]string{"fleet": "gone"}
		return nil
	})
	if charging.ErrorCode(err) != charging.EUNPROCESSABLE || charging.ErrorMessage(err) != `groupTariffs.fleet "gone" names no tariff` {
		t.Errorf("UpdateSite with an unknown group tariff = %v", err)
	}

	// A charger update is one unit: an unknown connector tariff leaves the name too.
	_, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{Name: ptr("Bay 1"), SiteID: ptr(x.ID), TariffID: ptr("T-charger"),
		Connectors: []charging.ConnectorUpdate{{ConnectorID: 1}, {ConnectorID: 2, TariffID: ptr("nope")}}})
	if charging.ErrorCode(err) != charging.EUNPROCESSABLE || charging.ErrorMessage(err) != `connectors[1].tariffId "nope" names no tariff` {
		t.Errorf("UpdateCharger with an unknown connector tariff = %v", err)
	}
	c, err := f.svc.GetCharger(ctx, "CP-1")
	must(t, err)
	if c.Name != "" || c.SiteID != "" || c.TariffID != "" {
		t.Errorf("after a refused update: %q %q %q, want nothing changed", c.Name, c.SiteID, c.TariffID)
	}
	c, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{SiteID: ptr(x.ID), TariffID: ptr("T-charger"),
		GroupTariffs: &charging.GroupTariffsPatch{Set: map[string]string{"members": "T-members"}},
		Connectors:   []charging.ConnectorUpdate{{ConnectorID: 2, TariffID: ptr("T-fast")}}})
	must(t, err)
	// A later change of the name keeps the tariffs.
	c, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{Name: ptr("Bay 1")})
	must(t, err)
	k2, _ := c.Connector(2)
	if c.Name != "Bay 1" || c.TariffID != "T-charger" || c.GroupTariffs["members"] != "T-members" || k2.TariffID != "T-fast" {
		t.Errorf("charger = %q %q %v, connector 2 %q; want Bay 1, T-charger, members → T-members, T-fast", c.Name, c.TariffID, c.GroupTariffs, k2.TariffID)
	}
	_, err = f.svc.UpdateConnector(ctx, "CP-1", 1, charging.ConnectorUpdate{GroupTariffs: &charging.GroupTariffsPatch{Set: map[string]string{"staff": "nope"}}})
	if charging.ErrorCode(err) != charging.EUNPROCESSABLE || charging.ErrorMessage(err) != `groupTariffs.staff "nope" names no tariff` {
		t.Errorf("UpdateConnector with an unknown group tariff = %v", err)
	}

	// What a driver pays, level by level.
	for _, tc := range []struct {
		connector int
		group     string
		want      string
	}{
		{1, "", "T-charger at charger"},
		{1, "members", "T-members at charger"},
		{2, "members", "T-fast at connector"},
		{2, "fleet", "T-fast at connector"},
	} {
		at, err := f.svc.TariffAt(ctx, "CP-1", tc.connector, tc.group)
		must(t, err)
		if got := at.Tariff.ID + " at " + string(at.Level); got != tc.want || at.DriverGroup != tc.group {
			t.Errorf("connector %d, group %q: %s for %q, want %s", tc.connector, tc.group, got, at.DriverGroup, tc.want)
		}
	}
	_, err = f.svc.UpdateCharger(ctx, "CP-1", charging.ChargerUpdate{TariffID: ptr(""), GroupTariffs: &charging.GroupTariffsPatch{Clear: true}})
	must(t, err)
	at, err := f.svc.TariffAt(ctx, "CP-1", 1, "members")
	must(t, err)
	if at.Tariff == nil || at.Tariff.ID != "T-members" || at.Level != charging.LevelSite {
		t.Errorf("after clearing the charger's: %+v, want the site's members override", at)
	}

	// In use: the site's override, then nowhere.
	err = f.svc.DeleteTariff(ctx, "T-members")
	if charging.ErrorCode(err) != charging.ECONFLICT || !strings.Contains(charging.ErrorMessage(err), "driver group members of site "+x.ID) {
		t.Errorf("DeleteTariff in use = %v", err)
	}
	_, err = f.svc.UpdateSite(ctx, x.ID, func(s *charging.Site) error { s.TariffID, s.GroupTariffs = "", nil; return nil })
	must(t, err)
	must(t, f.svc.DeleteTariff(ctx, "T-members"))
	at, err = f.svc.TariffAt(ctx, "CP-1", 1, "members")
	must(t, err)
	if at.Tariff != nil || at.Level != "" {
		t.Errorf("with nothing assigned: %+v, want free", at)
	}
	_, err = f.svc.TariffAt(ctx, "CP-9", 1, "")
	wantCode(t, err, charging.ENOTFOUND)
}
