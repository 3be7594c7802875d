package chargingtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Wallets and saved cards (charging.WalletStore).

func testWallet(t *testing.T, s charging.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"Ledger", testWalletLedger},
		{"Refunds", testWalletRefunds},
		{"Invalid", testWalletInvalid},
		{"List", testWalletList},
		{"ConcurrentHolds", testWalletConcurrentHolds},
		{"InUnit", testWalletInUnit},
		{"PaymentMethods", testPaymentMethods},
		{"PaymentCustomer", testPaymentCustomer},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

// walletIs checks a wallet's totals.
func walletIs(t *testing.T, what string, got charging.Wallet, userID, currency string, balance, held int64) {
	t.Helper()
	want := charging.Wallet{UserID: userID, Currency: currency, Balance: balance, Held: held, Available: balance - held}
	checkEqual(t, what, got, want)
}

// addEntry adds an entry that must succeed, returning the wallet after it.
func addEntry(t *testing.T, s charging.Tx, e charging.WalletEntry) charging.Wallet {
	t.Helper()
	w, err := s.AddWalletEntry(context.Background(), e)
	must(t, err, fmt.Sprintf("AddWalletEntry %s %d %s", e.Kind, e.Amount, e.Reference))
	return w
}

func entry(user string, kind charging.WalletEntryKind, amount int64, ref string) charging.WalletEntry {
	return charging.WalletEntry{UserID: user, Currency: "EUR", Kind: kind, Amount: amount, Reference: ref}
}

func countEntries(t *testing.T, s charging.Store, user string) int {
	t.Helper()
	p, err := s.ListWalletEntries(context.Background(), charging.WalletEntryQuery{UserID: user, Limit: 1000})
	must(t, err, "ListWalletEntries")
	return len(p.Items)
}

