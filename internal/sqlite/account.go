package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Users, sign-in tokens, API keys and the audit log (migration 0012).
// Emails compare case-insensitively (users.email is NOCASE), app id tags
// as id tags do.

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
	FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (charging.User, error) {
	var u charging.User
	var role string
	var created, updated int64
	var lastLogin sql.NullInt64
	dest := append(extra, &u.ID, &u.Email, &u.Name, &role, &u.Disabled, &u.PasswordHash, &u.Subject, &u.AppIDTag,
		&created, &updated, &lastLogin, &u.DriverGroup)
	if err := row.Scan(dest...); err != nil {
		return charging.User{}, err
	}
	u.Role = charging.Role(role)
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	u.LastLoginAt = timePtr(lastLogin)
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
// ECONFLICT naming the rule; other errors are returned unchanged.
func userConflict(err error, u *charging.User) error {
	if !isUnique(err) {
		return err
	}
	// SQLite names the columns of the violated index in the message.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "users.email"):
		return charging.Errorf(charging.ECONFLICT, "a user with email %s already exists", u.Email)
	case strings.Contains(msg, "users.subject"):
		return charging.Errorf(charging.ECONFLICT, "a user with subject %q already exists", u.Subject)
	case strings.Contains(msg, "users.app_id_tag"):
		return charging.Errorf(charging.ECONFLICT, "a user with app id tag %s already exists", u.AppIDTag)
	case strings.Contains(msg, "users.id"):
		return charging.Errorf(charging.ECONFLICT, "user %s already exists", u.ID)
	}
	return charging.Errorf(charging.ECONFLICT, "user %s conflicts with a stored user", u.ID)
}

// CreateUser inserts the user and, when tag is not nil, the tag owned by
// the user, in one transaction: on any conflict neither is written.
func (s *Store) CreateUser(ctx context.Context, u charging.User, tag *charging.IDTag, token *charging.AuthToken) error {
	op := "create user " + u.ID
	if err := checkUser(&u); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	var t charging.IDTag
	if tag != nil {
		if tag.IDTag == "" {
			return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "id tag is empty"))
		}
		t = *tag
		t.OwnerID = u.ID
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Name, string(u.Role), u.Disabled, u.PasswordHash, u.Subject, u.AppIDTag,
			toMicro(u.CreatedAt), toMicro(u.UpdatedAt), nullTime(u.LastLoginAt), u.DriverGroup)
		if err != nil {
			return userConflict(err, &u)
		}
		if tag != nil {
			if err := insertIDTag(ctx, tx, &t); err != nil {
				return err
			}
		}
		return insertToken(ctx, tx, token)
	})
}

func (s *Store) getUser(ctx context.Context, op, where string, arg string) (charging.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return charging.User{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.ENOTFOUND, "%s not found", strings.TrimPrefix(op, "get ")))
	}
	if err != nil {
		return charging.User{}, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return u, nil
}

// GetUser returns the user with the id.
func (s *Store) GetUser(ctx context.Context, id string) (charging.User, error) {
	return s.getUser(ctx, "get user "+id, `id = ?`, id)
}

// GetUserByEmail returns the user with the email, in any case.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (charging.User, error) {
	return s.getUser(ctx, "get user with email "+email, `email = ?`, email)
}

// GetUserBySubject returns the user who signs in with the OIDC subject.
func (s *Store) GetUserBySubject(ctx context.Context, subject string) (charging.User, error) {
	op := fmt.Sprintf("get user with subject %q", subject)
	if subject == "" {
		return charging.User{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.ENOTFOUND, "user with an empty subject not found"))
	}
	return s.getUser(ctx, op, `subject = ?`, subject)
}

// UpdateUser overwrites the user's fields but CreatedAt, which keeps the
// value of CreateUser; with revokeTokens, it deletes the user's sign-in
// tokens in the same transaction.
func (s *Store) UpdateUser(ctx context.Context, u charging.User, revokeTokens bool, token *charging.AuthToken) error {
	op := "update user " + u.ID
	if err := checkUser(&u); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, name = ?, role = ?, disabled = ?, password_hash = ?,
			subject = ?, app_id_tag = ?, updated_at = ?, last_login_at = ?, driver_group = ? WHERE id = ?`,
			u.Email, u.Name, string(u.Role), u.Disabled, u.PasswordHash, u.Subject, u.AppIDTag,
			toMicro(u.UpdatedAt), nullTime(u.LastLoginAt), u.DriverGroup, u.ID)
		if err != nil {
			return userConflict(err, &u)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "user %s not found", u.ID)
		}
		if revokeTokens {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = ?`, u.ID); err != nil {
				return fmt.Errorf("revoke tokens: %w", err)
			}
		}
		return insertToken(ctx, tx, token)
	})
}

