package sqlite

import (
	"context"
	"database/sql"

	"github.com/joule-ev/joule/internal/charging"
)

// CreateIDTag inserts a new id tag; one that exists (case-insensitively)
// is ECONFLICT and is left as it was. A driver linking a card uses it, so
// two drivers typing the same number cannot both own it.
func (s *Store) CreateIDTag(ctx context.Context, t charging.IDTag) error {
	if t.IDTag == "" {
		return charging.Errorf(charging.EINVALID, "id tag is empty")
	}
	return s.write(ctx, "create id tag "+t.IDTag, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, owner_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id_tag) DO NOTHING`,
			t.IDTag, string(t.Status), nullTime(t.ExpiryDate), t.ParentIDTag, t.OwnerID, toMicro(t.CreatedAt), toMicro(t.UpdatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return charging.Errorf(charging.ECONFLICT, "id tag %s exists", t.IDTag)
		}
		return nil
	})
}
