package node_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// TestSitesAndConnectors: a 2.0.1 DC charger's device model shows as its
// connectors' type and power; an operator names a 1.6 AC charger, puts
// it at a site and sets its EVSE id and plug, which OCPP 1.6 cannot
// report; operator values win over reported ones.
func TestSitesAndConnectors(t *testing.T) {
	n := startNode(t, node.Config{CallTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CP-DC", OCPPVersion: sim.OCPP201, Kind: sim.KindDC})
	startSim(t, sim.Config{URL: n.WS, ID: "CP-AC", OCPPVersion: sim.OCPP16, Connectors: 2, MaxPowerW: 22000})

	// The DC charger's base report (asked for after its first boot).
	var dc charging.Charger
	eventually(t, 10*time.Second, "CP-DC's reported connectors", func() bool {
		dc = charging.Charger{}
		call(t, http.MethodGet, api+"/chargers/CP-DC", nil, &dc)
		k2, _ := dc.Connector(2)
		return k2.MaxPowerW != 0 && k2.ConnectorType != ""
	})
	k1, _ := dc.Connector(1)
	k2, _ := dc.Connector(2)
	if k1.ConnectorType != charging.ConnectorCCS2 || k1.Type != "CCS2" || k1.Format != charging.FormatCable || k1.PowerType != charging.PowerDC || k1.MaxPowerW != 150000 ||
		k1.Reported.ConnectorType != charging.ConnectorCCS2 || k1.Operator != (charging.ConnectorSpec{}) {
		t.Errorf("CP-DC connector 1 = %+v; want the reported CCS2 cable, DC, 150 kW", k1)
	}
	if k2.ConnectorType != charging.ConnectorCHAdeMO || k2.PowerType != charging.PowerDC || k2.MaxPowerW != 50000 {
		t.Errorf("CP-DC connector 2 = %+v; want the reported CHAdeMO, DC, 50 kW", k2)
	}
	// The list shows the same.
	var list page[charging.Charger]
	call(t, http.MethodGet, api+"/chargers", nil, &list)
	for _, c := range list.Items {
		if k, _ := c.Connector(1); c.ID == "CP-DC" && k.MaxPowerW != 150000 {
			t.Errorf("GET /chargers: CP-DC connector 1 = %+v, want 150 kW", k)
		}
	}

	// The operator's value wins; the reported one stays beside it.
	var c charging.Charger
	if code, _ := call(t, http.MethodPatch, api+"/chargers/CP-DC", map[string]any{
		"connectors": []map[string]any{{"connectorId": 1, "maxPowerW": 120000}},
	}, &c); code != http.StatusOK {
		t.Fatalf("PATCH CP-DC = %d, want 200", code)
	}
	if k, _ := c.Connector(1); k.MaxPowerW != 120000 || k.Reported.MaxPowerW != 150000 || k.Operator.MaxPowerW != 120000 {
		t.Errorf("CP-DC connector 1 = %+v; want the operator's 120 kW, the reported 150 kW kept", k)
	}

	// A site, and the 1.6 charger at it with a name, EVSE ids and plugs.
	var site charging.Site
	code, hdr := call(t, http.MethodPost, api+"/sites", map[string]any{
		"name": "Depot", "address": map[string]any{"street": "Hafenstraße 1", "city": "Hamburg", "postalCode": "20457", "country": "DEU"},
		"coordinates": map[string]any{"latitude": 53.5413, "longitude": 9.9841}, "timeZone": "Europe/Berlin",
		"openingTimes": map[string]any{"twentyfourseven": true}, "notes": "Key at the gate",
	}, &site)
	if code != http.StatusCreated || hdr.Get("Location") != "/api/v1/sites/"+site.ID {
		t.Fatalf("POST /sites = %d (Location %q), want 201", code, hdr.Get("Location"))
	}
	code, _ = call(t, http.MethodPatch, api+"/chargers/CP-AC", map[string]any{
		"name": "Bay 1", "siteId": site.ID,
		"connectors": []map[string]any{
			{"connectorId": 1, "evseId": "DE*JOU*E0001*1", "connectorType": "IEC_62196_T2", "format": "SOCKET", "powerType": "AC_3_PHASE", "maxPowerW": 22000},
			{"connectorId": 2, "evseId": "DE*JOU*E0001*2", "type": "Type2", "maxPowerW": 11000},
		},
	}, &c)
	if code != http.StatusOK {
		t.Fatalf("PATCH CP-AC = %d, want 200", code)
	}
	var ac charging.Charger
	call(t, http.MethodGet, api+"/chargers/CP-AC", nil, &ac)
	a1, _ := ac.Connector(1)
	a2, _ := ac.Connector(2)
	if ac.Name != "Bay 1" || ac.SiteID != site.ID || a1.EVSEID != "DE*JOU*E0001*1" || a1.ConnectorType != charging.ConnectorType2 || a1.Type != "Type2" ||
		a1.PowerType != charging.PowerAC3Phase || a1.MaxPowerW != 22000 || a1.Status != charging.StatusAvailable ||
		a2.EVSEID != "DE*JOU*E0001*2" || a2.ConnectorType != charging.ConnectorType2 || a2.MaxPowerW != 11000 {
		t.Errorf("CP-AC = %+v; want Bay 1 at the site with the operator's EVSE ids and plugs", ac)
	}
	// The charger's own messages (a status, a new boot) do not undo them.
	for _, msg := range []map[string]any{{"requestedMessage": "StatusNotification", "connectorId": 1}, {"requestedMessage": "BootNotification"}} {
		if code, _ := call(t, http.MethodPost, api+"/chargers/CP-AC/trigger", msg, nil); code != http.StatusOK {
			t.Fatalf("trigger %v = %d, want 200", msg, code)
		}
	}
	eventually(t, 10*time.Second, "CP-AC's second boot", func() bool {
		var again charging.Charger
		call(t, http.MethodGet, api+"/chargers/CP-AC", nil, &again)
		return again.LastBootAt != nil && ac.LastBootAt != nil && again.LastBootAt.After(*ac.LastBootAt)
	})
	call(t, http.MethodGet, api+"/chargers/CP-AC", nil, &ac)
	if a1, _ := ac.Connector(1); ac.Name != "Bay 1" || ac.SiteID != site.ID || a1.EVSEID != "DE*JOU*E0001*1" || a1.MaxPowerW != 22000 {
		t.Errorf("CP-AC after its reboot = %+v; want its name, site, EVSE id and power kept", ac)
	}

	// An EVSE id is one connector's.
	var p struct{ Code, Detail string }
	code, _ = call(t, http.MethodPatch, api+"/chargers/CP-DC", map[string]any{
		"connectors": []map[string]any{{"connectorId": 1, "evseId": "de*jou*e0001*1"}},
	}, &p)
	if code != http.StatusConflict || !strings.Contains(p.Detail, "CP-AC") {
		t.Errorf("PATCH CP-DC with CP-AC's EVSE id = %d %+v, want 409 naming CP-AC", code, p)
	}

	// The site's chargers; a site with chargers is not deleted.
	call(t, http.MethodGet, api+"/chargers?siteId="+site.ID, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "CP-AC" {
		t.Errorf("GET /chargers?siteId= = %+v, want CP-AC only", list.Items)
	}
	code, _ = call(t, http.MethodDelete, api+"/sites/"+site.ID, nil, &p)
	if code != http.StatusConflict || !strings.Contains(p.Detail, "1 charger") {
		t.Errorf("DELETE the site = %d %+v, want 409 saying 1 charger", code, p)
	}
	call(t, http.MethodPatch, api+"/chargers/CP-AC", map[string]any{"siteId": nil}, &c)
	if c.SiteID != "" || c.Name != "Bay 1" {
		t.Errorf("after siteId null: site %q, name %q; want no site, the name kept", c.SiteID, c.Name)
	}
	if code, _ := call(t, http.MethodDelete, api+"/sites/"+site.ID, nil, nil); code != http.StatusNoContent {
		t.Errorf("DELETE the empty site = %d, want 204", code)
	}
}
