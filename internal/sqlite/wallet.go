package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Wallets: an append-only ledger (wallet_entries) and each wallet's
// running totals (wallets), written together. The rules are
// charging.PlanWalletEntry's; AddWalletEntry reads what it needs in the
// write transaction, and writes run one at a time (the committer), so two
// holds racing for one balance are decided one after the other.

const walletEntryColumns = `id, user_id, currency, kind, amount, session_id, reference, note, created_by, created_at`

func scanWalletEntry(row interface{ Scan(...any) error }) (charging.WalletEntry, error) {
	var e charging.WalletEntry
	var created int64
	err := row.Scan(&e.ID, &e.UserID, &e.Currency, &e.Kind, &e.Amount, &e.SessionID, &e.Reference, &e.Note, &e.CreatedBy, &created)
	e.CreatedAt = fromMicro(created)
	return e, err
}

// entryID returns a new random entry id ("we_" and 20 hex digits).
func entryID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "we_" + hex.EncodeToString(b[:])
}

// AddWalletEntry appends an entry and returns the wallet after it.
func (s *Store) AddWalletEntry(ctx context.Context, e charging.WalletEntry) (charging.Wallet, error) {
	op := fmt.Sprintf("add wallet entry (%s %s)", e.Kind, e.UserID)
	if err := charging.CheckWalletEntry(e); err != nil {
		return charging.Wallet{}, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if e.ID == "" {
		e.ID = entryID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	var out charging.Wallet
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		st, err := walletState(ctx, tx, e)
		if err != nil {
			return err
		}
		add, w, err := charging.PlanWalletEntry(st, e)
		out = w
		if err != nil || add == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO wallet_entries (`+walletEntryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			add.ID, add.UserID, add.Currency, add.Kind, add.Amount, add.SessionID, add.Reference, add.Note, add.CreatedBy, toMicro(add.CreatedAt))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO wallets (user_id, currency, balance, held) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, currency) DO UPDATE SET balance = excluded.balance, held = excluded.held`,
			w.UserID, w.Currency, w.Balance, w.Held)
		return err
	})
	if err != nil {
		return charging.Wallet{}, err
	}
	return out, nil
}

// walletState reads what PlanWalletEntry needs about e.
func walletState(ctx context.Context, q querier, e charging.WalletEntry) (charging.WalletState, error) {
	var st charging.WalletState
	var err error
	if st.Wallet, err = readWallet(ctx, q, e.UserID, e.Currency); err != nil {
		return st, err
	}
	x, err := scanWalletEntry(q.QueryRowContext(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries WHERE id = ?`, e.ID))
	switch {
	case err == nil:
		st.Existing = &x
	case !errors.Is(err, sql.ErrNoRows):
		return st, err
	}
	if e.Reference == "" {
		return st, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries
		WHERE reference = ? AND kind IN ('hold', 'release', 'debit', 'refund')`, e.Reference)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		x, err := scanWalletEntry(rows)
		if err != nil {
			return st, err
		}
		switch x.Kind {
		case charging.WalletHold:
			st.Hold = &x
		case charging.WalletRelease, charging.WalletDebit:
			st.Settled = &x
		case charging.WalletRefund:
			st.Refunded += x.Amount
		}
	}
	return st, rows.Err()
}

