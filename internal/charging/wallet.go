package charging

import (
	"context"
	"math/big"
	"time"
)

// WalletEntryKind is what a wallet entry does.
type WalletEntryKind string

const (
	// WalletTopup: money the driver paid in (> 0).
	WalletTopup WalletEntryKind = "topup"
	// WalletGrant: credit the operator gave (> 0).
	WalletGrant WalletEntryKind = "grant"
	// WalletHold: an amount set aside before a session starts (< 0). It
	// lowers Available, not Balance, until a release or a debit settles it.
	WalletHold WalletEntryKind = "hold"
	// WalletRelease: a hold given back whole (> 0, the hold's amount,
	// which the store fills in). It changes no balance.
	WalletRelease WalletEntryKind = "release"
	// WalletDebit: the final cost of a session (< 0), taken from Balance;
	// it settles its hold too.
	WalletDebit WalletEntryKind = "debit"
	// WalletRefund: part of a debit given back (> 0).
	WalletRefund WalletEntryKind = "refund"
	// WalletAdjustment: the operator's correction (either sign, not 0).
	WalletAdjustment WalletEntryKind = "adjustment"
)

// Valid reports whether k is one of the kinds.
func (k WalletEntryKind) Valid() bool {
	switch k {
	case WalletTopup, WalletGrant, WalletHold, WalletRelease, WalletDebit, WalletRefund, WalletAdjustment:
		return true
	}
	return false
}

// WalletEntry is one line of a user's prepaid ledger in one currency.
// Amount is in the currency's minor units (cents for EUR), signed: credits
// are positive, debits negative. Entries are never changed or deleted.
//
// Holds, releases, debits and refunds name a hold by Reference: a hold's
// Reference is its own (unique), a release or a debit settles the hold
// with that Reference (once), a refund gives back part of the debit of
// that Reference.
type WalletEntry struct {
	ID        string          `json:"id"`
	UserID    string          `json:"userId"`
	Currency  string          `json:"currency"`
	Kind      WalletEntryKind `json:"kind"`
	Amount    int64           `json:"-"` // minor units; the API shows it as a decimal string
	SessionID string          `json:"sessionId,omitempty"`
	Reference string          `json:"reference,omitempty"`
	Note      string          `json:"note,omitempty"`
	CreatedBy string          `json:"createdBy,omitempty"` // who wrote it: "user:<email>", "apikey:<name>", "system"
	CreatedAt time.Time       `json:"createdAt"`
}

// Wallet is a user's prepaid balance in one currency, in minor units:
// Balance is what the entries add up to (holds aside), Held what open
// holds set aside, Available = Balance − Held, what a new hold may take.
// Balance may be below zero when a session cost more than its hold.
type Wallet struct {
	UserID    string
	Currency  string
	Balance   int64
	Held      int64
	Available int64
}

// MaxWalletNote is the longest note of a wallet entry, in bytes.
const MaxWalletNote = 500

// MaxWalletAmount bounds one entry's amount, in minor units (10^15: far
// beyond any wallet, well inside int64 for sums).
const MaxWalletAmount = 1_000_000_000_000_000

// WalletStore keeps wallets: an append-only ledger per user and currency.
type WalletStore interface {
	// AddWalletEntry appends e and returns the wallet after it, in one
	// atomic write: concurrent holds never take more than Available. The
	// store sets e.CreatedAt when zero, and e.ID when empty.
	//
	// Rules (each refusal writes nothing):
	//   - an entry with the ID of an existing one is a retry: the same
	//     entry (user, currency, kind, amount, reference) writes nothing
	//     and returns the wallet; different values are ECONFLICT.
	//   - the sign of Amount as WalletEntryKind says (EINVALID), at most
	//     MaxWalletAmount in size; Currency valid (EINVALID).
	//   - hold: needs a Reference (EINVALID); Available must cover it,
	//     else EPAYMENT ("wallet balance 5.00 EUR is below the 20.00 EUR
	//     needed to start"). The same hold again (same reference, user,
	//     currency and amount) writes nothing and returns the wallet; a
	//     different hold with a used reference is ECONFLICT.
	//   - release, debit: the Reference must name a hold of the same user
	//     and currency (ENOTFOUND). A release's Amount is set to the
	//     hold's. A debit may take more than the hold (Balance may go
	//     below zero). A hold is settled once: the same settlement again
	//     (release after release, debit of the same amount after debit)
	//     writes nothing and returns the wallet, so retries are safe;
	//     another settlement of a settled hold is ECONFLICT.
	//   - refund: the Reference must name a debited hold of the same user
	//     and currency (ENOTFOUND / ECONFLICT when not debited), and the
	//     refunds of one debit never add up to more than it (ECONFLICT).
	AddWalletEntry(ctx context.Context, e WalletEntry) (Wallet, error)
	// GetWalletHold returns the hold entry with the reference (ENOTFOUND).
	GetWalletHold(ctx context.Context, reference string) (WalletEntry, error)
	// GetWallet returns a user's wallet in a currency; a user without
	// entries in it has a zero wallet (no error).
	GetWallet(ctx context.Context, userID, currency string) (Wallet, error)
	// ListWalletEntries returns a user's entries, newest (CreatedAt, then
	// ID) first.
	ListWalletEntries(ctx context.Context, q WalletEntryQuery) (Page[WalletEntry], error)

	// SavePaymentMethod stores a saved card (inserts, or updates the one
	// with the same ID and user). A card ID another user has is ECONFLICT.
	SavePaymentMethod(ctx context.Context, m PaymentMethod) error
	// ListPaymentMethods returns a user's cards, newest first.
	ListPaymentMethods(ctx context.Context, userID string) ([]PaymentMethod, error)
	// DeletePaymentMethod deletes one of the user's cards; a card that is
	// not theirs is ENOTFOUND.
	DeletePaymentMethod(ctx context.Context, userID, id string) error
	// GetPaymentCustomer returns the user's customer id at a provider
	// ("stripe"); ENOTFOUND when there is none yet.
	GetPaymentCustomer(ctx context.Context, userID, provider string) (string, error)
	// SavePaymentCustomer records the user's customer id at a provider.
	// A user has one per provider: a different one is ECONFLICT (two
	// first cards racing; the caller reads the stored one and uses it).
	SavePaymentCustomer(ctx context.Context, userID, provider, customerID string) error
}

