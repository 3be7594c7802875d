package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// Wallets: an append-only ledger (wallet_entries) and each wallet's
// running totals (wallets), written together. The rules are
// charging.PlanWalletEntry's. AddWalletEntry locks the wallet's row
// (SELECT ... FOR UPDATE) before it reads anything, in its serializable
// transaction: two holds racing for one balance are decided one after the
// other, on any node.

const walletEntryColumns = `id, user_id, currency, kind, amount, session_id, reference, note, created_by, created_at`

func scanWalletEntry(row pgx.Row) (charging.WalletEntry, error) {
	var e charging.WalletEntry
	err := row.Scan(&e.ID, &e.UserID, &e.Currency, &e.Kind, &e.Amount, &e.SessionID, &e.Reference, &e.Note, &e.CreatedBy, &e.CreatedAt)
	e.CreatedAt = utc(e.CreatedAt)
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
		return charging.Wallet{}, fail(op, err)
	}
	if e.ID == "" {
		e.ID = entryID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	var out charging.Wallet
	err := s.write(ctx, func(u *Store) error {
		q := u.tx
		// The row exists before it is locked: a new wallet's first two
		// entries wait for each other too.
		if _, err := q.Exec(ctx, `INSERT INTO wallets (user_id, currency) VALUES ($1, $2) ON CONFLICT DO NOTHING`, e.UserID, e.Currency); err != nil {
			return err
		}
		var st charging.WalletState
		st.Wallet = charging.Wallet{UserID: e.UserID, Currency: e.Currency}
		if err := q.QueryRow(ctx, `SELECT balance, held FROM wallets WHERE user_id = $1 AND currency = $2 FOR UPDATE`,
			e.UserID, e.Currency).Scan(&st.Wallet.Balance, &st.Wallet.Held); err != nil {
			return err
		}
		x, err := scanWalletEntry(q.QueryRow(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries WHERE id = $1`, e.ID))
		switch {
		case err == nil:
			st.Existing = &x
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if e.Reference != "" {
			rows, err := q.Query(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries
				WHERE reference = $1 AND kind IN ('hold', 'release', 'debit', 'refund')`, e.Reference)
			if err != nil {
				return err
			}
			for rows.Next() {
				x, err := scanWalletEntry(rows)
				if err != nil {
					rows.Close()
					return err
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
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		add, w, err := charging.PlanWalletEntry(st, e)
		out = w
		if err != nil || add == nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO wallet_entries (`+walletEntryColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			add.ID, add.UserID, add.Currency, add.Kind, add.Amount, add.SessionID, add.Reference, add.Note, add.CreatedBy, add.CreatedAt); err != nil {
			return err
		}
		_, err = q.Exec(ctx, `UPDATE wallets SET balance = $3, held = $4 WHERE user_id = $1 AND currency = $2`,
			w.UserID, w.Currency, w.Balance, w.Held)
		return err
	})
	if err != nil {
		return charging.Wallet{}, fail(op, err)
	}
	return out, nil
}

// GetWalletHold returns the hold with the reference.
func (s *Store) GetWalletHold(ctx context.Context, reference string) (charging.WalletEntry, error) {
	const op = "get wallet hold"
	e, err := scanWalletEntry(s.q().QueryRow(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries
		WHERE reference = $1 AND kind = 'hold'`, reference))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.WalletEntry{}, fail(op, charging.Errorf(charging.ENOTFOUND, "wallet hold %s not found", reference))
	}
	if err != nil {
		return charging.WalletEntry{}, fail(op, err)
	}
	return e, nil
}

// GetWallet returns a user's wallet in a currency (zero when it has no entries).
func (s *Store) GetWallet(ctx context.Context, userID, currency string) (charging.Wallet, error) {
	op := "get wallet of " + userID
	if !charging.ValidCurrency(currency) {
		return charging.Wallet{}, fail(op, charging.Errorf(charging.EINVALID, "currency must be an ISO 4217 code such as EUR, got %q", currency))
	}
	w := charging.Wallet{UserID: userID, Currency: currency}
	err := s.q().QueryRow(ctx, `SELECT balance, held FROM wallets WHERE user_id = $1 AND currency = $2`, userID, currency).
		Scan(&w.Balance, &w.Held)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return charging.Wallet{}, fail(op, err)
	}
	w.Available = w.Balance - w.Held
	return w, nil
}

// ListWalletEntries returns a user's entries, newest first: keyset pages
// on (created_at, id), the index wallet_entries_user.
func (s *Store) ListWalletEntries(ctx context.Context, q charging.WalletEntryQuery) (charging.Page[charging.WalletEntry], error) {
	const op = "list wallet entries"
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return charging.Page[charging.WalletEntry]{}, fail(op, err)
	}
	var afterAt time.Time
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterAt, &afterID)
	if err != nil {
		return charging.Page[charging.WalletEntry]{}, fail(op, err)
	}
	var w sqlWhere
	w.add("user_id = ", q.UserID)
	if q.Currency != "" {
		w.add("currency = ", q.Currency)
	}
	if hasCursor {
		w.add2("(created_at, id) < (", afterAt, ", ", afterID, ")")
	}
	rows, err := s.q().Query(ctx, `SELECT `+walletEntryColumns+` FROM wallet_entries`+w.sql()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.arg(n+1), w.args...)
	if err != nil {
		return charging.Page[charging.WalletEntry]{}, fail(op, err)
	}
	defer rows.Close()
	var items []charging.WalletEntry
	for rows.Next() {
		e, err := scanWalletEntry(rows)
		if err != nil {
			return charging.Page[charging.WalletEntry]{}, fail(op, err)
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.WalletEntry]{}, fail(op, err)
	}
	return pageOf(items, n, func(e charging.WalletEntry) []any { return []any{e.CreatedAt, e.ID} }), nil
}

