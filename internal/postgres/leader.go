package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeaderKey returns the advisory lock key of the node that runs a
// cluster's background work (pending-start expiry, reservation expiry,
// lost-session sweeps, meter retention). Advisory locks are per database,
// so the key is derived from the schema Joule's tables are in: two
// deployments in one database (or parallel tests) elect apart.
func (s *Store) LeaderKey(ctx context.Context) (int64, error) {
	var schema string
	if err := s.pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("joule-leader\x00" + schema))
	return int64(h.Sum64()), nil
}

// Leader elects one node of a cluster: the one whose connection holds a
// PostgreSQL advisory lock. The lock lives as long as that connection, so
// a node that dies or loses the database lets another take over as soon
// as PostgreSQL notices the connection is gone; the others try again
// every Retry. A leader checks its connection every Retry too and steps
// down when it fails. The work leaders do must stay safe if two nodes
// briefly both believe they lead (a partitioned node's old connection):
// Joule's sweeps are units of work that re-check what they change.
type Leader struct {
	s     *Store
	key   int64
	retry time.Duration
	log   *slog.Logger
	held  atomic.Bool
	done  chan struct{}
}

// NewLeader starts campaigning for key on a connection of its own until
// ctx ends (then the lock is released). retry 0 means 2 s.
func (s *Store) NewLeader(ctx context.Context, key int64, retry time.Duration, log *slog.Logger) *Leader {
	if retry <= 0 {
		retry = 2 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Leader{s: s, key: key, retry: retry, log: log, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

// IsLeader reports whether this node holds the lock now.
func (l *Leader) IsLeader() bool { return l.held.Load() }

// Done is closed once the leader stopped campaigning (ctx ended) and let go.
func (l *Leader) Done() <-chan struct{} { return l.done }

func (l *Leader) run(ctx context.Context) {
	defer close(l.done)
	t := time.NewTicker(l.retry)
	defer t.Stop()
	var conn *pgx.Conn
	defer func() {
		l.held.Store(false)
		if conn != nil {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = conn.Exec(c, "SELECT pg_advisory_unlock($1)", l.key)
			conn.Close(c)
			cancel()
		}
	}()
	for {
		l.step(ctx, &conn)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// step tries to take the lock, or checks that the connection holding it
// still works.
func (l *Leader) step(ctx context.Context, conn **pgx.Conn) {
	c, cancel := context.WithTimeout(ctx, l.retry)
	defer cancel()
	if *conn == nil {
		cc, err := pgx.ConnectConfig(c, l.s.pool.Config().ConnConfig.Copy())
		if err != nil {
			l.log.Debug("leader election: connect", "err", err)
			return
		}
		*conn = cc
	}
	if l.held.Load() {
		if _, err := (*conn).Exec(c, "SELECT 1"); err != nil {
			l.log.Warn("leader election: lost the database connection; stepping down", "err", err)
			l.held.Store(false)
			(*conn).Close(context.Background())
			*conn = nil
		}
		return
	}
	var got bool
	if err := (*conn).QueryRow(c, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&got); err != nil {
		l.log.Debug("leader election: try lock", "err", err)
		(*conn).Close(context.Background())
		*conn = nil
		return
	}
	if got {
		l.log.Info("this node now runs the cluster's background work (leader)")
		l.held.Store(true)
	}
}
