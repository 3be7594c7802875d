package payment_test

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/payment"
)

func TestRouterWalletOnly(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	saveCard(t, st, "pm_card_visa") // a card saved while Stripe was configured
	r := payment.NewRouter(st, nil)
	p, err := r.For(ctx, "u-1")
	if err != nil || p.Name() != "wallet" {
		t.Errorf("For = %v, %v; want the wallet when Stripe is not configured", p, err)
	}
	if _, ok := r.Provider("stripe"); ok {
		t.Error(`Provider("stripe") found without Stripe`)
	}
	if p, ok := r.Provider("wallet"); !ok || p.Name() != "wallet" {
		t.Error(`Provider("wallet") not found`)
	}
	if r.CardsEnabled() {
		t.Error("CardsEnabled without Stripe")
	}
	_, err = r.SaveCard(ctx, "u-1", "driver@example.com", "pm_card_visa")
	wantCode(t, err, charging.ECONFLICT, "SaveCard without Stripe")
	wantCode(t, r.DeleteCard(ctx, "u-2", "pm_card_visa"), charging.ENOTFOUND, "DeleteCard of another user's card")
	if err := r.DeleteCard(ctx, "u-1", "pm_card_visa"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, r.DeleteCard(ctx, "u-1", "pm_card_visa"), charging.ENOTFOUND, "DeleteCard again")
}

func TestRouterStripe(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := newStripeProxy(t)
	r := payment.NewRouter(st, newStripe(t, p.URL, st))
	got, err := r.For(ctx, "u-1")
	if err != nil || got.Name() != "wallet" {
		t.Errorf("For a user without a card = %v, %v; want the wallet", got, err)
	}
	if _, err := r.SaveCard(ctx, "u-1", "driver@example.com", "pm_card_visa"); err != nil {
		t.Fatal(err)
	}
	got, err = r.For(ctx, "u-1")
	if err != nil || got.Name() != "stripe" {
		t.Errorf("For a user with a card = %v, %v; want stripe", got, err)
	}
	if p, ok := r.Provider("stripe"); !ok || p.Name() != "stripe" {
		t.Error(`Provider("stripe") not found`)
	}
	if err := r.DeleteCard(ctx, "u-1", "pm_card_visa"); err != nil {
		t.Fatal(err)
	}
	if n := len(p.requests("/v1/payment_methods/pm_card_visa/detach")); n != 1 {
		t.Errorf("%d detach requests, want 1", n)
	}
	got, err = r.For(ctx, "u-1")
	if err != nil || got.Name() != "wallet" {
		t.Errorf("For after the card was deleted = %v, %v; want the wallet", got, err)
	}
}
