package chargingtest

import (
	"context"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// utcAt is t0 in UTC, to the microsecond: what a store returns for the
// times inside a session's JSON columns (tariff, cost, payment), which
// normSession does not normalize.
func utcAt(d time.Duration) time.Time { return at(d).UTC().Truncate(time.Microsecond) }

func pricedSession(id, chargerID string, connectorID int) charging.Session {
	s := session(id, chargerID, connectorID, charging.SessionActive)
	s.TariffID = "STD"
	s.Tariff = &charging.Tariff{ID: "STD", Currency: "EUR", Elements: []charging.TariffElement{{
		PriceComponents: []charging.PriceComponent{{Type: charging.DimensionEnergy, Price: "0.30", VAT: "19", StepSize: 1}},
		Restrictions:    &charging.TariffRestrictions{StartTime: "08:00", EndTime: "22:00", DayOfWeek: []string{"MONDAY"}},
	}}, CreatedAt: utcAt(0), UpdatedAt: utcAt(0)}
	s.Cost = &charging.Cost{Currency: "EUR", Total: "0.36", TotalExclVat: "0.30", Energy: "0.30", Time: "0.00",
		Idle: "0.00", Flat: "0.00", Tax: "0.06", EnergyWh: 1000, TariffID: "STD", ComputedAt: utcAt(time.Minute)}
	s.Payment = &charging.Payment{Provider: "wallet", Status: charging.PaymentAuthorized, Currency: "EUR",
		Authorized: "20.00", Reference: "H-1", UpdatedAt: utcAt(0)}
	return s
}

// testSessionCostPayment: a session's tariff, cost and payment are stored
// as given, the payment worker finds the sessions whose payment is open,
// and live values carry the running cost.
func testSessionCostPayment(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "CP-1")
	want := pricedSession("S-1", "CP-1", 1)
	must(t, s.CreateSession(ctx, want), "CreateSession")
	got, err := s.GetSession(ctx, "S-1")
	must(t, err, "GetSession")
	checkEqual(t, "GetSession", normSession(got), normSession(want))

	// The running cost follows the live values; nil keeps it.
	live := got.Live()
	live.UpdatedAt = got.UpdatedAt.Add(time.Minute)
	live.EnergyWh = 2000
	live.Cost = &charging.Cost{Currency: "EUR", Total: "0.71", TotalExclVat: "0.60", Energy: "0.60", Time: "0.00",
		Idle: "0.00", Flat: "0.00", Tax: "0.11", EnergyWh: 2000, TariffID: "STD", ComputedAt: utcAt(2 * time.Minute)}
	must(t, s.SetSessionLive(ctx, live), "SetSessionLive")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after SetSessionLive")
	checkEqual(t, "running cost", got.Cost, live.Cost)
	live.UpdatedAt, live.Cost, live.EnergyWh = live.UpdatedAt.Add(time.Minute), nil, 2100
	must(t, s.SetSessionLive(ctx, live), "SetSessionLive without a cost")
	got, err = s.GetSession(ctx, "S-1")
	must(t, err, "GetSession after SetSessionLive without a cost")
	if got.EnergyWh != 2100 || got.Cost == nil || got.Cost.Total != "0.71" {
		t.Fatalf("a live update without a cost: energy %v, cost %+v; want 2100 and the stored 0.71", got.EnergyWh, got.Cost)
	}

	// A second session, finished and captured; a third, finished and unpaid.
	s2 := pricedSession("S-2", "CP-1", 2)
	s2.Status = charging.SessionFinished
	s2.Cost.Final = true
	s2.Payment.Status, s2.Payment.Captured, s2.Payment.ReceiptNumber = charging.PaymentCaptured, "0.36", "R-2025-000001"
	must(t, s.CreateSession(ctx, s2), "CreateSession S-2")
	s3 := pricedSession("S-3", "CP-1", 3)
	s3.CreatedAt = at(time.Hour)
	s3.Status = charging.SessionFinished
	s3.Cost.Final = true
	s3.Payment.Status, s3.Payment.Attempts, s3.Payment.LastError = charging.PaymentUnpaid, 2, "card_declined"
	next := utcAt(2 * time.Hour)
	s3.Payment.NextAttemptAt = &next
	must(t, s.CreateSession(ctx, s3), "CreateSession S-3")
	free := session("S-4", "CP-1", 4, charging.SessionFinished)
	must(t, s.CreateSession(ctx, free), "CreateSession S-4 (free)")

	page, err := s.ListSessions(ctx, charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{charging.PaymentAuthorized, charging.PaymentUnpaid}})
	must(t, err, "ListSessions by payment status")
	var ids []string
	for _, x := range page.Items {
		ids = append(ids, x.ID)
	}
	checkEqual(t, "open payments", ids, []string{"S-3", "S-1"})
	page, err = s.ListSessions(ctx, charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{charging.PaymentCaptured}})
	must(t, err, "ListSessions captured")
	if len(page.Items) != 1 || page.Items[0].ID != "S-2" {
		t.Fatalf("captured: got %d sessions, want S-2", len(page.Items))
	}
	checkEqual(t, "S-2 payment", page.Items[0].Payment, s2.Payment)
	_, err = s.ListSessions(ctx, charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{"lost"}})
	wantCode(t, err, charging.EINVALID, "an unknown payment status")

	// Updating the payment moves the session out of the queue.
	s3.Payment.Status, s3.Payment.Captured = charging.PaymentCaptured, "0.36"
	must(t, s.UpdateSession(ctx, s3), "UpdateSession S-3 captured")
	page, err = s.ListSessions(ctx, charging.SessionQuery{PaymentStatus: []charging.PaymentStatus{charging.PaymentAuthorized, charging.PaymentUnpaid}})
	must(t, err, "ListSessions after capture")
	if len(page.Items) != 1 || page.Items[0].ID != "S-1" {
		t.Fatalf("after capture: %d open payments, want S-1 only", len(page.Items))
	}
	got, err = s.GetSession(ctx, "S-4")
	must(t, err, "GetSession S-4")
	if got.Cost != nil || got.Payment != nil || got.Tariff != nil || got.TariffID != "" {
		t.Fatalf("a free session reads back with cost %+v, payment %+v, tariff %q", got.Cost, got.Payment, got.TariffID)
	}
}
