package charging_test

import (
	"reflect"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

func TestResolveTariff(t *testing.T) {
	site := &charging.Site{ID: "S", TariffID: "site", GroupTariffs: map[string]string{"members": "site-members", "fleet": "site-fleet"}}
	bare := &charging.Site{ID: "S"}
	ch := charging.Charger{ID: "CP", TariffID: "charger", GroupTariffs: map[string]string{"members": "charger-members"},
		Connectors: []charging.Connector{
			{ConnectorID: 1, TariffID: "connector-1", GroupTariffs: map[string]string{"staff": "connector-1-staff"}},
			{ConnectorID: 2, GroupTariffs: map[string]string{"members": "connector-2-members"}},
			{ConnectorID: 3},
		}}
	noTariff := charging.Charger{ID: "CP", Connectors: []charging.Connector{{ConnectorID: 1}}}
	groupOnly := charging.Charger{ID: "CP", GroupTariffs: map[string]string{"fleet": "charger-fleet"}, Connectors: []charging.Connector{{ConnectorID: 1}}}
	tests := []struct {
		name      string
		site      *charging.Site
		ch        charging.Charger
		connector int
		group     string
		want      string
		level     charging.TariffLevel
	}{
		{"connector's tariff", site, ch, 1, "", "connector-1", charging.LevelConnector},
		{"connector's group override", site, ch, 1, "staff", "connector-1-staff", charging.LevelConnector},
		{"connector's tariff beats the charger's group override", site, ch, 1, "members", "connector-1", charging.LevelConnector},
		{"connector with a group override only, driver in it", site, ch, 2, "members", "connector-2-members", charging.LevelConnector},
		{"connector with a group override only, driver in none", site, ch, 2, "", "charger", charging.LevelCharger},
		{"connector with a group override only, driver in another", site, ch, 2, "fleet", "charger", charging.LevelCharger},
		{"connector without any: the charger's group override", site, ch, 3, "members", "charger-members", charging.LevelCharger},
		{"connector without any: the charger's tariff", site, ch, 3, "staff", "charger", charging.LevelCharger},
		{"unknown connector: the charger's", site, ch, 9, "", "charger", charging.LevelCharger},
		{"connector 0 (the charger chooses): the charger's", site, ch, 0, "members", "charger-members", charging.LevelCharger},
		{"nothing below the site: the site's group override", site, noTariff, 1, "fleet", "site-fleet", charging.LevelSite},
		{"nothing below the site: the site's tariff", site, noTariff, 1, "staff", "site", charging.LevelSite},
		{"charger's group override only, other group: the site's", site, groupOnly, 1, "members", "site-members", charging.LevelSite},
		{"charger's group override only, its group", site, groupOnly, 1, "fleet", "charger-fleet", charging.LevelCharger},
		{"no site: nothing assigned is free", nil, noTariff, 1, "members", "", ""},
		{"a site without tariffs: free", bare, noTariff, 1, "", "", ""},
		{"a group's override never applies to drivers without a group", bare, groupOnly, 1, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := charging.ResolveTariff(tt.site, tt.ch, tt.connector, tt.group); got != tt.want {
				t.Errorf("ResolveTariff = %q, want %q", got, tt.want)
			}
			id, level := charging.ResolveTariffLevel(tt.site, tt.ch, tt.connector, tt.group)
			if id != tt.want || level != tt.level {
				t.Errorf("ResolveTariffLevel = %q, %q; want %q, %q", id, level, tt.want, tt.level)
			}
		})
	}
}

