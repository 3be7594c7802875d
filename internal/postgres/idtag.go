package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// Id tags are compared case-insensitively (ASCII), as OCPP 1.6 defines
// IdToken as a CiString20Type: id_tags.id_tag_key is the tag's ASCII
// lower case (lower under the "C" collation folds ASCII only), and a tag
// is matched with id_tag_key = lower($1 COLLATE "C").

const idTagColumns = `id_tag, status, expiry_date, parent_id_tag, owner_id, created_at, updated_at`

// idTagKeySQL is the key of the tag in $1.
const idTagKeySQL = `lower($1::text COLLATE "C")`

const insertIDTagSQL = `INSERT INTO id_tags (` + idTagColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`

// idTagArgs returns the values of idTagColumns, in order.
func idTagArgs(t *charging.IDTag) []any {
	return []any{t.IDTag, string(t.Status), t.ExpiryDate, t.ParentIDTag, t.OwnerID, t.CreatedAt, t.UpdatedAt}
}

func scanIDTag(row pgx.Row) (charging.IDTag, error) {
	var t charging.IDTag
	var status string
	if err := row.Scan(&t.IDTag, &status, &t.ExpiryDate, &t.ParentIDTag, &t.OwnerID, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return charging.IDTag{}, err
	}
	t.Status = charging.AuthorizationStatus(status)
	t.ExpiryDate = utcPtr(t.ExpiryDate)
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	return t, nil
}

// GetIDTag returns the id tag, matched case-insensitively.
func (s *Store) GetIDTag(ctx context.Context, idTag string) (charging.IDTag, error) {
	op := "get id tag " + idTag
	t, err := scanIDTag(s.q().QueryRow(ctx, `SELECT `+idTagColumns+` FROM id_tags WHERE id_tag_key = `+idTagKeySQL, idTag))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.IDTag{}, fail(op, charging.Errorf(charging.ENOTFOUND, "id tag %s not found", idTag))
	}
	if err != nil {
		return charging.IDTag{}, fail(op, err)
	}
	return t, nil
}

// CreateIDTag inserts a new id tag; one that exists (case-insensitively)
// is ECONFLICT and is left as it was. A driver linking a card uses it, so
// two drivers typing the same number cannot both own it.
func (s *Store) CreateIDTag(ctx context.Context, t charging.IDTag) error {
	op := "create id tag " + t.IDTag
	if t.IDTag == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "id tag is empty"))
	}
	return fail(op, insertIDTag(ctx, s.q(), &t))
}

// insertIDTag inserts t on q; an existing tag (in any case) is ECONFLICT
// and stays as it was. ON CONFLICT DO NOTHING: a conflict is no error of
// the statement, so it needs no savepoint inside a unit (CreateIDTag,
// and a user created with a card).
func insertIDTag(ctx context.Context, q querier, t *charging.IDTag) error {
	tag, err := q.Exec(ctx, insertIDTagSQL+` ON CONFLICT (id_tag_key) DO NOTHING`, idTagArgs(t)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return charging.Errorf(charging.ECONFLICT, "id tag %s exists", t.IDTag)
	}
	return nil
}

// SaveIDTag inserts or updates an id tag; CreatedAt and the stored
// spelling of the tag keep the values of the first save. Every other
// field, OwnerID included ("" too), is written as given.
func (s *Store) SaveIDTag(ctx context.Context, t charging.IDTag) error {
	op := "save id tag " + t.IDTag
	if t.IDTag == "" {
		return fail(op, charging.Errorf(charging.EINVALID, "id tag is empty"))
	}
	// An upsert breaks no constraint: no savepoint needed inside a unit.
	_, err := s.q().Exec(ctx, insertIDTagSQL+`
		ON CONFLICT (id_tag_key) DO UPDATE SET status = excluded.status, expiry_date = excluded.expiry_date,
			parent_id_tag = excluded.parent_id_tag, owner_id = excluded.owner_id, updated_at = excluded.updated_at`,
		idTagArgs(&t)...)
	return fail(op, err)
}

// DeleteIDTag deletes an id tag.
func (s *Store) DeleteIDTag(ctx context.Context, idTag string) error {
	op := "delete id tag " + idTag
	tag, err := s.q().Exec(ctx, `DELETE FROM id_tags WHERE id_tag_key = `+idTagKeySQL, idTag)
	if err != nil {
		return fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fail(op, charging.Errorf(charging.ENOTFOUND, "id tag %s not found", idTag))
	}
	return nil
}

// ListIDTags returns id tags ordered by IDTag (case-insensitively: by
// id_tag_key), only those of q.OwnerID when it is set.
func (s *Store) ListIDTags(ctx context.Context, q charging.IDTagQuery) (charging.Page[charging.IDTag], error) {
	const op = "list id tags"
	var page charging.Page[charging.IDTag]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fail(op, err)
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.OwnerID != "" {
		// The second term lets the planner use the partial index id_tags_owner.
		where = append(where, `owner_id = `+arg(q.OwnerID)+` AND owner_id <> ''`)
	}
	if hasCursor {
		where = append(where, `id_tag_key > lower(`+arg(after)+`::text COLLATE "C")`)
	}
	query := `SELECT ` + idTagColumns + ` FROM id_tags`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id_tag_key LIMIT ` + arg(n+1)
	rows, err := s.q().Query(ctx, query, args...)
	if err != nil {
		return page, fail(op, err)
	}
	defer rows.Close()
	page.Items = []charging.IDTag{}
	for rows.Next() {
		t, err := scanIDTag(rows)
		if err != nil {
			return charging.Page[charging.IDTag]{}, fail(op, err)
		}
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return charging.Page[charging.IDTag]{}, fail(op, err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].IDTag)
	}
	return page, nil
}