// GetWalletHold returns the hold with the reference.
func (s *Store) GetWalletHold(ctx context.Context, reference string) (charging.WalletEntry, error) {
	e, err := scanWalletEntry(s.rd().QueryRowContext(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries
		WHERE reference = ? AND kind = 'hold'`, reference))
	if errors.Is(err, sql.ErrNoRows) {
		err = charging.Errorf(charging.ENOTFOUND, "wallet hold %s not found", reference)
	}
	if err != nil {
		return charging.WalletEntry{}, fmt.Errorf("sqlite: get wallet hold: %w", err)
	}
	return e, nil
}

func readWallet(ctx context.Context, q querier, userID, currency string) (charging.Wallet, error) {
	w := charging.Wallet{UserID: userID, Currency: currency}
	err := q.QueryRowContext(ctx, `SELECT balance, held FROM wallets WHERE user_id = ? AND currency = ?`, userID, currency).
		Scan(&w.Balance, &w.Held)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return w, err
	}
	w.Available = w.Balance - w.Held
	return w, nil
}

// GetWallet returns a user's wallet in a currency (zero when it has no entries).
func (s *Store) GetWallet(ctx context.Context, userID, currency string) (charging.Wallet, error) {
	if !charging.ValidCurrency(currency) {
		return charging.Wallet{}, fmt.Errorf("sqlite: get wallet: %w", charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", currency))
	}
	w, err := readWallet(ctx, s.rd(), userID, currency)
	if err != nil {
		return charging.Wallet{}, fmt.Errorf("sqlite: get wallet of %s: %w", userID, err)
	}
	return w, nil
}

// ListWalletEntries returns a user's entries, newest first: keyset pages
// on (created_at, id), the index wallet_entries_user.
func (s *Store) ListWalletEntries(ctx context.Context, q charging.WalletEntryQuery) (charging.Page[charging.WalletEntry], error) {
	var page charging.Page[charging.WalletEntry]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list wallet entries: %w", err)
	}
	var afterAt int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterAt, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list wallet entries: %w", err)
	}
	query := `SELECT ` + walletEntryColumns + ` FROM wallet_entries WHERE user_id = ?`
	args := []any{q.UserID}
	if q.Currency != "" {
		query += ` AND currency = ?`
		args = append(args, q.Currency)
	}
	if hasCursor {
		query += ` AND (created_at, id) < (?, ?)`
		args = append(args, afterAt, afterID)
	}
	rows, err := s.rd().QueryContext(ctx, query+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, n+1)...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list wallet entries: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.WalletEntry{}
	for rows.Next() {
		e, err := scanWalletEntry(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list wallet entries: %w", err)
		}
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list wallet entries: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(last.CreatedAt), last.ID)
	}
	return page, nil
}

const paymentMethodColumns = `id, user_id, provider, customer_id, brand, last4, exp_month, exp_year, created_at`

// SavePaymentMethod inserts a card, or updates the user's own card with
// the same id; another user's is ECONFLICT, an unknown user ENOTFOUND.
func (s *Store) SavePaymentMethod(ctx context.Context, m charging.PaymentMethod) error {
	op := "save payment method " + m.ID
	if m.ID == "" || m.UserID == "" {
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "a payment method needs an id and a user"))
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_methods (`+paymentMethodColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, customer_id = excluded.customer_id, brand = excluded.brand,
				last4 = excluded.last4, exp_month = excluded.exp_month, exp_year = excluded.exp_year
			WHERE payment_methods.user_id = excluded.user_id`,
			m.ID, m.UserID, m.Provider, m.CustomerID, m.Brand, m.Last4, m.ExpMonth, m.ExpYear, toMicro(m.CreatedAt))
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "user %s not found", m.UserID)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ECONFLICT, "payment method %s belongs to another user", m.ID)
		}
		return nil
	})
}

// ListPaymentMethods returns a user's cards, newest first.
func (s *Store) ListPaymentMethods(ctx context.Context, userID string) ([]charging.PaymentMethod, error) {
	rows, err := s.rd().QueryContext(ctx, `SELECT `+paymentMethodColumns+` FROM payment_methods
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list payment methods: %w", err)
	}
	defer rows.Close()
	out := []charging.PaymentMethod{}
	for rows.Next() {
		var m charging.PaymentMethod
		var created int64
		if err := rows.Scan(&m.ID, &m.UserID, &m.Provider, &m.CustomerID, &m.Brand, &m.Last4, &m.ExpMonth, &m.ExpYear, &created); err != nil {
			return nil, fmt.Errorf("sqlite: list payment methods: %w", err)
		}
		m.CreatedAt = fromMicro(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list payment methods: %w", err)
	}
	return out, nil
}

// DeletePaymentMethod deletes one of the user's cards.
func (s *Store) DeletePaymentMethod(ctx context.Context, userID, id string) error {
	return s.write(ctx, "delete payment method "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM payment_methods WHERE id = ? AND user_id = ?`, id, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "payment method %s not found", id)
		}
		return nil
	})
}

// GetPaymentCustomer returns the user's customer id at a provider.
func (s *Store) GetPaymentCustomer(ctx context.Context, userID, provider string) (string, error) {
	var id string
	err := s.rd().QueryRowContext(ctx, `SELECT customer_id FROM payment_customers WHERE user_id = ? AND provider = ?`, userID, provider).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = charging.Errorf(charging.ENOTFOUND, "user %s has no %s customer", userID, provider)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: get payment customer: %w", err)
	}
	return id, nil
}

// SavePaymentCustomer records the user's customer id at a provider; the
// same one again is a no-op, another one ECONFLICT.
func (s *Store) SavePaymentCustomer(ctx context.Context, userID, provider, customerID string) error {
	return s.write(ctx, "save payment customer of "+userID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO payment_customers (user_id, provider, customer_id) VALUES (?, ?, ?)
			ON CONFLICT (user_id, provider) DO NOTHING`, userID, provider, customerID)
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "user %s not found", userID)
		}
		if err != nil {
			return err
		}
		var got string
		if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM payment_customers WHERE user_id = ? AND provider = ?`,
			userID, provider).Scan(&got); err != nil {
			return err
		}
		if got != customerID {
			return charging.Errorf(charging.ECONFLICT, "user %s already has %s customer %s", userID, provider, got)
		}
		return nil
	})
}
