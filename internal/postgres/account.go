package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/joule-ev/joule/internal/charging"
)

// Users, sign-in tokens, API keys and the audit log (migration 0004).
// Emails and app id tags compare case-insensitively (ASCII, as SQLite's
// NOCASE: lower() of a COLLATE "C" column); token and key hashes and OIDC
// subjects exactly. Hashes are credentials: no error message repeats one.

const userColumns = `id, email, name, role, disabled, password_hash, subject, app_id_tag,
	created_at, updated_at, last_login_at, driver_group`

// userColumnsOf is userColumns qualified by a table alias, for joins.
func userColumnsOf(alias string) string {
	cols := strings.Split(userColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var getTokenSQL = `SELECT t.hash, t.user_id, t.created_at, t.expires_at, ` + userColumnsOf("u") + `
	FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`

func scanUser(row pgx.Row, extra ...any) (charging.User, error) {
	var u charging.User
	var role string
	dest := append(extra, &u.ID, &u.Email, &u.Name, &role, &u.Disabled, &u.PasswordHash, &u.Subject, &u.AppIDTag,
		&u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt, &u.DriverGroup)
	if err := row.Scan(dest...); err != nil {
		return charging.User{}, err
	}
	u.Role = charging.Role(role)
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = utc(u.CreatedAt), utc(u.UpdatedAt), utcPtr(u.LastLoginAt)
	return u, nil
}

func checkUser(u *charging.User) error {
	switch {
	case u.ID == "":
		return charging.Errorf(charging.EINVALID, "user id is empty")
	case u.Email == "":
		return charging.Errorf(charging.EINVALID, "user %s has no email", u.ID)
	case !u.Role.Valid():
		return charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", u.Role)
	}
	return nil
}

// userConflict translates a uniqueness violation of a users write into an
// ECONFLICT naming the rule; other errors are mapped as usual.
func userConflict(err error, u *charging.User) error {
	if !isCode(err, codeUniqueViolation) {
		return mapErr(err)
	}
	switch peopleConstraint(err) {
	case "users_email":
		return charging.Errorf(charging.ECONFLICT, "a user with email %s already exists", u.Email)
	case "users_subject":
		return charging.Errorf(charging.ECONFLICT, "a user with subject %q already exists", u.Subject)
	case "users_app_id_tag":
		return charging.Errorf(charging.ECONFLICT, "a user with app id tag %s already exists", u.AppIDTag)
	case "users_pkey":
		return charging.Errorf(charging.ECONFLICT, "user %s already exists", u.ID)
	}
	return charging.Errorf(charging.ECONFLICT, "user %s conflicts with a stored user", u.ID)
}

// CreateUser inserts the user and, when tag is not nil, the tag owned by
// the user, and when token is not nil that sign-in token, in one unit: on
// any conflict nothing is written.
func (s *Store) CreateUser(ctx context.Context, u charging.User, tag *charging.IDTag, token *charging.AuthToken) error {
	op := "create user " + u.ID
	if err := checkUser(&u); err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	var t charging.IDTag
	if tag != nil {
		if tag.IDTag == "" {
			return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "id tag is empty"))
		}
		t = *tag
		t.OwnerID = u.ID
	}
	if token != nil && token.Hash == "" {
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "token hash is empty"))
	}
	insert := func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			u.ID, u.Email, u.Name, string(u.Role), u.Disabled, u.PasswordHash, u.Subject, u.AppIDTag,
			u.CreatedAt, u.UpdatedAt, u.LastLoginAt, u.DriverGroup)
		if err != nil {
			return userConflict(err, &u)
		}
		return nil
	}
	var err error
	if tag == nil && token == nil {
		err = s.stmt(ctx, insert)
	} else {
		err = s.write(ctx, func(w *Store) error {
			if err := insert(w.q()); err != nil {
				return err
			}
			if tag != nil {
				// The core's CreateIDTag: an existing tag (in any case) is
				// ECONFLICT.
				if err := w.CreateIDTag(ctx, t); err != nil {
					return err
				}
			}
			return insertToken(ctx, w.q(), token)
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

func (s *Store) getUser(ctx context.Context, what, where string, arg string) (charging.User, error) {
	u, err := scanUser(s.q().QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.User{}, fmt.Errorf("postgres: get %s: %w", what, charging.Errorf(charging.ENOTFOUND, "%s not found", what))
	}
	if err != nil {
		return charging.User{}, fmt.Errorf("postgres: get %s: %w", what, mapErr(err))
	}
	return u, nil
}

// GetUser returns the user with the id.
func (s *Store) GetUser(ctx context.Context, id string) (charging.User, error) {
	return s.getUser(ctx, "user "+id, `id = $1`, id)
}

// GetUserByEmail returns the user with the email, in any case.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (charging.User, error) {
	return s.getUser(ctx, "user with email "+email, `lower(email) = lower($1)`, email)
}

// GetUserBySubject returns the user who signs in with the OIDC subject.
func (s *Store) GetUserBySubject(ctx context.Context, subject string) (charging.User, error) {
	if subject == "" {
		return charging.User{}, fmt.Errorf("postgres: get user with subject \"\": %w",
			charging.Errorf(charging.ENOTFOUND, "user with an empty subject not found"))
	}
	return s.getUser(ctx, fmt.Sprintf("user with subject %q", subject), `subject = $1 AND subject <> ''`, subject)
}

// UpdateUser overwrites the user's fields but CreatedAt, which keeps the
// value of CreateUser; with revokeTokens, it deletes the user's sign-in
// tokens in the same unit, then inserts token when not nil.
func (s *Store) UpdateUser(ctx context.Context, u charging.User, revokeTokens bool, token *charging.AuthToken) error {
	op := "update user " + u.ID
	if err := checkUser(&u); err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	if token != nil && token.Hash == "" {
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "token hash is empty"))
	}
	update := func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE users SET email = $2, name = $3, role = $4, disabled = $5, password_hash = $6,
			subject = $7, app_id_tag = $8, updated_at = $9, last_login_at = $10, driver_group = $11 WHERE id = $1`,
			u.ID, u.Email, u.Name, string(u.Role), u.Disabled, u.PasswordHash, u.Subject, u.AppIDTag,
			u.UpdatedAt, u.LastLoginAt, u.DriverGroup)
		if err != nil {
			return userConflict(err, &u)
		}
		if tag.RowsAffected() == 0 {
			return charging.Errorf(charging.ENOTFOUND, "user %s not found", u.ID)
		}
		return nil
	}
	var err error
	if !revokeTokens && token == nil {
		err = s.stmt(ctx, update)
	} else {
		err = s.write(ctx, func(w *Store) error {
			if err := update(w.q()); err != nil {
				return err
			}
			if revokeTokens {
				if _, err := w.q().Exec(ctx, `DELETE FROM auth_tokens WHERE user_id = $1`, u.ID); err != nil {
					return fmt.Errorf("revoke tokens: %w", mapErr(err))
				}
			}
			return insertToken(ctx, w.q(), token)
		})
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

// DeleteUser deletes the user and their tokens (the foreign key's ON
// DELETE CASCADE) in one unit. Their id tags lose their owner and are
// blocked (a card the operator may hand to someone else; UpdatedAt is the
// time of the delete); their sessions keep the owner's id, as history.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	now := s.now()
	err := s.write(ctx, func(w *Store) error {
		tag, err := w.q().Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return mapErr(err)
		}
		if tag.RowsAffected() == 0 {
			return charging.Errorf(charging.ENOTFOUND, "user %s not found", id)
		}
		if _, err := w.q().Exec(ctx, `UPDATE id_tags SET owner_id = '', status = $2, updated_at = $3
			WHERE owner_id = $1 AND owner_id <> ''`, id, string(charging.AuthBlocked), now); err != nil {
			return fmt.Errorf("id tags: %w", mapErr(err))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: delete user %s: %w", id, err)
	}
	return nil
}

// ListUsers returns users ordered by email (case-insensitively, byte-wise).
func (s *Store) ListUsers(ctx context.Context, q charging.UserQuery) (charging.Page[charging.User], error) {
	var page charging.Page[charging.User]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("postgres: list users: %w", err)
	}
	if q.Role != "" && !q.Role.Valid() {
		return page, fmt.Errorf("postgres: list users: %w", charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", q.Role))
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("postgres: list users: %w", err)
	}
	var w sqlWhere
	if q.Role != "" {
		w.add(`role = `, string(q.Role))
	}
	if hasCursor {
		w.conds = append(w.conds, `lower(email) > lower(`+w.arg(after)+` COLLATE "C")`)
	}
	query := `SELECT ` + userColumns + ` FROM users` + w.sql() + ` ORDER BY lower(email) LIMIT ` + w.arg(n+1)
	page.Items, err = collectPeople(ctx, s.q(), query, w.args, func(r pgx.CollectableRow) (charging.User, error) { return scanUser(r) })
	if err != nil {
		return charging.Page[charging.User]{}, fmt.Errorf("postgres: list users: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].Email)
	}
	return page, nil
}

// CountUsers returns how many users there are.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.q().QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count users: %w", mapErr(err))
	}
	return n, nil
}

// collectPeople runs a list query and scans every row; the items are never nil.
func collectPeople[T any](ctx context.Context, q querier, query string, args []any, scan pgx.RowToFunc[T]) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, mapErr(err)
	}
	if items == nil {
		items = []T{}
	}
	return items, nil
}

// CreateToken stores a sign-in token of an existing user.
func (s *Store) CreateToken(ctx context.Context, t charging.AuthToken) error {
	if t.Hash == "" {
		return fmt.Errorf("postgres: create token: %w", charging.Errorf(charging.EINVALID, "token hash is empty"))
	}
	if err := s.stmt(ctx, func(q querier) error { return insertToken(ctx, q, &t) }); err != nil {
		return fmt.Errorf("postgres: create token of user %s: %w", t.UserID, err)
	}
	return nil
}

// insertToken inserts a sign-in token (nil: nothing).
func insertToken(ctx context.Context, q querier, t *charging.AuthToken) error {
	if t == nil {
		return nil
	}
	if t.Hash == "" {
		return charging.Errorf(charging.EINVALID, "token hash is empty")
	}
	_, err := q.Exec(ctx, `INSERT INTO auth_tokens (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.UserID, t.CreatedAt, t.ExpiresAt)
	switch {
	case err == nil:
		return nil
	case isCode(err, codeForeignKeyViolation):
		return charging.Errorf(charging.ENOTFOUND, "user %s not found", t.UserID)
	case isCode(err, codeUniqueViolation):
		// Not wrapped: the driver's error would name the hash.
		return charging.Errorf(charging.ECONFLICT, "the token already exists")
	}
	return mapErr(err)
}

