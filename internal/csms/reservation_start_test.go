package csms_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// TestStartEndsReservationWhateverTag: a StartTransaction that names a
// reservation ends it even when its idTag has no right to it (1.6: the
// reservation "that terminates as a result of this transaction"); the
// session is flagged, and no open reservation is left to block the next
// ReserveNow.
func TestStartEndsReservationWhateverTag(t *testing.T) {
	f := newFaultFixture(t, charging.OCPP16)
	ctx := context.Background()
	r := f.reserve(t, 1, "TAG-A")
	res, err := f.svc.TransactionStarted(ctx, "CP-1", charging.TransactionStart{
		ConnectorID: 1, IDTag: "TAG-B", MeterStartWh: 0, Timestamp: f.clock.now(), ReservationID: r.ID,
	})
	must(t, err)
	got, err := f.store.GetReservation(ctx, r.ID)
	must(t, err)
	if got.Status != charging.ReservationUsed || got.SessionID != res.SessionID {
		t.Errorf("reservation after the start: %s (session %q), want used by %s", got.Status, got.SessionID, res.SessionID)
	}
	ses := f.session(t, res.SessionID)
	if !slices.ContainsFunc(ses.Flags, func(fl string) bool { return strings.Contains(fl, "holds no right") }) {
		t.Errorf("session flags %q, want the idTag mismatch flagged", ses.Flags)
	}
	open, err := f.store.ListReservations(ctx, charging.ReservationQuery{ChargerID: "CP-1", Status: []charging.ReservationStatus{charging.ReservationActive}})
	must(t, err)
	if len(open.Items) != 0 {
		t.Errorf("open reservations after the start: %+v, want none (the next ReserveNow must reach the charger)", open.Items)
	}
}