func testWalletLedger(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const u = "w-ledger"
	w, err := s.GetWallet(ctx, u, "EUR")
	must(t, err, "GetWallet of a user without entries")
	walletIs(t, "a new wallet", w, u, "EUR", 0, 0)

	steps := []struct {
		e             charging.WalletEntry
		code          string // "" for success
		balance, held int64  // the wallet after the step (success or not)
	}{
		{entry(u, charging.WalletTopup, 2000, ""), "", 2000, 0},
		{entry(u, charging.WalletHold, -1500, "h1"), "", 2000, 1500},
		{entry(u, charging.WalletHold, -600, "h2"), charging.EPAYMENT, 2000, 1500}, // 5.00 available
		{entry(u, charging.WalletHold, -1500, "h1"), "", 2000, 1500},               // a retried hold: nothing new
		{entry(u, charging.WalletHold, -1000, "h1"), charging.ECONFLICT, 2000, 1500},
		{entry(u, charging.WalletDebit, -1234, "h1"), "", 766, 0}, // the hold is freed
		{entry(u, charging.WalletDebit, -1234, "h1"), "", 766, 0}, // a retried debit: nothing new
		{entry(u, charging.WalletDebit, -1000, "h1"), charging.ECONFLICT, 766, 0},
		{entry(u, charging.WalletRelease, 0, "h1"), charging.ECONFLICT, 766, 0},
		{entry(u, charging.WalletRelease, 0, "nope"), charging.ENOTFOUND, 766, 0},
		{entry(u, charging.WalletHold, -500, "h3"), "", 766, 500},
		{entry(u, charging.WalletRelease, 0, "h3"), "", 766, 0},
		{entry(u, charging.WalletRelease, 0, "h3"), "", 766, 0},
		{entry(u, charging.WalletDebit, -100, "h3"), charging.ECONFLICT, 766, 0},
		// A session that cost more than its hold takes the balance below zero.
		{entry(u, charging.WalletHold, -700, "h4"), "", 766, 700},
		{entry(u, charging.WalletDebit, -900, "h4"), "", -134, 0},
		{entry(u, charging.WalletHold, -1, "h5"), charging.EPAYMENT, -134, 0},
		{entry(u, charging.WalletGrant, 134, ""), "", 0, 0},
		{entry(u, charging.WalletAdjustment, -50, ""), "", -50, 0},
		{entry(u, charging.WalletAdjustment, 1050, ""), "", 1000, 0},
		// Another user cannot settle this user's hold, nor see it exists.
		{entry("w-other", charging.WalletHold, -100, "h6"), charging.EPAYMENT, 1000, 0},
		{entry(u, charging.WalletHold, -100, "h6"), "", 1000, 100},
		{entry("w-other", charging.WalletRelease, 0, "h6"), charging.ENOTFOUND, 1000, 100},
		{entry("w-other", charging.WalletHold, -100, "h6"), charging.ECONFLICT, 1000, 100},
	}
	for i, st := range steps {
		what := fmt.Sprintf("step %d: %s %d %s", i, st.e.Kind, st.e.Amount, st.e.Reference)
		w, err := s.AddWalletEntry(ctx, st.e)
		if st.code == "" {
			must(t, err, what)
			walletIs(t, what, w, u, "EUR", st.balance, st.held)
		} else {
			wantCode(t, err, st.code, what)
		}
		got, err := s.GetWallet(ctx, u, "EUR")
		must(t, err, what+": GetWallet")
		walletIs(t, what+": GetWallet", got, u, "EUR", st.balance, st.held)
	}
	w = addEntry(t, s, entry(u, charging.WalletHold, -600, "h2-again"))
	walletIs(t, "a hold of 6.00 out of 9.00", w, u, "EUR", 1000, 700)
	var e *charging.Error
	_, err = s.AddWalletEntry(ctx, entry(u, charging.WalletHold, -1000, "h7"))
	if !errors.As(err, &e) || e.Code != charging.EPAYMENT || e.Message != "wallet balance 3.00 EUR is below the 10.00 EUR needed to start" {
		t.Errorf("hold of 10.00 out of 3.00: %v, want EPAYMENT \"wallet balance 3.00 EUR is below the 10.00 EUR needed to start\"", err)
	}

	h, err := s.GetWalletHold(ctx, "h4")
	must(t, err, "GetWalletHold h4")
	if h.Kind != charging.WalletHold || h.Amount != -700 || h.UserID != u || h.Currency != "EUR" || h.Reference != "h4" {
		t.Errorf("GetWalletHold h4 = %+v, want u's hold of -700", h)
	}
	_, err = s.GetWalletHold(ctx, "nope")
	wantCode(t, err, charging.ENOTFOUND, "GetWalletHold of an unknown reference")

	// Entries as written: a release carries its hold's amount.
	p, err := s.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: u})
	must(t, err, "ListWalletEntries")
	var kinds []string
	for _, x := range p.Items {
		kinds = append(kinds, fmt.Sprintf("%s %d %s", x.Kind, x.Amount, x.Reference))
	}
	want := []string{"hold -600 h2-again", "hold -100 h6", "adjustment 1050 ", "adjustment -50 ", "grant 134 ",
		"debit -900 h4", "hold -700 h4", "release 500 h3", "hold -500 h3", "debit -1234 h1", "hold -1500 h1", "topup 2000 "}
	checkEqual(t, "entries, newest first", kinds, want)
	for _, x := range p.Items {
		if x.ID == "" || x.CreatedAt.IsZero() || x.CreatedAt.Location() != time.UTC || x.UserID != u || x.Currency != "EUR" {
			t.Errorf("entry %+v: want an id, a UTC time, the user and EUR", x)
		}
	}

	// Currencies are separate wallets.
	w, err = s.GetWallet(ctx, u, "CHF")
	must(t, err, "GetWallet CHF")
	walletIs(t, "CHF wallet", w, u, "CHF", 0, 0)
	_, err = s.GetWallet(ctx, u, "euro")
	wantCode(t, err, charging.EINVALID, "GetWallet of an invalid currency")
}