// WalletEntryQuery selects a user's wallet entries.
type WalletEntryQuery struct {
	UserID   string // required
	Currency string // "" matches every currency
	Cursor   string
	Limit    int // 0 means 100
}

// PaymentMethod is a card a user saved at a payment provider. ID is the
// provider's id (Stripe pm_...); Joule never sees the card number.
type PaymentMethod struct {
	ID         string    `json:"id"`
	UserID     string    `json:"userId"`
	Provider   string    `json:"provider"`   // "stripe"
	CustomerID string    `json:"customerId"` // the provider's customer (Stripe cus_...)
	Brand      string    `json:"brand"`      // visa, mastercard, ...
	Last4      string    `json:"last4"`
	ExpMonth   int       `json:"expMonth"`
	ExpYear    int       `json:"expYear"`
	CreatedAt  time.Time `json:"createdAt"`
}

// CheckWalletEntry returns an EINVALID *Error when e breaks a rule of its
// kind that needs no stored state (AddWalletEntry's first rule).
func CheckWalletEntry(e WalletEntry) error {
	if e.UserID == "" {
		return Errorf(EINVALID, "userId is required")
	}
	if !ValidCurrency(e.Currency) {
		return Errorf(EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", e.Currency)
	}
	if !e.Kind.Valid() {
		return Errorf(EINVALID, "kind must be topup, grant, hold, release, debit, refund or adjustment, got %q", e.Kind)
	}
	if e.Amount > MaxWalletAmount || e.Amount < -MaxWalletAmount {
		return Errorf(EINVALID, "amount is too large")
	}
	if len(e.Note) > MaxWalletNote {
		return Errorf(EINVALID, "note must be at most %d bytes", MaxWalletNote)
	}
	switch e.Kind {
	case WalletTopup, WalletGrant, WalletRefund:
		if e.Amount <= 0 {
			return Errorf(EINVALID, "amount of a %s must be above zero", e.Kind)
		}
	case WalletHold, WalletDebit:
		if e.Amount >= 0 {
			return Errorf(EINVALID, "amount of a %s must be below zero (it takes money)", e.Kind)
		}
	case WalletAdjustment:
		if e.Amount == 0 {
			return Errorf(EINVALID, "amount of an adjustment must not be zero")
		}
	}
	switch e.Kind {
	case WalletHold, WalletRelease, WalletDebit, WalletRefund:
		if e.Reference == "" {
			return Errorf(EINVALID, "reference is required for a %s", e.Kind)
		}
	}
	return nil
}

// MinorUnits converts d to minor units of currency: EINVALID when it has
// more fraction digits than the currency's (charging.CurrencyPlaces).
// field names the JSON field in the message.
func MinorUnits(field string, d Decimal, currency string) (int64, error) {
	places := CurrencyPlaces(currency)
	if _, err := ParseDecimal(string(d)); err != nil {
		return 0, Errorf(EINVALID, "%s: %s", field, ErrorMessage(err))
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	r := new(big.Rat).Mul(d.Rat(), new(big.Rat).SetInt(scale))
	if !r.IsInt() {
		return 0, Errorf(EINVALID, "%s must have at most %d decimal places for %s, got %s", field, places, currency, d)
	}
	n := r.Num()
	if !n.IsInt64() || n.Int64() > MaxWalletAmount || n.Int64() < -MaxWalletAmount {
		return 0, Errorf(EINVALID, "%s is too large", field)
	}
	return n.Int64(), nil
}

// FormatMinor renders minor units of currency as a decimal string with the
// currency's places: 1234 EUR is "12.34", -5 EUR "-0.05", 500 JPY "500".
func FormatMinor(amount int64, currency string) string {
	places := CurrencyPlaces(currency)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	return new(big.Rat).SetFrac(big.NewInt(amount), scale).FloatString(places)
}

// WalletView is a wallet as the API shows it: amounts as decimal strings
// with the currency's places.
type WalletView struct {
	UserID    string `json:"userId"`
	Currency  string `json:"currency"`
	Balance   string `json:"balance"`
	Held      string `json:"held"`
	Available string `json:"available"`
}

// View returns w as the API shows it.
func (w Wallet) View() WalletView {
	return WalletView{UserID: w.UserID, Currency: w.Currency, Balance: FormatMinor(w.Balance, w.Currency),
		Held: FormatMinor(w.Held, w.Currency), Available: FormatMinor(w.Available, w.Currency)}
}

// WalletEntryView is a wallet entry as the API shows it.
type WalletEntryView struct {
	WalletEntry
	Amount string `json:"amount"`
}

// View returns e as the API shows it.
func (e WalletEntry) View() WalletEntryView {
	return WalletEntryView{WalletEntry: e, Amount: FormatMinor(e.Amount, e.Currency)}
}
