package postgres

import "context"

// NextReceiptNumber takes the next receipt number from receipt_counter
// (0006): gapless, since a unit of work that rolls back gives it back.
func (s *Store) NextReceiptNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(u *Store) error {
		return u.q().QueryRow(ctx, `UPDATE receipt_counter SET value = value + 1 WHERE id = 1 RETURNING value`).Scan(&n)
	})
	return n, fail("take a receipt number", err)
}