func testWalletRefunds(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const u = "w-refund"
	addEntry(t, s, entry(u, charging.WalletTopup, 5000, ""))
	addEntry(t, s, entry(u, charging.WalletHold, -3000, "r1"))
	_, err := s.AddWalletEntry(ctx, entry(u, charging.WalletRefund, 100, "r1"))
	wantCode(t, err, charging.ECONFLICT, "refund of a hold not debited")
	addEntry(t, s, entry(u, charging.WalletDebit, -2500, "r1"))
	w := addEntry(t, s, entry(u, charging.WalletRefund, 1000, "r1"))
	walletIs(t, "after a refund of 10.00", w, u, "EUR", 3500, 0)
	w = addEntry(t, s, entry(u, charging.WalletRefund, 1500, "r1"))
	walletIs(t, "after refunds of 25.00 in all", w, u, "EUR", 5000, 0)
	_, err = s.AddWalletEntry(ctx, entry(u, charging.WalletRefund, 1, "r1"))
	wantCode(t, err, charging.ECONFLICT, "a refund beyond the debit")
	_, err = s.AddWalletEntry(ctx, entry(u, charging.WalletRefund, 1, "r-none"))
	wantCode(t, err, charging.ENOTFOUND, "refund of an unknown hold")
	_, err = s.AddWalletEntry(ctx, entry("w-else", charging.WalletRefund, 1, "r1"))
	wantCode(t, err, charging.ENOTFOUND, "refund of another user's hold")
	w, err = s.GetWallet(ctx, u, "EUR")
	must(t, err, "GetWallet")
	walletIs(t, "after refused refunds", w, u, "EUR", 5000, 0)
}

func testWalletInvalid(t *testing.T, s charging.Store) {
	ctx := context.Background()
	for _, e := range []charging.WalletEntry{
		entry("w-inv", charging.WalletTopup, 0, ""),
		entry("w-inv", charging.WalletTopup, -1, ""),
		entry("w-inv", charging.WalletGrant, -1, ""),
		entry("w-inv", charging.WalletRefund, -1, "x"),
		entry("w-inv", charging.WalletHold, 100, "x"),
		entry("w-inv", charging.WalletHold, -100, ""),
		entry("w-inv", charging.WalletDebit, 100, "x"),
		entry("w-inv", charging.WalletAdjustment, 0, ""),
		entry("w-inv", "gift", 100, ""),
		entry("", charging.WalletTopup, 100, ""),
		{UserID: "w-inv", Currency: "eur", Kind: charging.WalletTopup, Amount: 100},
		entry("w-inv", charging.WalletTopup, charging.MaxWalletAmount+1, ""),
	} {
		_, err := s.AddWalletEntry(ctx, e)
		wantCode(t, err, charging.EINVALID, fmt.Sprintf("AddWalletEntry %+v", e))
	}
	if n := countEntries(t, s, "w-inv"); n != 0 {
		t.Errorf("%d entries after refused ones, want 0", n)
	}
}

func testWalletList(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const u = "w-list"
	for i := range 5 {
		e := entry(u, charging.WalletTopup, int64(100+i), "")
		e.ID = fmt.Sprintf("we-%d", i)
		e.CreatedAt = at(time.Duration(i/2) * time.Second) // two entries share a time: the id breaks the tie
		e.Note, e.SessionID, e.CreatedBy = "note", "S-1", "user:op@example.com"
		if i == 4 {
			e.Currency = "CHF"
		}
		addEntry(t, s, e)
	}
	addEntry(t, s, entry("w-list-other", charging.WalletTopup, 1, ""))
	_, err := s.AddWalletEntry(ctx, charging.WalletEntry{ID: "we-0", UserID: u, Currency: "EUR", Kind: charging.WalletTopup, Amount: 1})
	wantCode(t, err, charging.ECONFLICT, "an entry with a used id and other values")
	// The same entry again is a retry: nothing new.
	again := entry(u, charging.WalletTopup, 100, "")
	again.ID = "we-0"
	w := addEntry(t, s, again)
	walletIs(t, "after a retried entry", w, u, "EUR", 100+101+102+103, 0)

	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := s.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: u, Cursor: cursor, Limit: 2})
		must(t, err, "ListWalletEntries")
		for _, e := range p.Items {
			ids = append(ids, e.ID)
		}
		if p.NextCursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("ListWalletEntries does not end")
		}
		cursor = p.NextCursor
	}
	checkEqual(t, "entries newest first, in pages of 2", ids, []string{"we-4", "we-3", "we-2", "we-1", "we-0"})

	p, err := s.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: u, Currency: "CHF"})
	must(t, err, "ListWalletEntries CHF")
	want := charging.WalletEntry{ID: "we-4", UserID: u, Currency: "CHF", Kind: charging.WalletTopup, Amount: 104,
		SessionID: "S-1", Note: "note", CreatedBy: "user:op@example.com", CreatedAt: utc(at(2 * time.Second))}
	checkEqual(t, "the CHF entries", p.Items, []charging.WalletEntry{want})

	p, err = s.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: "w-nobody"})
	must(t, err, "ListWalletEntries of a user without entries")
	if p.Items == nil || len(p.Items) != 0 || p.NextCursor != "" {
		t.Errorf("entries of a user without any = %+v, want an empty list", p)
	}
	_, err = s.ListWalletEntries(ctx, charging.WalletEntryQuery{UserID: u, Cursor: "garbage"})
	wantCode(t, err, charging.EINVALID, "ListWalletEntries with a bad cursor")
}

