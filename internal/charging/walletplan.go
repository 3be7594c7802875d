package charging

// WalletState is what a store reads, in the write's transaction, before
// it adds an entry: the wallet (zero when new), and for an entry with a
// Reference the hold of that reference, its settlement (release or debit)
// and the sum of its refunds.
type WalletState struct {
	Wallet   Wallet
	Existing *WalletEntry // the entry with e.ID, when there is one
	Hold     *WalletEntry // nil: no hold has the reference
	Settled  *WalletEntry // nil: the hold is open
	Refunded int64        // the refunds of the hold's debit, added up (> 0)
}

// PlanWalletEntry applies AddWalletEntry's rules (WalletStore) to e: it
// returns the entry to write (nil when e repeats one already written,
// which writes nothing) and the wallet after it, or the refusal. Both
// stores use it, so that the rules are written once; e has passed
// CheckWalletEntry.
func PlanWalletEntry(st WalletState, e WalletEntry) (*WalletEntry, Wallet, error) {
	w := st.Wallet
	w.UserID, w.Currency = e.UserID, e.Currency
	w.Available = w.Balance - w.Held
	if x := st.Existing; x != nil {
		if x.UserID == e.UserID && x.Currency == e.Currency && x.Kind == e.Kind && x.Reference == e.Reference &&
			(x.Amount == e.Amount || e.Kind == WalletRelease) {
			return nil, w, nil // a retry
		}
		return nil, w, Errorf(ECONFLICT, "wallet entry %s exists with other values", e.ID)
	}
	hold := st.Hold
	if hold != nil && (hold.UserID != e.UserID || hold.Currency != e.Currency) && e.Kind != WalletHold {
		hold = nil // another user's or currency's: not found, and not said to exist
	}
	switch e.Kind {
	case WalletHold:
		if h := st.Hold; h != nil {
			if h.UserID == e.UserID && h.Currency == e.Currency && h.Amount == e.Amount {
				return nil, w, nil
			}
			return nil, w, Errorf(ECONFLICT, "wallet hold %s exists with other values", e.Reference)
		}
		if w.Available < -e.Amount {
			return nil, w, Errorf(EPAYMENT, "wallet balance %s %s is below the %s %s needed to start",
				FormatMinor(w.Available, e.Currency), e.Currency, FormatMinor(-e.Amount, e.Currency), e.Currency)
		}
		w.Held += -e.Amount
	case WalletRelease, WalletDebit:
		if hold == nil {
			return nil, w, Errorf(ENOTFOUND, "wallet hold %s not found", e.Reference)
		}
		if s := st.Settled; s != nil {
			if s.Kind == e.Kind && (e.Kind == WalletRelease || s.Amount == e.Amount) {
				return nil, w, nil
			}
			if s.Kind == WalletDebit {
				return nil, w, Errorf(ECONFLICT, "wallet hold %s was already debited %s %s", e.Reference, FormatMinor(-s.Amount, e.Currency), e.Currency)
			}
			return nil, w, Errorf(ECONFLICT, "wallet hold %s was already released", e.Reference)
		}
		w.Held -= -hold.Amount
		if e.Kind == WalletRelease {
			e.Amount = -hold.Amount
		} else {
			w.Balance += e.Amount
		}
	case WalletRefund:
		if hold == nil {
			return nil, w, Errorf(ENOTFOUND, "wallet hold %s not found", e.Reference)
		}
		if st.Settled == nil || st.Settled.Kind != WalletDebit {
			return nil, w, Errorf(ECONFLICT, "wallet hold %s was not debited: there is nothing to refund", e.Reference)
		}
		if debited := -st.Settled.Amount; st.Refunded+e.Amount > debited {
			return nil, w, Errorf(ECONFLICT, "refunds of wallet hold %s would add up to more than its debit of %s %s (%s %s refunded so far)",
				e.Reference, FormatMinor(debited, e.Currency), e.Currency, FormatMinor(st.Refunded, e.Currency), e.Currency)
		}
		w.Balance += e.Amount
	default: // topup, grant, adjustment
		w.Balance += e.Amount
	}
	w.Available = w.Balance - w.Held
	return &e, w, nil
}