// GetToken returns the token with the hash and its user, expired or not:
// the caller checks ExpiresAt (and the user's Disabled).
func (s *Store) GetToken(ctx context.Context, hash string) (charging.AuthToken, charging.User, error) {
	var t charging.AuthToken
	u, err := scanUser(s.q().QueryRow(ctx, getTokenSQL, hash), &t.Hash, &t.UserID, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		// The hash is a credential: it is not repeated in the error.
		return charging.AuthToken{}, charging.User{}, fmt.Errorf("postgres: get token: %w", charging.Errorf(charging.ENOTFOUND, "token not found"))
	}
	if err != nil {
		return charging.AuthToken{}, charging.User{}, fmt.Errorf("postgres: get token: %w", mapErr(err))
	}
	t.CreatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.ExpiresAt)
	return t, u, nil
}

// DeleteToken deletes the token with the hash (signing out).
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	tag, err := s.q().Exec(ctx, `DELETE FROM auth_tokens WHERE hash = $1`, hash)
	if err != nil {
		return fmt.Errorf("postgres: delete token: %w", mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete token: %w", charging.Errorf(charging.ENOTFOUND, "token not found"))
	}
	return nil
}

// DeleteExpiredTokens deletes the tokens that expired before now and
// returns how many.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.q().Exec(ctx, `DELETE FROM auth_tokens WHERE expires_at < $1`, now)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete expired tokens: %w", mapErr(err))
	}
	return int(tag.RowsAffected()), nil
}