// testWalletConcurrentHolds: holds racing for a balance that covers one:
// exactly one wins, on any store.
func testWalletConcurrentHolds(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const u, n = "w-race", 8
	for round := range 3 {
		addEntry(t, s, entry(u, charging.WalletTopup, 1000, ""))
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.AddWalletEntry(ctx, entry(u, charging.WalletHold, -1000, fmt.Sprintf("race-%d-%d", round, i)))
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch charging.ErrorCode(err) {
			case "":
				won++
			case charging.EPAYMENT:
			default:
				t.Errorf("round %d hold %d: %v, want success or EPAYMENT", round, i, err)
			}
		}
		if won != 1 {
			t.Errorf("round %d: %d of %d racing holds won, want exactly 1", round, won, n)
		}
		w, err := s.GetWallet(ctx, u, "EUR")
		must(t, err, "GetWallet")
		walletIs(t, fmt.Sprintf("round %d", round), w, u, "EUR", 1000*int64(round+1), 1000*int64(round+1))
	}
}

// testWalletInUnit: an entry in a unit of work that fails is not kept,
// and the wallet's totals with it.
func testWalletInUnit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	const u = "w-unit"
	addEntry(t, s, entry(u, charging.WalletTopup, 1000, ""))
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx charging.Tx) error {
		w := addEntry(t, tx, entry(u, charging.WalletHold, -800, "unit-1"))
		walletIs(t, "inside the unit", w, u, "EUR", 1000, 800)
		// A refused entry inside the unit leaves the unit usable.
		if _, err := tx.AddWalletEntry(ctx, entry(u, charging.WalletHold, -800, "unit-2")); charging.ErrorCode(err) != charging.EPAYMENT {
			t.Errorf("second hold in the unit: %v, want EPAYMENT", err)
		}
		got, err := tx.GetWallet(ctx, u, "EUR")
		must(t, err, "GetWallet in the unit")
		walletIs(t, "the unit reads its own writes", got, u, "EUR", 1000, 800)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want boom", err)
	}
	w, err := s.GetWallet(ctx, u, "EUR")
	must(t, err, "GetWallet")
	walletIs(t, "after the failed unit", w, u, "EUR", 1000, 0)
	if n := countEntries(t, s, u); n != 1 {
		t.Errorf("%d entries after the failed unit, want 1", n)
	}
	must(t, s.Update(ctx, func(tx charging.Tx) error {
		_, err := tx.AddWalletEntry(ctx, entry(u, charging.WalletHold, -800, "unit-3"))
		return err
	}), "Update with a hold")
	w, err = s.GetWallet(ctx, u, "EUR")
	must(t, err, "GetWallet")
	walletIs(t, "after the unit", w, u, "EUR", 1000, 800)
}

