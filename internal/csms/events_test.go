package csms_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// Events carry chargers as GetCharger shows them: the whole charger's
// status (1.6 connector 0, reported after every boot) is the charger's
// Status, never one of its connectors.
func TestChargerEventsListNoConnectorZero(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // CP-1 reported connectors 0, 1 and 2
	sub := f.bus.Subscribe(charging.EventFilter{ChargerID: "CP-1"})
	defer sub.Close()
	f.cmd.setOffline(true) // the gateway removed the connection
	must(t, f.svc.Disconnected(ctx, "CP-1"))
	f.cmd.setOffline(false)
	must(t, f.svc.Connected(ctx, "CP-1", charging.OCPP16))
	_, err := f.svc.Booted(ctx, "CP-1", charging.BootInfo{Vendor: "V", Model: "M"})
	must(t, err)
	types := map[string]bool{}
	for len(sub.Events()) > 0 {
		e := <-sub.Events()
		if e.Charger == nil {
			continue
		}
		types[e.Type] = true
		var ids []int
		for _, k := range e.Charger.Connectors {
			ids = append(ids, k.ConnectorID)
		}
		if fmt.Sprint(ids) != "[1 2]" || e.Charger.Status != charging.StatusAvailable {
			t.Errorf("%s: charger connectors %v, status %q; want [1 2], Available", e.Type, ids, e.Charger.Status)
		}
	}
	for _, typ := range []string{charging.EventChargerDisconnected, charging.EventChargerConnected, charging.EventChargerBooted} {
		if !types[typ] {
			t.Errorf("no %s event with the charger", typ)
		}
	}
	// The store keeps connector 0 as it was.
	c, err := f.store.GetCharger(ctx, "CP-1")
	must(t, err)
	if len(c.Connectors) != 3 || c.Connectors[0].ConnectorID != 0 {
		t.Errorf("stored connectors %+v, want 0, 1 and 2", c.Connectors)
	}
}