// DeleteUser deletes the user and their tokens in one transaction. Their
// id tags lose their owner and are blocked (a card the operator may hand
// to someone else; UpdatedAt is the time of the delete); their sessions
// keep the owner's id, as history.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	now := toMicro(time.Now())
	return s.write(ctx, "delete user "+id, func(tx *sql.Tx) error {
		if err := oneRow(tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id))("user " + id + " not found"); err != nil {
			return err
		}
		// The foreign key's ON DELETE CASCADE has deleted them already;
		// this does not depend on it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE id_tags SET owner_id = '', status = ?, updated_at = ?
			WHERE owner_id = ? AND owner_id <> ''`, string(charging.AuthBlocked), now, id); err != nil {
			return fmt.Errorf("id tags: %w", err)
		}
		return nil
	})
}

// ListUsers returns users ordered by email (case-insensitively).
func (s *Store) ListUsers(ctx context.Context, q charging.UserQuery) (charging.Page[charging.User], error) {
	var page charging.Page[charging.User]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list users: %w", err)
	}
	if q.Role != "" && !q.Role.Valid() {
		return page, fmt.Errorf("sqlite: list users: %w", charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", q.Role))
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("sqlite: list users: %w", err)
	}
	var where []string
	var args []any
	if q.Role != "" {
		where, args = append(where, `role = ?`), append(args, string(q.Role))
	}
	if hasCursor {
		where, args = append(where, `email > ?`), append(args, after)
	}
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY email LIMIT ?`
	args = append(args, n+1)
	page.Items, err = queryList(ctx, s.rd(), query, args, func(r *sql.Rows) (charging.User, error) { return scanUser(r) })
	if err != nil {
		return charging.Page[charging.User]{}, fmt.Errorf("sqlite: list users: %w", err)
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
	if err := s.rd().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	return n, nil
}

// queryList runs a list query and scans every row.
func queryList[T any](ctx context.Context, db querier, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// CreateToken stores a sign-in token of an existing user.
func (s *Store) CreateToken(ctx context.Context, t charging.AuthToken) error {
	if t.Hash == "" {
		return fmt.Errorf("sqlite: create token: %w", charging.Errorf(charging.EINVALID, "token hash is empty"))
	}
	return s.write(ctx, "create token of user "+t.UserID, func(tx *sql.Tx) error { return insertToken(ctx, tx, &t) })
}

// insertToken inserts a sign-in token (nil: nothing) in tx.
func insertToken(ctx context.Context, tx *sql.Tx, t *charging.AuthToken) error {
	if t == nil {
		return nil
	}
	if t.Hash == "" {
		return charging.Errorf(charging.EINVALID, "token hash is empty")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO auth_tokens (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		t.Hash, t.UserID, toMicro(t.CreatedAt), toMicro(t.ExpiresAt))
	switch {
	case isForeignKey(err):
		return charging.Errorf(charging.ENOTFOUND, "user %s not found", t.UserID)
	case isUnique(err):
		return charging.Errorf(charging.ECONFLICT, "the token already exists")
	}
	return err
}

// GetToken returns the token with the hash and its user, expired or not:
// the caller checks ExpiresAt (and the user's Disabled).
func (s *Store) GetToken(ctx context.Context, hash string) (charging.AuthToken, charging.User, error) {
	var t charging.AuthToken
	var created, expires int64
	u, err := scanUser(s.queryRow(ctx, getTokenSQL, hash), &t.Hash, &t.UserID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is a credential: it is not repeated in the error.
		return charging.AuthToken{}, charging.User{}, fmt.Errorf("sqlite: get token: %w", charging.Errorf(charging.ENOTFOUND, "token not found"))
	}
	if err != nil {
		return charging.AuthToken{}, charging.User{}, fmt.Errorf("sqlite: get token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt = fromMicro(created), fromMicro(expires)
	return t, u, nil
}

// DeleteToken deletes the token with the hash (signing out).
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	return s.write(ctx, "delete token", func(tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE hash = ?`, hash))("token not found")
	})
}

// DeleteExpiredTokens deletes the tokens that expired before now and
// returns how many.
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, "delete expired tokens", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM auth_tokens WHERE expires_at < ?`, toMicro(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// oneRow turns the result of a DELETE or UPDATE of one row into
// ENOTFOUND (with the message) when no row was changed.
func oneRow(res sql.Result, err error) func(notFound string) error {
	return func(notFound string) error {
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return charging.Errorf(charging.ENOTFOUND, "%s", notFound)
		}
		return nil
	}
}

const apiKeyColumns = `id, name, role, hash, prefix, created_by, created_at, expires_at, last_used_at`

func scanAPIKey(row interface{ Scan(...any) error }) (charging.APIKey, error) {
	var k charging.APIKey
	var role string
	var created int64
	var expires, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Hash, &k.Prefix, &k.CreatedBy, &created, &expires, &used); err != nil {
		return charging.APIKey{}, err
	}
	k.Role = charging.Role(role)
	k.CreatedAt = fromMicro(created)
	k.ExpiresAt, k.LastUsedAt = timePtr(expires), timePtr(used)
	return k, nil
}

// CreateAPIKey stores an API key.
func (s *Store) CreateAPIKey(ctx context.Context, k charging.APIKey) error {
	op := "create API key " + k.ID
	switch {
	case k.ID == "":
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "API key id is empty"))
	case k.Hash == "":
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "API key hash is empty"))
	case !k.Role.Valid():
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", k.Role))
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, string(k.Role), k.Hash, k.Prefix, k.CreatedBy, toMicro(k.CreatedAt), nullTime(k.ExpiresAt), nullTime(k.LastUsedAt))
		switch {
		case isUnique(err) && strings.Contains(err.Error(), "api_keys.hash"):
			return charging.Errorf(charging.ECONFLICT, "an API key with the same hash already exists")
		case isUnique(err):
			return charging.Errorf(charging.ECONFLICT, "API key %s already exists", k.ID)
		}
		return err
	})
}

