package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// Cursors are opaque to clients: base64url of a JSON array holding the sort
// key of the last item of the previous page (keyset pagination, so a page
// is stable under concurrent inserts), as the SQLite store's. Times in a
// cursor are unix microseconds.

// encodeCursor returns the cursor of a sort key (strings and integers).
func encodeCursor(key ...any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("postgres: encode cursor: %v", err)) // only strings and ints: cannot fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor decodes a cursor into the pointers in key; it reports
// whether there was a cursor at all. A cursor that does not decode into
// key is EINVALID.
func decodeCursor(c string, key ...any) (bool, error) {
	if c == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var raw []json.RawMessage
		if err = json.Unmarshal(b, &raw); err == nil {
			if len(raw) != len(key) {
				err = errors.New("wrong length")
			}
			for i := 0; err == nil && i < len(key); i++ {
				err = json.Unmarshal(raw[i], key[i])
			}
		}
	}
	if err != nil {
		return false, charging.Errorf(charging.EINVALID, "invalid cursor %q", c)
	}
	return true, nil
}

// pageLimit returns the page size for a query's Limit: def for 0, EINVALID
// for a negative one.
func pageLimit(n, def int) (int, error) {
	switch {
	case n < 0:
		return 0, charging.Errorf(charging.EINVALID, "limit %d is negative", n)
	case n == 0:
		return def, nil
	}
	return n, nil
}

// statusIn returns a status filter as literals in a fixed order (order),
// so that it repeats a partial index's WHERE term (status = 'pending',
// status IN ('pending', 'active')) and the planner can use the index even
// with a generic plan of a cached statement. A status not in order is
// EINVALID, so no other text reaches the SQL.
func statusIn[S ~string](column string, order []string, statuses []S) (string, error) {
	for _, st := range statuses {
		if !slices.Contains(order, string(st)) {
			return "", charging.Errorf(charging.EINVALID, "unknown status %q", st)
		}
	}
	var lits []string
	for _, o := range order {
		if slices.Contains(statuses, S(o)) {
			lits = append(lits, "'"+o+"'")
		}
	}
	if len(lits) == 1 {
		return column + " = " + lits[0], nil
	}
	return column + " IN (" + strings.Join(lits, ", ") + ")", nil
}

// fail returns a method's error: a domain error (*charging.Error) as it
// is, a driver error mapped (mapErr), both wrapped with what failed.
func fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *charging.Error
	if errors.As(err, &de) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return fmt.Errorf("%s: %w", op, mapErr(err))
}

// stmt runs a write of one statement that may fail on a constraint. Outside
// a unit of work the statement is autocommitted on the pool; inside one it
// runs in a savepoint of its own, so that a failing statement does not
// abort the unit's transaction and leaves nothing behind.
func (s *Store) stmt(ctx context.Context, fn func(q querier) error) error {
	if s.tx == nil {
		return fn(s.pool)
	}
	return s.write(ctx, func(u *Store) error { return fn(u.tx) })
}

// sqlWhere builds a WHERE clause with numbered parameters (the list
// methods' optional filters).
type sqlWhere struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *sqlWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add adds the condition prefix followed by the placeholder of v.
func (w *sqlWhere) add(prefix string, v any) {
	w.conds = append(w.conds, prefix+w.arg(v))
}

// add2 adds a condition of two parameters: prefix v1 mid v2 suffix.
func (w *sqlWhere) add2(prefix string, v1 any, mid string, v2 any, suffix string) {
	w.conds = append(w.conds, prefix+w.arg(v1)+mid+w.arg(v2)+suffix)
}

func (w *sqlWhere) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(w.conds, ` AND `)
}

// pageOf returns the page of items read with LIMIT n+1: at most n items
// (an empty list, never nil) and, when there were more, the cursor of the
// last one kept, made of the sort key that key returns.
func pageOf[T any](items []T, n int, key func(T) []any) charging.Page[T] {
	if items == nil {
		items = []T{}
	}
	p := charging.Page[T]{Items: items}
	if len(items) > n {
		p.Items = items[:n]
		p.NextCursor = encodeCursor(key(items[n-1])...)
	}
	return p
}
