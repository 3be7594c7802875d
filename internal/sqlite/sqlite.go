package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ charging.Store = (*Store)(nil)

// Store is a charging.Store on one SQLite database file. It is safe for
// concurrent use. See the package documentation for its connection strategy.
//
// Inside a unit of work (Update) the same type is the charging.Tx the
// caller's function gets: tx is then the shared write transaction, every
// read and write runs on it, and each write method runs in a SAVEPOINT of
// its own, so a method that fails undoes only its own part.
type Store struct {
	*core
	tx   *sql.Tx    // nil outside a unit of work
	unit *unitState // with tx: what takes effect when the unit commits
}

// core is what a Store and the units of work it runs share.
type core struct {
	w *sql.DB // writer: exactly one connection, BEGIN IMMEDIATE
	r *sql.DB // readers: query_only connections; == w for ":memory:"

	// Statements of the hot path (AddMeterSamples), prepared once on w.
	updateSession *sql.Stmt
	// unitReads are the hot reads of units of work (unitReadSQL),
	// prepared once on w by SQL text; read-only after Open.
	unitReads map[string]*sql.Stmt

	dir string // the database's directory; "" for ":memory:"

	gc *committer    // runs every write: group commit (commit.go)
	cp *checkpointer // copies the WAL into the database (checkpoint.go); nil for ":memory:"
	ml *meterLog     // meter samples (meterlog.go)

	closeOnce sync.Once
	closeErr  error
	stmts     stmtCache // hot reads, prepared once per reader connection (prepared.go)

	remoteStart idBlock // remoteStartIds reserved, not yet handed out (devicemodel.go)
}

// Option changes how Open opens the store.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readConns   int
	migrate     bool
	batchHook   func(BatchInfo)
}

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process before failing with SQLITE_BUSY (default 5s). Within one Store,
// writes never wait on each other's locks: they queue for the writer.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithReadConns sets the size of the read pool (default: GOMAXPROCS, at least 4).
func WithReadConns(n int) Option {
	return func(o *options) { o.readConns = n }
}