const paymentMethodColumns = `id, user_id, provider, customer_id, brand, last4, exp_month, exp_year, created_at`

// SavePaymentMethod inserts a card, or updates the user's own card with
// the same id; another user's is ECONFLICT, an unknown user ENOTFOUND.
func (s *Store) SavePaymentMethod(ctx context.Context, m charging.PaymentMethod) error {
	op := "save payment method " + m.ID
	if m.ID == "" || m.UserID == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "a payment method needs an id and a user"))
	}
	var n int64
	err := s.stmt(ctx, func(q querier) error {
		tag, err := q.Exec(ctx, `INSERT INTO payment_methods (`+paymentMethodColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, customer_id = excluded.customer_id, brand = excluded.brand,
				last4 = excluded.last4, exp_month = excluded.exp_month, exp_year = excluded.exp_year
			WHERE payment_methods.user_id = excluded.user_id`,
			m.ID, m.UserID, m.Provider, m.CustomerID, m.Brand, m.Last4, m.ExpMonth, m.ExpYear, m.CreatedAt.UTC().Truncate(time.Microsecond))
		n = tag.RowsAffected()
		return err
	})
	switch {
	case isCode(err, codeForeignKeyViolation):
		return fail(op, charging.Errorf(charging.ENOTFOUND, "user %s not found", m.UserID))
	case err != nil:
		return fail(op, err)
	case n == 0:
		return fail(op, charging.Errorf(charging.ECONFLICT, "payment method %s belongs to another user", m.ID))
	}
	return nil
}

// ListPaymentMethods returns a user's cards, newest first.
func (s *Store) ListPaymentMethods(ctx context.Context, userID string) ([]charging.PaymentMethod, error) {
	const op = "list payment methods"
	rows, err := s.q().Query(ctx, `SELECT `+paymentMethodColumns+` FROM payment_methods
		WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fail(op, err)
	}
	defer rows.Close()
	out := []charging.PaymentMethod{}
	for rows.Next() {
		var m charging.PaymentMethod
		if err := rows.Scan(&m.ID, &m.UserID, &m.Provider, &m.CustomerID, &m.Brand, &m.Last4, &m.ExpMonth, &m.ExpYear, &m.CreatedAt); err != nil {
			return nil, fail(op, err)
		}
		m.CreatedAt = utc(m.CreatedAt)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(op, err)
	}
	return out, nil
}

// DeletePaymentMethod deletes one of the user's cards.
func (s *Store) DeletePaymentMethod(ctx context.Context, userID, id string) error {
	op := "delete payment method " + id
	tag, err := s.q().Exec(ctx, `DELETE FROM payment_methods WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "payment method %s not found", id))
	}
	return nil
}

// GetPaymentCustomer returns the user's customer id at a provider.
func (s *Store) GetPaymentCustomer(ctx context.Context, userID, provider string) (string, error) {
	op := "get payment customer of " + userID
	var id string
	err := s.q().QueryRow(ctx, `SELECT customer_id FROM payment_customers WHERE user_id = $1 AND provider = $2`, userID, provider).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fail(op, charging.Errorf(charging.ENOTFOUND, "user %s has no %s customer", userID, provider))
	}
	if err != nil {
		return "", fail(op, err)
	}
	return id, nil
}

// SavePaymentCustomer records the user's customer id at a provider; the
// same one again is a no-op, another one ECONFLICT.
func (s *Store) SavePaymentCustomer(ctx context.Context, userID, provider, customerID string) error {
	op := "save payment customer of " + userID
	var got string
	err := s.stmt(ctx, func(q querier) error {
		// One statement: the insert, or the row that was there.
		return q.QueryRow(ctx, `WITH ins AS (
				INSERT INTO payment_customers (user_id, provider, customer_id) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, provider) DO NOTHING RETURNING customer_id)
			SELECT customer_id FROM ins
			UNION ALL SELECT customer_id FROM payment_customers WHERE user_id = $1 AND provider = $2
			LIMIT 1`, userID, provider, customerID).Scan(&got)
	})
	switch {
	case isCode(err, codeForeignKeyViolation):
		return fail(op, charging.Errorf(charging.ENOTFOUND, "user %s not found", userID))
	case err != nil:
		return fail(op, err)
	case got != customerID:
		return fail(op, charging.Errorf(charging.ECONFLICT, "user %s already has %s customer %s", userID, provider, got))
	}
	return nil
}
