package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// Id tags are compared case-insensitively (ASCII), as OCPP 1.6 defines
// IdToken as a CiString20Type; see id_tags in 0001_init.sql.

const idTagColumns = `id_tag, status, expiry_date, parent_id_tag, owner_id, created_at, updated_at`

const insertIDTagSQL = `INSERT INTO id_tags (` + idTagColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)`

// idTagArgs returns the values of idTagColumns, in order.
func idTagArgs(t *charging.IDTag) []any {
	return []any{t.IDTag, string(t.Status), nullTime(t.ExpiryDate), t.ParentIDTag, t.OwnerID, toMicro(t.CreatedAt), toMicro(t.UpdatedAt)}
}

func scanIDTag(row interface{ Scan(...any) error }) (charging.IDTag, error) {
	var t charging.IDTag
	var status string
	var expiry sql.NullInt64
	var created, updated int64
	if err := row.Scan(&t.IDTag, &status, &expiry, &t.ParentIDTag, &t.OwnerID, &created, &updated); err != nil {
		return charging.IDTag{}, err
	}
	t.Status = charging.AuthorizationStatus(status)
	t.ExpiryDate = timePtr(expiry)
	t.CreatedAt, t.UpdatedAt = fromMicro(created), fromMicro(updated)
	return t, nil
}

// GetIDTag returns the id tag, matched case-insensitively.
func (s *Store) GetIDTag(ctx context.Context, idTag string) (charging.IDTag, error) {
	t, err := scanIDTag(s.rd().QueryRowContext(ctx, `SELECT `+idTagColumns+` FROM id_tags WHERE id_tag = ?`, idTag))
	if errors.Is(err, sql.ErrNoRows) {
		return charging.IDTag{}, fmt.Errorf("sqlite: get id tag %s: %w", idTag, charging.Errorf(charging.ENOTFOUND, "id tag %s not found", idTag))
	}
	if err != nil {
		return charging.IDTag{}, fmt.Errorf("sqlite: get id tag %s: %w", idTag, err)
	}
	return t, nil
}

// insertIDTag inserts t; an existing tag (in any case) is ECONFLICT.
func insertIDTag(ctx context.Context, tx *sql.Tx, t *charging.IDTag) error {
	_, err := tx.ExecContext(ctx, insertIDTagSQL, idTagArgs(t)...)
	if isUnique(err) {
		return charging.Errorf(charging.ECONFLICT, "id tag %s already exists", t.IDTag)
	}
	return err
}

// SaveIDTag inserts or updates an id tag; CreatedAt and the stored spelling
// of the tag keep the values of the first save. Every other field,
// OwnerID included ("" too), is written as given.
func (s *Store) SaveIDTag(ctx context.Context, t charging.IDTag) error {
	if t.IDTag == "" {
		return fmt.Errorf("sqlite: save id tag: %w", charging.Errorf(charging.EINVALID, "id tag is empty"))
	}
	return s.write(ctx, "save id tag "+t.IDTag, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertIDTagSQL+`
			ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status, expiry_date = excluded.expiry_date,
				parent_id_tag = excluded.parent_id_tag, owner_id = excluded.owner_id, updated_at = excluded.updated_at`,
			idTagArgs(&t)...)
		return err
	})
}

// DeleteIDTag deletes an id tag.
func (s *Store) DeleteIDTag(ctx context.Context, idTag string) error {
	return s.write(ctx, "delete id tag "+idTag, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM id_tags WHERE id_tag = ?`, idTag)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "id tag %s not found", idTag)
		}
		return nil
	})
}

// ListIDTags returns id tags ordered by IDTag (case-insensitively), only
// those of q.OwnerID when it is set.
func (s *Store) ListIDTags(ctx context.Context, q charging.IDTagQuery) (charging.Page[charging.IDTag], error) {
	var page charging.Page[charging.IDTag]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list id tags: %w", err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("sqlite: list id tags: %w", err)
	}
	var where []string
	var args []any
	if q.OwnerID != "" {
		// The second term lets the planner use the partial index id_tags_owner.
		where, args = append(where, `owner_id = ? AND owner_id <> ''`), append(args, q.OwnerID)
	}
	if hasCursor {
		where, args = append(where, `id_tag > ?`), append(args, after)
	}
	query := `SELECT ` + idTagColumns + ` FROM id_tags`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id_tag LIMIT ?`
	args = append(args, n+1)
	rows, err := s.rd().QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list id tags: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.IDTag{}
	for rows.Next() {
		t, err := scanIDTag(rows)
		if err != nil {
			return charging.Page[charging.IDTag]{}, fmt.Errorf("sqlite: list id tags: %w", err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.IDTag]{}, fmt.Errorf("sqlite: list id tags: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].IDTag)
	}
	return page, nil
}