// WithMigrate says whether Open applies pending migrations (default true).
// With false, `joule migrate status` can inspect a database without
// changing it, and Migrate applies them later.
func WithMigrate(on bool) Option {
	return func(o *options) { o.migrate = on }
}

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations. The file's directory is created if missing. Path
// ":memory:" opens a private in-memory database with a single connection,
// for tests; temp files are closer to production.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 5 * time.Second, readConns: max(4, runtime.GOMAXPROCS(0)), migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.busyTimeout < 0 || o.readConns < 1 {
		return nil, fmt.Errorf("sqlite: open: invalid options (busy timeout %v, read conns %d)", o.busyTimeout, o.readConns)
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}

	busy := "_pragma=busy_timeout(" + strconv.FormatInt(o.busyTimeout.Milliseconds(), 10) + ")"
	// synchronous=FULL: in WAL mode the WAL is fsynced at every commit, so a
	// committed transaction survives power loss. NORMAL only survives an
	// application crash, which is not enough to acknowledge a message.
	writeParams := busy + "&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	readParams := busy + "&_pragma=foreign_keys(1)&_pragma=query_only(1)"

	s := &Store{core: &core{}}
	if path == ":memory:" {
		w, err := openPool(":memory:?"+writeParams, 1)
		if err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		s.w, s.r = w, w
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		s.dir = filepath.Dir(abs)
		// A file: URI, so that '?' or '#' in the path cannot be taken for
		// the start of the parameters.
		u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		if s.w, err = openPool(u+"?"+writeParams, 1); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		// The writer connection exists now and has switched the file to
		// WAL, which readers need in order not to block the writer.
		if s.r, err = openPool(u+"?"+readParams, o.readConns); err != nil {
			s.w.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		if s.cp, err = startCheckpointer(u+"?"+busy, abs+"-wal"); err != nil {
			s.r.Close()
			s.w.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}

	mlDir := ""
	if path != ":memory:" {
		abs, _ := filepath.Abs(path)
		mlDir = meterLogDir(abs)
	}
	ml, err := openMeterLog(mlDir)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.ml = ml
	s.gc = newCommitter(s.w, ml, o.batchHook, s.r == s.w)
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	} else if err := s.checkSchemaNotNewer(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openPool opens a pool of at most n connections and checks that the first
// one works (the DSN pragmas run when a connection opens).
func openPool(dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// prepare prepares the hot-path statements. Migrations must have run: a
// statement is compiled against the schema.
func (s *Store) prepare(ctx context.Context) error {
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.AppliedAt == nil {
			// WithMigrate(false) on a database that is behind: only
			// MigrationStatus and Migrate work on this Store; the data
			// methods report errNotMigrated.
			return nil
		}
	}
	if s.updateSession, err = s.w.PrepareContext(ctx, updateSessionSQL); err != nil {
		return fmt.Errorf("sqlite: prepare update session: %w", err)
	}
	s.unitReads = make(map[string]*sql.Stmt, len(unitReadSQL))
	for _, q := range unitReadSQL {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		s.unitReads[q] = st
	}
	for _, q := range readSQL {
		if _, err := s.readStmt(ctx, q); err != nil && !errors.Is(err, errNoCache) {
			return fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
	}
	return nil
}

// Close closes the database. It waits for running operations to finish.
// Closing again returns the first Close's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	var errs []error
	if s.gc != nil {
		s.gc.close() // runs what is queued, flushes last-seen times
		if s.w != nil {
			errs = append(errs, s.closePresence())
		}
	}
	if s.ml != nil {
		errs = append(errs, s.ml.close())
	}
	if s.cp != nil {
		errs = append(errs, s.cp.close())
	}
	errs = append(errs, s.stmts.close())
	for _, st := range []*sql.Stmt{s.updateSession} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, st := range s.unitReads {
		errs = append(errs, st.Close())
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping checks that both the writer and a reader can run a statement.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.gc.full.err(); err != nil {
		return err
	}
	if s.dir != "" {
		if free, err := freeBytes(s.dir); err == nil && free < minFreeBytes {
			return charging.Errorf(charging.ESTORAGEFULL, "the disk of %s has %d MiB free, under the %d MiB Joule needs to write safely", s.dir, free>>20, minFreeBytes>>20)
		}
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping reader: %w", err)
	}
	if err := s.w.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping writer: %w", err)
	}
	return nil
}

// write runs fn in a write transaction and returns once that transaction
// is committed (durable) or fn failed. Every mutation goes through here.
// The transaction is shared with other callers (group commit, commit.go):
// fn runs in its own SAVEPOINT on the committer goroutine, so it must
// only use tx (never the Store's other methods, which would deadlock),
// must not keep tx, and may run again if the shared transaction is lost
// before fn's result is final. A failing fn rolls back only its own work.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if s.tx != nil {
		if err := s.nested(fn); err != nil {
			return fmt.Errorf("sqlite: %s: %w", op, err)
		}
		return nil
	}
	if err := s.gc.do(ctx, fn); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return nil
}

// sqliteCode returns the extended result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var e *sqlitedrv.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// minFreeBytes is the free space under which the store reports itself not
// ready: SQLite needs room for its WAL and checkpoints, the meter log for
// its compactions, before writes start failing.
const minFreeBytes = 64 << 20

// errNotMigrated is returned by data methods of a Store opened with
// WithMigrate(false) on a database with pending migrations.
var errNotMigrated = errors.New("database schema is not up to date (run joule migrate up)")

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKey(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isMissingCharger reports whether err is a write refused because it names
// a charger that does not exist: a foreign key (connectors, device
// variables) or the triggers that check sessions and reservations
// (migration 0011), which outlive their charger and so have no foreign key.
func isMissingCharger(err error) bool {
	return isForeignKey(err) ||
		sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_TRIGGER && strings.Contains(err.Error(), "charger not found")
}

// Times are stored as INTEGER unix microseconds: they sort and compare as
// numbers, and microseconds are what PostgreSQL keeps too.

func toMicro(t time.Time) int64 { return t.UnixMicro() }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicro(n.Int64)
	return &t
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

func floatPtr(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	f := n.Float64
	return &f
}

// Cursors are opaque to clients: base64url of a JSON array holding the sort
// key of the last item of the previous page (keyset pagination, so a page
// is stable under concurrent inserts).

func encodeCursor(key ...any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("sqlite: encode cursor: %v", err)) // only strings and ints: cannot fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor decodes a cursor into the pointers in key; it reports whether
// there was a cursor at all.
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

// limit returns the page size for a query's Limit.
func limit(n, def int) (int, error) {
	switch {
	case n < 0:
		return 0, charging.Errorf(charging.EINVALID, "limit %d is negative", n)
	case n == 0:
		return def, nil
	}
	return n, nil
}

// placeholders returns "?, ?, ?" for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