// GetAPIKeyByHash returns the API key with the hash, expired or not.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash string) (charging.APIKey, error) {
	k, err := scanAPIKey(s.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return charging.APIKey{}, fmt.Errorf("sqlite: get API key: %w", charging.Errorf(charging.ENOTFOUND, "API key not found"))
	}
	if err != nil {
		return charging.APIKey{}, fmt.Errorf("sqlite: get API key: %w", err)
	}
	return k, nil
}

// ListAPIKeys returns API keys, newest (CreatedAt, then ID) first.
func (s *Store) ListAPIKeys(ctx context.Context, q charging.APIKeyQuery) (charging.Page[charging.APIKey], error) {
	var page charging.Page[charging.APIKey]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list API keys: %w", err)
	}
	var afterCreated int64
	var afterID string
	hasCursor, err := decodeCursor(q.Cursor, &afterCreated, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list API keys: %w", err)
	}
	query := `SELECT ` + apiKeyColumns + ` FROM api_keys`
	var args []any
	if hasCursor {
		query += ` WHERE (created_at, id) < (?, ?)`
		args = append(args, afterCreated, afterID)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, n+1)
	page.Items, err = queryList(ctx, s.rd(), query, args, func(r *sql.Rows) (charging.APIKey, error) { return scanAPIKey(r) })
	if err != nil {
		return charging.Page[charging.APIKey]{}, fmt.Errorf("sqlite: list API keys: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		last := page.Items[n-1]
		page.NextCursor = encodeCursor(toMicro(last.CreatedAt), last.ID)
	}
	return page, nil
}

// DeleteAPIKey deletes the API key: it stops working at once.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	return s.write(ctx, "delete API key "+id, func(tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id))("API key " + id + " not found")
	})
}

// TouchAPIKey sets the key's last-used time.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return s.write(ctx, "touch API key "+id, func(tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, toMicro(at), id))("API key " + id + " not found")
	})
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
		return 0, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "audit action is empty"))
	case !validOutcome(e.Outcome):
		return 0, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "audit outcome %q is not one of success, denied, rejected, error", e.Outcome))
	}
	var id int64
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, role, action, target,
			remote_addr, status, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			toMicro(e.At), e.ActorKind, e.ActorID, e.ActorName, string(e.Role), e.Action, e.Target,
			e.RemoteAddr, e.Status, e.Outcome, e.Detail)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// ListAudit returns matching audit entries, newest (highest ID) first.
func (s *Store) ListAudit(ctx context.Context, q charging.AuditQuery) (charging.Page[charging.AuditEntry], error) {
	var page charging.Page[charging.AuditEntry]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list audit: %w", err)
	}
	var afterID int64
	hasCursor, err := decodeCursor(q.Cursor, &afterID)
	if err != nil {
		return page, fmt.Errorf("sqlite: list audit: %w", err)
	}
	var where []string
	var args []any
	if q.ActorID != "" {
		where, args = append(where, `actor_id = ? AND actor_id <> ''`), append(args, q.ActorID)
	}
	if q.Action != "" {
		// A prefix, taken literally: LIKE and GLOB would read % _ * ? [.
		where, args = append(where, `instr(action, ?) = 1`), append(args, q.Action)
	}
	if q.Target != "" {
		where, args = append(where, `target = ? AND target <> ''`), append(args, q.Target)
	}
	if q.Outcome != "" {
		where, args = append(where, `outcome = ?`), append(args, q.Outcome)
	}
	if !q.Since.IsZero() {
		where, args = append(where, `at >= ?`), append(args, toMicro(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, `at < ?`), append(args, toMicro(q.Until))
	}
	if hasCursor {
		where, args = append(where, `id < ?`), append(args, afterID)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, n+1)
	page.Items, err = queryList(ctx, s.rd(), query, args, func(r *sql.Rows) (charging.AuditEntry, error) {
		var e charging.AuditEntry
		var at int64
		var role string
		if err := r.Scan(&e.ID, &at, &e.ActorKind, &e.ActorID, &e.ActorName, &role, &e.Action, &e.Target,
			&e.RemoteAddr, &e.Status, &e.Outcome, &e.Detail); err != nil {
			return charging.AuditEntry{}, err
		}
		e.At, e.Role = fromMicro(at), charging.Role(role)
		return e, nil
	})
	if err != nil {
		return charging.Page[charging.AuditEntry]{}, fmt.Errorf("sqlite: list audit: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}