const apiKeyColumns = `id, name, role, hash, prefix, created_by, created_at, expires_at, last_used_at`

func scanAPIKey(row pgx.Row) (charging.APIKey, error) {
	var k charging.APIKey
	var role string
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Hash, &k.Prefix, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt); err != nil {
		return charging.APIKey{}, err
	}
	k.Role = charging.Role(role)
	k.CreatedAt, k.ExpiresAt, k.LastUsedAt = utc(k.CreatedAt), utcPtr(k.ExpiresAt), utcPtr(k.LastUsedAt)
	return k, nil
}

// CreateAPIKey stores an API key.
func (s *Store) CreateAPIKey(ctx context.Context, k charging.APIKey) error {
	op := "create API key " + k.ID
	switch {
	case k.ID == "":
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "API key id is empty"))
	case k.Hash == "":
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "API key hash is empty"))
	case !k.Role.Valid():
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", k.Role))
	}
	err := s.stmt(ctx, func(q querier) error {
		_, err := q.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, k.Name, string(k.Role), k.Hash, k.Prefix, k.CreatedBy, k.CreatedAt, k.ExpiresAt, k.LastUsedAt)
		return err
	})
	switch {
	case err == nil:
		return nil
	case isCode(err, codeUniqueViolation) && peopleConstraint(err) == "api_keys_hash":
		// Not wrapped: the driver's error would name the hash.
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.ECONFLICT, "an API key with the same hash already exists"))
	case isCode(err, codeUniqueViolation):
		return fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.ECONFLICT, "API key %s already exists", k.ID))
	}
	return fmt.Errorf("postgres: %s: %w", op, mapErr(err))
}

