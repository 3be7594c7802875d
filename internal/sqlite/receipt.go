package sqlite

import (
	"context"
	"database/sql"
)

// NextReceiptNumber takes the next receipt number from the sequences
// table: gapless, since a unit of work that rolls back gives it back.
func (s *Store) NextReceiptNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, "take a receipt number", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'receipt_number' RETURNING value`).Scan(&n)
	})
	return n, err
}
