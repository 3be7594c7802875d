package csms_test

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// TestSOAPChargerSeen: the address of an OCPP-S charger is stored, kept
// when it is seen again at the same one, replaced when it moves; an
// address Joule could not call, or an unknown charger, is refused.
func TestSOAPChargerSeen(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	addr := func() string {
		t.Helper()
		c, err := f.store.GetCharger(ctx, "CP-1")
		must(t, err)
		return c.SOAPAddress
	}
	must(t, f.svc.SOAPChargerSeen(ctx, "CP-1", "http://10.0.0.5:8080/cp"))
	if got := addr(); got != "http://10.0.0.5:8080/cp" {
		t.Errorf("address = %q, want the first one", got)
	}
	must(t, f.svc.SOAPChargerSeen(ctx, "CP-1", "http://10.0.0.5:8080/cp"))
	must(t, f.svc.SOAPChargerSeen(ctx, "CP-1", "https://cp.example.com/ocpp"))
	if got := addr(); got != "https://cp.example.com/ocpp" {
		t.Errorf("address = %q, want the new one", got)
	}
	for _, bad := range []string{"", "10.0.0.5:8080", "mailto:cp@example.com", "http:///path", charging.OCPP16S} {
		wantCode(t, f.svc.SOAPChargerSeen(ctx, "CP-1", bad), charging.EINVALID)
	}
	if got := addr(); got != "https://cp.example.com/ocpp" {
		t.Errorf("address after refused ones = %q, want it unchanged", got)
	}
	wantCode(t, f.svc.SOAPChargerSeen(ctx, "nope", "http://10.0.0.5/cp"), charging.ENOTFOUND)
}