// GetAPIKeyByHash returns the API key with the hash, expired or not.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash string) (charging.APIKey, error) {
	k, err := scanAPIKey(s.q().QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.APIKey{}, fmt.Errorf("postgres: get API key: %w", charging.Errorf(charging.ENOTFOUND, "API key not found"))
	}
	if err != nil {
		return charging.APIKey{}, fmt.Errorf("postgres: get API key: %w", mapErr(err))
	}
	return k, nil
}

// ListAPIKeys returns API keys, newest (CreatedAt, then ID) first.
func (s *Store) ListAPIKeys(ctx context.Context, q charging.APIKeyQuery) (charging.Page[charging.APIKey], error) {
	var page charging.Page[charging.APIKey]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("postgres: list API keys: %w", err)
	}
	var afterCreated int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterCreated, &afterID)
	if err != nil {
		return page, fmt.Errorf("postgres: list API keys: %w", err)
	}
	var w sqlWhere
	if hasCursor {
		w.add2(`(created_at, id) < (`, time.UnixMicro(afterCreated), `, `, afterID, `)`)
	}
	query := `SELECT ` + apiKeyColumns + ` FROM api_keys` + w.sql() + ` ORDER BY created_at DESC, id DESC LIMIT ` + w.arg(n+1)
	page.Items, err = collectPeople(ctx, s.q(), query, w.args, func(r pgx.CollectableRow) (charging.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return charging.Page[charging.APIKey]{}, fmt.Errorf("postgres: list API keys: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(last.CreatedAt.UnixMicro(), last.ID)
	}
	return page, nil
}

// DeleteAPIKey deletes the API key: it stops working at once.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	tag, err := s.q().Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete API key %s: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete API key %s: %w", id, charging.Errorf(charging.ENOTFOUND, "API key %s not found", id))
	}
	return nil
}

