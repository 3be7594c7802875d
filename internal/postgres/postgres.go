package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/joule-ev/joule/internal/charging"
)

// Store is a charging.Store on PostgreSQL. Outside a unit of work it uses
// the pool; inside one (Update), its methods run on the unit's transaction.
type Store struct {
	*core
	tx pgx.Tx // nil outside a unit of work
}

// core is what a Store and the units of work it runs share.
type core struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// conflicts notes the serialization failures of units' statements.
	conflicts *conflictTracer
	// parts is how far the meter log's day partitions exist (meter.go).
	parts meterPartitions
	// touch holds last-seen times not written yet (touch.go).
	touch touches
}

var _ charging.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	migrate  bool
	maxConns int32
	schema   string
}

// WithSchema keeps Joule's tables in the named schema (it must exist),
// for a database shared with other applications, and for tests.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithMigrate(false) opens the store without applying pending migrations
// (joule migrate status). By default Open migrates.
func WithMigrate(on bool) Option { return func(o *options) { o.migrate = on } }

// WithMaxConns bounds the connection pool (default: defaultMaxConns,
// unless the URL sets pool_max_conns).
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// defaultMaxConns is the pool's size when neither WithMaxConns nor the URL
// says. A unit of work holds its connection until its COMMIT is flushed,
// and PostgreSQL flushes the commits waiting together in one write: the
// pool bounds how many share a flush. pgxpool's own default (the larger of
// 4 and the CPUs) held a node to about 4 commits per WAL flush.
const defaultMaxConns = 16

// Open connects to the database at url (a PostgreSQL URL or keyword/value
// connection string) and, unless WithMigrate(false), applies pending
// migrations.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{migrate: true}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", redact(err))
	}
	switch {
	case o.maxConns > 0:
		cfg.MaxConns = o.maxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns)
	}
	// Every connection speaks UTC: timestamptz comes back in UTC and
	// date arithmetic in SQL (partitions) is in UTC.
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	conflicts := &conflictTracer{}
	cfg.ConnConfig.Tracer = conflicts
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", redact(err))
	}
	s := &Store{core: &core{pool: pool, now: time.Now, conflicts: conflicts}}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", redact(err))
	}
	if o.migrate {
		if err := s.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
		if err := s.EnsureMeterPartitions(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	} else if err := s.checkSchemaNotNewer(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.startTouches()
	return s, nil
}

// redact keeps a connection error from carrying the password: pgx's
// connect errors name the host and user, never the password, but a parse
// error may quote the URL.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string (not shown: it may hold a password)")
	}
	return err
}

// Close closes the pool. A Store returned to a unit of work must not be
// closed.
func (s *Store) Close() error {
	if s.tx != nil {
		return errors.New("postgres: Close inside a unit of work")
	}
	err := s.stopTouches()
	s.pool.Close()
	return err
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Pool is the store's connection pool (leader election, benchmarks).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// querier is what a method runs its SQL on: the pool, or the unit's
// transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error)
}

// q returns where a method's SQL runs: the unit's transaction inside a
// unit of work, else the pool (each statement autocommitted).
func (s *Store) q() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.pool
}

// maxAttempts bounds how often a unit runs when PostgreSQL keeps failing
// it for serialization.
const maxAttempts = 20

// Update runs fn as one unit of work: one SERIALIZABLE transaction, run
// again from the start on a serialization failure or deadlock. Inside a
// unit, Update nests (a savepoint).
func (s *Store) Update(ctx context.Context, fn func(tx charging.Tx) error) error {
	if fn == nil {
		return nil
	}
	return s.write(ctx, func(u *Store) error { return fn(u) })
}

// write runs fn as one unit: inside a unit of work in a savepoint of its
// own (a failing fn leaves nothing behind), else in a serializable
// transaction retried on serialization failures. Write methods that issue
// more than one statement use it.
func (s *Store) write(ctx context.Context, fn func(u *Store) error) error {
	if s.tx != nil {
		sp, err := s.tx.Begin(ctx) // a savepoint
		if err != nil {
			return mapErr(err)
		}
		if err := fn(&Store{core: s.core, tx: sp}); err != nil {
			_ = sp.Rollback(context.WithoutCancel(ctx))
			return err
		}
		return mapErr(sp.Commit(ctx))
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = s.attempt(ctx, fn)
		if !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
		// A little jitter-free backoff: the conflicting unit is usually
		// done within a millisecond or two.
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * time.Millisecond):
		}
	}
}

func (s *Store) attempt(ctx context.Context, fn func(u *Store) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return mapErr(err)
	}
	conn := tx.Conn()
	s.conflicts.seen.Delete(conn)
	if err := fn(&Store{core: s.core, tx: tx}); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		// A statement of the unit failed for serialization, and fn
		// returned an error that does not say so (it handled the failure,
		// or wrapped it with %v): the unit is run again all the same, as
		// what fn decided may rest on the failed statement.
		if pe, ok := s.conflicts.seen.LoadAndDelete(conn); ok && !retryable(err) {
			return fmt.Errorf("%w (after %w)", err, pe.(error))
		}
		return err
	}
	s.conflicts.seen.Delete(conn)
	return mapErr(tx.Commit(ctx))
}

// conflictTracer notes, per connection, the last serialization failure or
// deadlock of a statement run inside a transaction, for attempt.
type conflictTracer struct {
	seen sync.Map // *pgx.Conn → error
}

func (t *conflictTracer) note(conn *pgx.Conn, err error) {
	if retryable(err) && conn.PgConn().TxStatus() != 'I' {
		t.seen.Store(conn, err)
	}
}

func (t *conflictTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (t *conflictTracer) TraceQueryEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	t.note(conn, d.Err)
}

func (t *conflictTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (t *conflictTracer) TraceBatchQuery(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	t.note(conn, d.Err)
}

func (t *conflictTracer) TraceBatchEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchEndData) {
	t.note(conn, d.Err)
}

func (t *conflictTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return ctx
}

func (t *conflictTracer) TraceCopyFromEnd(_ context.Context, conn *pgx.Conn, d pgx.TraceCopyFromEndData) {
	t.note(conn, d.Err)
}

// retryable reports whether err is PostgreSQL telling a transaction to try
// again: serialization_failure (40001) or deadlock_detected (40P01).
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// PostgreSQL error codes the store maps.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeDiskFull            = "53100"
)

// mapErr turns driver errors into the store's: no rows is ENOTFOUND, a
// unique violation ECONFLICT, a full disk ESTORAGEFULL. A serialization
// failure is returned as it is (wrapped), so that write retries it.
// Methods that can say more (which charger was not found) map those cases
// themselves first.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return charging.Errorf(charging.ENOTFOUND, "not found")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %w", charging.Errorf(charging.ECONFLICT, "already exists (%s)", pe.ConstraintName), err)
		case codeDiskFull:
			return fmt.Errorf("%w: %w", charging.Errorf(charging.ESTORAGEFULL, "the database's disk is full"), err)
		}
	}
	return fmt.Errorf("postgres: %w", err)
}

// isCode reports whether err is a PostgreSQL error with the code.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// utc returns t in UTC (timestamptz comes back in the session's zone,
// which Open sets to UTC; this keeps the contract when a URL overrides it).
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is utc for a nullable time.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
