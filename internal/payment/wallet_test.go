package payment_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/payment"
	"github.com/joule-ev/joule/internal/sqlite"
)

// openStore opens a SQLite store in a temp dir with one driver, "u-1".
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := charging.User{ID: "u-1", Email: "driver@example.com", Role: charging.RoleDriver, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateUser(context.Background(), u, nil, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := charging.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// wallet returns u-1's EUR wallet as "balance/held".
func walletOf(t *testing.T, st charging.Store) string {
	t.Helper()
	w, err := st.GetWallet(context.Background(), "u-1", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return charging.FormatMinor(w.Balance, "EUR") + "/" + charging.FormatMinor(w.Held, "EUR")
}

func TestWalletProvider(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	w := payment.NewWallet(st)
	if _, err := st.AddWalletEntry(ctx, charging.WalletEntry{UserID: "u-1", Currency: "EUR", Kind: charging.WalletTopup, Amount: 3000}); err != nil {
		t.Fatal(err)
	}
	hold := func(session, amount string) payment.Hold {
		return payment.Hold{UserID: "u-1", SessionID: session, Currency: "EUR", Amount: charging.Decimal(amount)}
	}
	type step struct {
		name   string
		do     func() error
		code   string // "" for success
		wallet string // balance/held after the step
	}
	authorize := func(h payment.Hold, wantRef string) func() error {
		return func() error {
			r, err := w.Authorize(ctx, h)
			if err == nil && r != wantRef {
				t.Errorf("Authorize(%s) = %q, want %q", h.SessionID, r, wantRef)
			}
			return err
		}
	}
	steps := []step{
		{"hold 20.00", authorize(hold("S-1", "20.00"), "wallet-S-1"), "", "30.00/20.00"},
		{"the same hold again", authorize(hold("S-1", "20.00"), "wallet-S-1"), "", "30.00/20.00"},
		{"a hold beyond the available 10.00", authorize(hold("S-2", "20.00"), ""), charging.EPAYMENT, "30.00/20.00"},
		{"capture 12.34", func() error { return w.Capture(ctx, "wallet-S-1", "12.34", "EUR") }, "", "17.66/0.00"},
		{"the same capture again", func() error { return w.Capture(ctx, "wallet-S-1", "12.34", "EUR") }, "", "17.66/0.00"},
		{"another capture", func() error { return w.Capture(ctx, "wallet-S-1", "13", "EUR") }, charging.ECONFLICT, "17.66/0.00"},
		{"release after the capture", func() error { return w.Release(ctx, "wallet-S-1") }, charging.ECONFLICT, "17.66/0.00"},
		{"refund 2.34", func() error { return w.Refund(ctx, "wallet-S-1", "2.34", "EUR") }, "", "20.00/0.00"},
		{"the same refund again", func() error { return w.Refund(ctx, "wallet-S-1", "2.34", "EUR") }, "", "20.00/0.00"},
		{"a refund beyond the debit", func() error { return w.Refund(ctx, "wallet-S-1", "10.01", "EUR") }, charging.ECONFLICT, "20.00/0.00"},
		{"refund the rest", func() error { return w.Refund(ctx, "wallet-S-1", "10.00", "EUR") }, "", "30.00/0.00"},
		{"hold 5.00 by key", authorize(payment.Hold{UserID: "u-1", SessionID: "S-3", Currency: "EUR", Amount: "5", IdempotencyKey: "k-3"}, "wallet-k-3"), "", "30.00/5.00"},
		{"capture 0 releases", func() error { return w.Capture(ctx, "wallet-k-3", "0.00", "EUR") }, "", "30.00/0.00"},
		{"release again", func() error { return w.Release(ctx, "wallet-k-3") }, "", "30.00/0.00"},
		{"hold 5.00", authorize(hold("S-4", "5.00"), "wallet-S-4"), "", "30.00/5.00"},
		{"capture beyond the hold", func() error { return w.Capture(ctx, "wallet-S-4", "37.50", "EUR") }, "", "-7.50/0.00"},
		{"a hold with the balance below zero", authorize(hold("S-5", "0.01"), ""), charging.EPAYMENT, "-7.50/0.00"},
		{"an amount with 3 places", authorize(hold("S-6", "1.005"), ""), charging.EINVALID, "-7.50/0.00"},
		{"a zero hold", authorize(hold("S-6", "0"), ""), charging.EINVALID, "-7.50/0.00"},
		{"a hold without a session", authorize(hold("", "1"), ""), charging.EINVALID, "-7.50/0.00"},
		{"a capture in another currency", func() error { return w.Capture(ctx, "wallet-S-4", "1", "CHF") }, charging.EINVALID, "-7.50/0.00"},
		{"a negative capture", func() error { return w.Capture(ctx, "wallet-S-4", "-1", "EUR") }, charging.EINVALID, "-7.50/0.00"},
		{"a capture of an unknown hold", func() error { return w.Capture(ctx, "wallet-nope", "1", "EUR") }, charging.ENOTFOUND, "-7.50/0.00"},
	}
	for _, s := range steps {
		err := s.do()
		wantCode(t, err, s.code, s.name)
		if got := walletOf(t, st); got != s.wallet {
			t.Errorf("%s: wallet %s, want %s", s.name, got, s.wallet)
		}
	}
	_, err := w.Authorize(ctx, hold("S-7", "1"))
	if charging.ErrorMessage(err) != "wallet balance -7.50 EUR is below the 1.00 EUR needed to start" {
		t.Errorf("refusal = %q, want it to say the balance and the amount", charging.ErrorMessage(err))
	}
	if payment.Retryable(err) {
		t.Errorf("Retryable(%v) = true, want false for a refusal", err)
	}
	if w.Name() != "wallet" {
		t.Errorf("Name() = %q", w.Name())
	}
}

// TestWalletProviderConcurrentRetries: a capture retried at once from
// several goroutines debits once.
func TestWalletProviderConcurrentRetries(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	w := payment.NewWallet(st)
	if _, err := st.AddWalletEntry(ctx, charging.WalletEntry{UserID: "u-1", Currency: "EUR", Kind: charging.WalletTopup, Amount: 5000}); err != nil {
		t.Fatal(err)
	}
	ref, err := w.Authorize(ctx, payment.Hold{UserID: "u-1", SessionID: "S-1", Currency: "EUR", Amount: "40"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Capture(ctx, ref, "25.50", "EUR")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("capture %d: %v", i, err)
		}
	}
	if got := walletOf(t, st); got != "24.50/0.00" {
		t.Errorf("wallet %s after 6 concurrent captures of 25.50, want 24.50/0.00 (one debit)", got)
	}
	p, err := st.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 {
		t.Errorf("%d entries, want 3 (topup, hold, one debit)", len(p.Items))
	}
}