func TestNormalizeDriverGroup(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"members", "members", true},
		{" Fleet_A-2 ", "fleet_a-2", true},
		{"", "", false},
		{"with space", "with space", false},
		{"ümlaut", "ümlaut", false},
		{string(make([]byte, 65)), string(make([]byte, 65)), false},
		{"a234567890123456789012345678901234567890123456789012345678901234", "a234567890123456789012345678901234567890123456789012345678901234", true},
		{"a2345678901234567890123456789012345678901234567890123456789012345", "a2345678901234567890123456789012345678901234567890123456789012345", false},
	}
	for _, tt := range tests {
		got, ok := charging.NormalizeDriverGroup(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeDriverGroup(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestValidateTariffAssignment(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		groups map[string]string
		want   string // the error's message; "" for none
	}{
		{"none", "", nil, ""},
		{"valid", "T-1.a_b", map[string]string{"members": "T-2", "Fleet": "T-3"}, ""},
		{"bad id", "T 1", nil, `connectors[0].tariffId must be a tariff id (1 to 36 letters, digits, '.', '_' or '-') or empty, got "T 1"`},
		{"id too long", "1234567890123456789012345678901234567", nil, `connectors[0].tariffId must be a tariff id (1 to 36 letters, digits, '.', '_' or '-') or empty, got "1234567890123456789012345678901234567"`},
		{"bad group", "", map[string]string{"my group": "T-1"}, `connectors[0].groupTariffs keys must be driver groups (1 to 64 of a-z, 0-9, '_' and '-'), got "my group"`},
		{"group twice", "", map[string]string{"members": "T-1", "Members": "T-2"}, `connectors[0].groupTariffs names driver group "members" twice (driver groups are lower case)`},
		{"empty tariff of a group", "", map[string]string{"members": ""}, `connectors[0].groupTariffs.members must be a tariff id (1 to 36 letters, digits, '.', '_' or '-'), got ""`},
	}
	for _, tt := range tests {
		err := charging.ValidateTariffAssignment("connectors[0].", tt.id, tt.groups)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want no error", tt.name, err)
			}
			continue
		}
		if charging.ErrorCode(err) != charging.EINVALID || charging.ErrorMessage(err) != tt.want {
			t.Errorf("%s: %v, want EINVALID %q", tt.name, err, tt.want)
		}
	}
}

func TestGroupTariffsPatch(t *testing.T) {
	old := map[string]string{"members": "T-1", "fleet": "T-2"}
	tests := []struct {
		name string
		p    charging.GroupTariffsPatch
		want map[string]string
	}{
		{"add and change", charging.GroupTariffsPatch{Set: map[string]string{"Staff": "T-3", "members": "T-4"}},
			map[string]string{"members": "T-4", "fleet": "T-2", "staff": "T-3"}},
		{"remove one", charging.GroupTariffsPatch{Set: map[string]string{"fleet": ""}}, map[string]string{"members": "T-1"}},
		{"remove all one by one", charging.GroupTariffsPatch{Set: map[string]string{"fleet": "", "members": ""}}, nil},
		{"clear", charging.GroupTariffsPatch{Clear: true}, nil},
		{"clear and set", charging.GroupTariffsPatch{Clear: true, Set: map[string]string{"staff": "T-3"}}, map[string]string{"staff": "T-3"}},
	}
	for _, tt := range tests {
		if got := tt.p.Apply(old); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Apply = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !reflect.DeepEqual(old, map[string]string{"members": "T-1", "fleet": "T-2"}) {
		t.Errorf("Apply changed its argument: %v", old)
	}
	// A connector update with tariffs validates them and applies them.
	u := charging.ConnectorUpdate{TariffID: ptr(" T-9 "), GroupTariffs: &charging.GroupTariffsPatch{Set: map[string]string{"fleet": ""}}}
	if err := u.Validate(); err != nil || u.Empty() {
		t.Fatalf("Validate = %v, Empty = %v; want valid, not empty", err, u.Empty())
	}
	k := u.Apply(charging.Connector{ConnectorID: 1, GroupTariffs: old})
	if k.TariffID != "T-9" || !reflect.DeepEqual(k.GroupTariffs, map[string]string{"members": "T-1"}) {
		t.Errorf("Apply = tariff %q, groups %v; want T-9, members → T-1", k.TariffID, k.GroupTariffs)
	}
	bad := charging.ConnectorUpdate{GroupTariffs: &charging.GroupTariffsPatch{Set: map[string]string{"fleet": "no way"}}}
	if err := bad.Validate(); charging.ErrorMessage(err) != `groupTariffs.fleet must be a tariff id (1 to 36 letters, digits, '.', '_' or '-'), got "no way"` {
		t.Errorf("Validate of a bad group tariff = %v", err)
	}
	cu := charging.ChargerUpdate{GroupTariffs: &charging.GroupTariffsPatch{Set: map[string]string{"bad group": "T-1"}}}
	if err := cu.Validate(); charging.ErrorMessage(err) != `groupTariffs keys must be driver groups (1 to 64 of a-z, 0-9, '_' and '-'), got "bad group"` {
		t.Errorf("ChargerUpdate.Validate of a bad group = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