func testPaymentMethods(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, user("pm-1", charging.RoleDriver), nil, nil), "CreateUser pm-1")
	must(t, s.CreateUser(ctx, user("pm-2", charging.RoleDriver), nil, nil), "CreateUser pm-2")
	card := func(id, userID string, d time.Duration) charging.PaymentMethod {
		return charging.PaymentMethod{ID: id, UserID: userID, Provider: "stripe", CustomerID: "cus_" + userID,
			Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2034, CreatedAt: at(d)}
	}
	norm := func(m charging.PaymentMethod) charging.PaymentMethod { m.CreatedAt = utc(m.CreatedAt); return m }
	list := func(userID string) []charging.PaymentMethod {
		t.Helper()
		ms, err := s.ListPaymentMethods(ctx, userID)
		must(t, err, "ListPaymentMethods "+userID)
		return ms
	}
	checkEqual(t, "no cards", list("pm-1"), []charging.PaymentMethod{})
	a, b := card("pm_a", "pm-1", 0), card("pm_b", "pm-1", time.Second)
	must(t, s.SavePaymentMethod(ctx, a), "SavePaymentMethod a")
	must(t, s.SavePaymentMethod(ctx, b), "SavePaymentMethod b")
	checkEqual(t, "cards newest first", list("pm-1"), []charging.PaymentMethod{norm(b), norm(a)})

	a.ExpYear, a.Last4 = 2035, "1881"
	must(t, s.SavePaymentMethod(ctx, a), "SavePaymentMethod a again")
	checkEqual(t, "card a updated", list("pm-1")[1], norm(a))

	wantCode(t, s.SavePaymentMethod(ctx, card("pm_a", "pm-2", 0)), charging.ECONFLICT, "SavePaymentMethod of another user's card id")
	wantCode(t, s.SavePaymentMethod(ctx, card("pm_c", "pm-nobody", 0)), charging.ENOTFOUND, "SavePaymentMethod for an unknown user")
	wantCode(t, s.DeletePaymentMethod(ctx, "pm-2", "pm_a"), charging.ENOTFOUND, "DeletePaymentMethod of another user's card")
	must(t, s.DeletePaymentMethod(ctx, "pm-1", "pm_a"), "DeletePaymentMethod a")
	wantCode(t, s.DeletePaymentMethod(ctx, "pm-1", "pm_a"), charging.ENOTFOUND, "DeletePaymentMethod a again")
	checkEqual(t, "cards after a delete", list("pm-1"), []charging.PaymentMethod{norm(b)})
	checkEqual(t, "pm-2's cards", list("pm-2"), []charging.PaymentMethod{})

	// Cards go with their user.
	must(t, s.DeleteUser(ctx, "pm-1"), "DeleteUser pm-1")
	checkEqual(t, "cards of a deleted user", list("pm-1"), []charging.PaymentMethod{})
}

func testPaymentCustomer(t *testing.T, s charging.Store) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, user("pc-1", charging.RoleDriver), nil, nil), "CreateUser pc-1")
	_, err := s.GetPaymentCustomer(ctx, "pc-1", "stripe")
	wantCode(t, err, charging.ENOTFOUND, "GetPaymentCustomer before any")
	must(t, s.SavePaymentCustomer(ctx, "pc-1", "stripe", "cus_1"), "SavePaymentCustomer")
	must(t, s.SavePaymentCustomer(ctx, "pc-1", "stripe", "cus_1"), "SavePaymentCustomer again")
	wantCode(t, s.SavePaymentCustomer(ctx, "pc-1", "stripe", "cus_2"), charging.ECONFLICT, "SavePaymentCustomer of another customer")
	wantCode(t, s.SavePaymentCustomer(ctx, "pc-nobody", "stripe", "cus_3"), charging.ENOTFOUND, "SavePaymentCustomer for an unknown user")
	id, err := s.GetPaymentCustomer(ctx, "pc-1", "stripe")
	must(t, err, "GetPaymentCustomer")
	if id != "cus_1" {
		t.Errorf("customer = %q, want cus_1 (the first one)", id)
	}
	_, err = s.GetPaymentCustomer(ctx, "pc-1", "other")
	wantCode(t, err, charging.ENOTFOUND, "GetPaymentCustomer at another provider")
}