// TouchAPIKey sets the key's last-used time.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.q().Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, at)
	if err != nil {
		return fmt.Errorf("postgres: touch API key %s: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: touch API key %s: %w", id, charging.Errorf(charging.ENOTFOUND, "API key %s not found", id))
	}
	return nil
}

func validOutcome(o string) bool {
	switch o {
	case charging.OutcomeSuccess, charging.OutcomeDenied, charging.OutcomeRejected, charging.OutcomeError:
		return true
	}
	return false
}

const auditColumns = `id, at, actor_kind, actor_id, actor_name, role, action, target, remote_addr, status, outcome, detail`

// AddAudit appends an entry to the audit log and returns its id (e.ID is
// ignored): ids grow with every entry.
func (s *Store) AddAudit(ctx context.Context, e charging.AuditEntry) (int64, error) {
	op := "add audit entry " + e.Action
	switch {
	case e.Action == "":
		return 0, fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "audit action is empty"))
	case !validOutcome(e.Outcome):
		return 0, fmt.Errorf("postgres: %s: %w", op, charging.Errorf(charging.EINVALID, "audit outcome %q is not one of success, denied, rejected, error", e.Outcome))
	}
	var id int64
	err := s.q().QueryRow(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, role, action, target,
		remote_addr, status, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		e.At, e.ActorKind, e.ActorID, e.ActorName, string(e.Role), e.Action, e.Target,
		e.RemoteAddr, e.Status, e.Outcome, e.Detail).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("postgres: %s: %w", op, mapErr(err))
	}
	return id, nil
}

// ListAudit returns matching audit entries, newest (highest ID) first.
func (s *Store) ListAudit(ctx context.Context, q charging.AuditQuery) (charging.Page[charging.AuditEntry], error) {
	var page charging.Page[charging.AuditEntry]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("postgres: list audit: %w", err)
	}
	var afterID int64
	hasCursor, err := decodeCursor(q.Cursor, &afterID)
	if err != nil {
		return page, fmt.Errorf("postgres: list audit: %w", err)
	}
	var w sqlWhere
	if q.ActorID != "" {
		// "<> ''" lets the planner use the partial index.
		w.conds = append(w.conds, `actor_id = `+w.arg(q.ActorID)+` AND actor_id <> ''`)
	}
	if q.Action != "" {
		// A prefix, taken literally: LIKE would read % and _.
		w.conds = append(w.conds, `starts_with(action, `+w.arg(q.Action)+`)`)
	}
	if q.Target != "" {
		w.conds = append(w.conds, `target = `+w.arg(q.Target)+` AND target <> ''`)
	}
	if q.Outcome != "" {
		w.add(`outcome = `, q.Outcome)
	}
	if !q.Since.IsZero() {
		w.add(`at >= `, q.Since)
	}
	if !q.Until.IsZero() {
		w.add(`at < `, q.Until)
	}
	if hasCursor {
		w.add(`id < `, afterID)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_log` + w.sql() + ` ORDER BY id DESC LIMIT ` + w.arg(n+1)
	page.Items, err = collectPeople(ctx, s.q(), query, w.args, func(r pgx.CollectableRow) (charging.AuditEntry, error) {
		var e charging.AuditEntry
		var role string
		if err := r.Scan(&e.ID, &e.At, &e.ActorKind, &e.ActorID, &e.ActorName, &role, &e.Action, &e.Target,
			&e.RemoteAddr, &e.Status, &e.Outcome, &e.Detail); err != nil {
			return charging.AuditEntry{}, err
		}
		e.At, e.Role = utc(e.At), charging.Role(role)
		return e, nil
	})
	if err != nil {
		return charging.Page[charging.AuditEntry]{}, fmt.Errorf("postgres: list audit: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}
