package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	sqlite3 "modernc.org/sqlite/lib"
)

// Group commit. Every mutation goes through Store.write, which queues the
// caller's function for the committer goroutine and waits. The committer
// takes everything queued (up to maxBatch), runs each function inside its
// own SAVEPOINT of one BEGIN IMMEDIATE transaction, commits once (one WAL
// fsync under synchronous=FULL) and only then answers each caller with its
// own result. A function that fails is rolled back to its savepoint: its
// caller gets its error, the others in the batch commit. A caller is
// answered only after the commit that holds its work, so "durable before
// the CALLRESULT" still holds; under load the cost of one fsync is shared
// by every write in the batch.

// maxBatch bounds the writes of one transaction, so that one batch (and
// the latency of its first caller) stays short under a flood.
const maxBatch = 512

// liveFlushMax bounds the live values written by one timed flush: ~20 µs
// each, so a flush holds the writer for a few milliseconds at most.
const liveFlushMax = 128

// takeLives removes up to liveFlushMax entries (all with all) from m and
// returns them.
func takeLives(m map[string]charging.SessionLive, all bool) map[string]charging.SessionLive {
	if all || len(m) <= liveFlushMax {
		out := maps.Clone(m)
		clear(m)
		return out
	}
	out := make(map[string]charging.SessionLive, liveFlushMax)
	for id, l := range m {
		out[id] = l
		delete(m, id)
		if len(out) == liveFlushMax {
			break
		}
	}
	return out
}

// touchFlushInterval is how often last-seen times recorded by TouchCharger
// are written when no other write carries them sooner.
const touchFlushInterval = 2 * time.Second

// WriteStats counts the committer's work since Open.
type WriteStats struct {
	Batches uint64 // committed (or failed) transactions
	Writes  uint64 // write calls answered, successful or not
}

// BatchInfo describes one group-commit transaction, for metrics.
type BatchInfo struct {
	Writes   int           // write calls in the batch (abandoned ones excluded)
	Failed   int           // of which answered with an error
	Touches  int           // last-seen times flushed with the batch
	Duration time.Duration // from BEGIN to the end of COMMIT
	Run      time.Duration // of which running the writes
	Meter    time.Duration // committing the meter log (Pebble, synced)
	Commit   time.Duration // SQLite's COMMIT (its WAL synced; a checkpoint, if one runs)
	Err      error         // the BEGIN or COMMIT error, if the whole batch failed
}

// WithBatchHook calls fn after every group-commit transaction, on the
// committer goroutine: fn must be quick (update a metric) and must not
// call the Store.
func WithBatchHook(fn func(BatchInfo)) Option {
	return func(o *options) { o.batchHook = fn }
}

// Stats returns how many transactions and write calls the committer has
// run; Writes/Batches is the mean batch size.
func (s *Store) Stats() WriteStats {
	return WriteStats{Batches: s.gc.batches.Load(), Writes: s.gc.writes.Load()}
}

// errClosed answers writes queued after Close started.
var errClosed = errors.New("store is closed")

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

type writeReq struct {
	ctx   context.Context
	fn    func(tx *sql.Tx) error
	state atomic.Int32
	done  chan error // buffered: the committer never blocks on it
}

type committer struct {
	db   *sql.DB
	full diskFull // the last write failed for a full disk
	hook func(BatchInfo)
	ml   *meterLog   // the meter log, committed with every batch (meterlog.go)
	mb   *meterBatch // the running batch's meter writes; committer goroutine only

	staged []*unitState      // effects of the running batch's units; committer goroutine only
	moving []chargerPresence // the running batch's moves; committer goroutine only

	// vis is held for writing while a batch becomes visible (COMMIT, live
	// values, meter view), for reading by readers of sessions.
	vis sync.RWMutex
	// shared: readers use the committer's one connection (":memory:").
	// Then vis is held for the whole batch, taken before the connection:
	// a reader holding vis while it waits for the connection would
	// otherwise wait for a committer that holds the connection and waits
	// for vis.
	shared bool

	mu      sync.Mutex
	queue   []*writeReq
	touches map[string]presence             // charger id -> presence not yet written
	lives   map[string]charging.SessionLive // session id -> live values, not yet written
	writing map[string]charging.SessionLive // lives of the batch being committed
	seeing  map[string]presence             // touches of the batch being committed
	// moves are the connects and disconnects (SetChargerPresence) not yet
	// written to the presence log, in order: unlike touches they are not
	// merged, so a connect and a disconnect within one flush both count.
	moves  []chargerPresence
	closed bool

	wake chan struct{} // capacity 1
	done chan struct{} // closed when run returns

	batches, writes atomic.Uint64
}

func newCommitter(db *sql.DB, ml *meterLog, hook func(BatchInfo), shared bool) *committer {
	g := &committer{db: db, ml: ml, hook: hook, shared: shared, touches: map[string]presence{}, lives: map[string]charging.SessionLive{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go g.run()
	return g
}

func (g *committer) signal() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// do queues fn and waits for the commit that holds it (or for its error).
// A caller whose ctx ends while fn is still queued gets ctx.Err() and fn
// never runs; once fn runs, the caller waits for the batch to end.
func (g *committer) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errClosed
	}
	g.queue = append(g.queue, r)
	g.mu.Unlock()
	g.signal()
	select {
	case err := <-r.done:
		return g.full.note(err)
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		return g.full.note(<-r.done) // already running: its outcome is decided by the commit
	}
}

// diskFull remembers that a write failed because the disk is full, until a
// write succeeds: Ping reports it (readiness), and the failed write's error
// becomes ESTORAGEFULL so the API can say "try again later" (503) rather
// than "internal error".
type diskFull struct{ since atomic.Int64 } // unix nanoseconds; 0: not full

// note classifies a write's outcome and returns its error.
func (d *diskFull) note(err error) error {
	switch {
	case err == nil:
		d.since.Store(0)
	case isFull(err):
		d.since.CompareAndSwap(0, time.Now().UnixNano())
		return fmt.Errorf("%w: %w", charging.Errorf(charging.ESTORAGEFULL, "the disk is full: nothing was written; free some space (the data directory's disk) and try again"), err)
	}
	return err
}

// err is ESTORAGEFULL while the last write failed for a full disk.
func (d *diskFull) err() error {
	if t := d.since.Load(); t != 0 {
		return charging.Errorf(charging.ESTORAGEFULL, "the disk is full since %s: writes fail", time.Unix(0, t).UTC().Format(time.RFC3339))
	}
	return nil
}

// isFull reports a write that failed because the disk (or the database's
// page limit) is full: SQLite's SQLITE_FULL, or ENOSPC from the meter log
// or the file system.
func isFull(err error) bool {
	return sqliteCode(err)&0xff == sqlite3.SQLITE_FULL || errors.Is(err, syscall.ENOSPC)
}

// setPresence records a charger's presence (a touch: its last-seen time
// only) to be written with a later batch, merged with the one recorded.
func (g *committer) setPresence(id string, p presence) {
	g.mu.Lock()
	g.touches[id] = mergePresence(g.touches[id], p)
	if p.online != 0 {
		g.moves = append(g.moves, chargerPresence{id: id, p: p})
	}
	g.mu.Unlock()
}

// mergePresence returns the newer of old and p; what the newer one leaves
// unsaid (a touch says neither online nor version, a disconnect no
// version) comes from the older.
func mergePresence(old, p presence) presence {
	if p.us < old.us {
		old, p = p, old
	}
	if p.online == 0 {
		p.online = old.online
	}
	if p.version == "" {
		p.version = old.version
	}
	return p
}

// lastSeen returns a not yet written (or being written) presence of the
// charger.
func (g *committer) lastSeen(id string) (presence, bool) {
	g.mu.Lock()
	p, ok := g.touches[id]
	if w, wok := g.seeing[id]; wok {
		p, ok = mergePresence(w, p), true
	}
	g.mu.Unlock()
	return p, ok
}

// setLive records a session's live values to be written with a later
// batch; it keeps the latest per session.
func (g *committer) setLive(l charging.SessionLive) {
	g.mu.Lock()
	if old, ok := g.lives[l.SessionID]; !ok || !l.UpdatedAt.Before(old.UpdatedAt) {
		g.lives[l.SessionID] = newerLive(old, l)
	}
	g.mu.Unlock()
}

// newerLive returns l, which replaces old: a running cost old has and l
// has not is kept (a live update without a cost keeps the stored one).
func newerLive(old, l charging.SessionLive) charging.SessionLive {
	if l.Cost == nil {
		l.Cost = old.Cost
	}
	return l
}

// live returns the not yet written (or being written) live values of a
// session.
func (g *committer) live(id string) (charging.SessionLive, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l, ok := g.lives[id]; ok {
		return l, true
	}
	l, ok := g.writing[id]
	return l, ok
}

// stageLives sets the live values of the running batch's units and
// returns the function that takes them back.
func (g *committer) stageLives() (undo func()) {
	type prev struct {
		l  charging.SessionLive
		ok bool
	}
	var old map[string]prev
	g.mu.Lock()
	for _, u := range g.staged {
		for _, l := range u.lives {
			if old == nil {
				old = map[string]prev{}
			}
			if _, seen := old[l.SessionID]; !seen {
				p, ok := g.lives[l.SessionID]
				old[l.SessionID] = prev{p, ok}
			}
			if cur, ok := g.lives[l.SessionID]; !ok || !l.UpdatedAt.Before(cur.UpdatedAt) {
				g.lives[l.SessionID] = newerLive(cur, l)
			}
		}
	}
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		for id, p := range old {
			if p.ok {
				g.lives[id] = p.l
			} else {
				delete(g.lives, id)
			}
		}
		g.mu.Unlock()
	}
}

// meterBatch returns the running batch's meter writes, starting them on
// first use. Only functions running on the committer goroutine call it.
func (g *committer) meterBatch() *meterBatch {
	if g.mb == nil {
		g.mb = g.ml.newBatch()
	}
	return g.mb
}

// endMeterBatch drops (or after a commit, closes) the batch's meter writes.
func (g *committer) endMeterBatch(committed bool) {
	if g.mb == nil {
		return
	}
	if committed {
		g.mb.close()
	} else {
		g.mb.discard()
	}
	g.mb = nil
}

// forget drops a not yet written last-seen time of the charger (deleted:
// a time kept for it must not land on a new charger with the same id).
func (g *committer) forget(id string) {
	g.mu.Lock()
	delete(g.touches, id)
	g.moves = slices.DeleteFunc(g.moves, func(m chargerPresence) bool { return m.id == id })
	g.mu.Unlock()
}

// close stops accepting writes, lets the committer run what is queued and
// flush pending last-seen times, and waits for it to end.
func (g *committer) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.signal()
	<-g.done
}

func (g *committer) run() {
	defer close(g.done)
	tick := time.NewTicker(touchFlushInterval)
	defer tick.Stop()
	for {
		flushTouches := false
		select {
		case <-g.wake:
		case <-tick.C:
			flushTouches = true
		}
		for {
			g.mu.Lock()
			n := min(len(g.queue), maxBatch)
			batch := g.queue[:n:n]
			g.queue = g.queue[n:]
			if len(g.queue) == 0 {
				g.queue = nil // let the backing array go
			}
			closed := g.closed
			var touches map[string]presence
			if (n > 0 || flushTouches || closed) && (len(g.touches) > 0 || len(g.moves) > 0) {
				touches, g.touches = g.touches, map[string]presence{}
				g.seeing = touches
				g.moving, g.moves = g.moves, nil
			}
			var lives map[string]charging.SessionLive
			if (flushTouches || closed) && len(g.lives) > 0 {
				// Only on the timer, and at most liveFlushMax at a time
				// (all at Close): a session's live values are written at
				// most once per interval however often it reports, and a
				// flush never holds the writer for long. The rest wait,
				// read from memory meanwhile; a crash loses nothing the
				// meter log cannot rebuild.
				lives = takeLives(g.lives, closed)
				g.writing = lives
			}
			g.mu.Unlock()
			if n == 0 && touches == nil && lives == nil {
				if closed {
					return
				}
				break
			}
			g.commit(batch, touches, lives)
			flushTouches = false
		}
	}
}

// commit runs one batch. If the transaction itself is lost midway (a
// caller's context interrupted a statement, which makes SQLite roll back
// the whole transaction), the caller at fault gets its error and the rest
// run again in a new transaction.
func (g *committer) commit(batch []*writeReq, touches map[string]presence, lives map[string]charging.SessionLive) {
	todo := make([]*writeReq, 0, len(batch))
	for _, r := range batch {
		if r.state.CompareAndSwap(reqQueued, reqTaken) {
			todo = append(todo, r)
		}
	}
	for {
		info, results, aborted, err := g.runBatch(todo, touches, lives)
		if aborted >= 0 {
			// Everything before and after the culprit runs again; errors
			// already returned by functions before it stand.
			var again []*writeReq
			answers := map[*writeReq]error{}
			for i, r := range todo {
				switch {
				case i == aborted:
					answers[r] = err
				case i < aborted && results[i] != nil:
					answers[r] = results[i]
				default:
					again = append(again, r)
				}
			}
			g.writes.Add(uint64(len(answers)))
			for r, e := range answers {
				r.done <- e
			}
			todo = again
			continue
		}
		g.batches.Add(1) // before answering: a caller then sees its batch counted
		g.writes.Add(uint64(len(todo)))
		for i, r := range todo {
			switch {
			case results[i] != nil:
				r.done <- results[i]
			case err != nil:
				r.done <- err
			default:
				r.done <- nil
			}
		}
		g.mu.Lock()
		if err != nil {
			for id, p := range touches {
				g.touches[id] = mergePresence(g.touches[id], p)
			}
			g.moves = append(g.moving, g.moves...)
			for id, l := range lives {
				if old, ok := g.lives[id]; !ok || old.UpdatedAt.Before(l.UpdatedAt) {
					g.lives[id] = newerLive(old, l)
				}
			}
		}
		g.writing, g.seeing, g.moving = nil, nil, nil
		g.mu.Unlock()
		if g.hook != nil {
			g.hook(info)
		}
		return
	}
}

// runBatch runs todo in one transaction. results[i] is the error of
// todo[i]'s function (rolled back to its savepoint). err is a BEGIN or
// COMMIT error, which fails every function that succeeded; or, with
// aborted >= 0, the error that lost the transaction while running
// todo[aborted].
func (g *committer) runBatch(todo []*writeReq, touches map[string]presence, lives map[string]charging.SessionLive) (info BatchInfo, results []error, aborted int, err error) {
	start := time.Now()
	info = BatchInfo{Writes: len(todo), Touches: len(touches)}
	results = make([]error, len(todo))
	aborted = -1
	defer func() {
		info.Duration = time.Since(start)
		for _, e := range results {
			if e != nil {
				info.Failed++
			}
		}
		if err != nil && aborted < 0 {
			info.Err = err
			info.Failed = len(todo)
		}
	}()
	bg := context.Background()
	if g.shared {
		g.vis.Lock()
		defer g.vis.Unlock()
	}
	// Optimistic first: the writes run without a SAVEPOINT each (two
	// statements fewer per write, a fifth of the meter path's store CPU).
	// Should one fail, the whole transaction rolls back and the batch runs
	// again with a savepoint per write, so that only the failing write's
	// caller sees its error. Functions may run more than once anyway.
	var tx *sql.Tx
	lost := func() { _ = tx.Rollback(); g.endMeterBatch(false); g.staged = g.staged[:0] }
	for safe := false; ; safe = true {
		if tx, err = g.db.BeginTx(bg, nil); err != nil {
			return info, results, -1, fmt.Errorf("begin: %w", err)
		}
		g.staged = g.staged[:0]
		clear(results)
		if len(g.moving) > 0 {
			// Before the batch's writes, so that a SetAllOffline among
			// them closes the spans these open. Like last-seen times,
			// presence: a failure must not fail the batch.
			_ = writePresenceLog(bg, tx, g.moving)
		}
		again := false
		for i, r := range todo {
			if err := r.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if !safe {
				if ferr := call(r.fn, tx); ferr != nil {
					lost()
					again = true
					break
				}
				continue
			}
			if _, err := tx.ExecContext(bg, "SAVEPOINT w"); err != nil {
				lost()
				return info, results, i, err
			}
			mark, staged := g.mb.mark(), len(g.staged)
			if ferr := call(r.fn, tx); ferr != nil {
				results[i] = ferr
				g.staged = g.staged[:staged]
				if _, err := tx.ExecContext(bg, "ROLLBACK TO w"); err != nil {
					lost()
					return info, results, i, ferr
				}
				if err := g.mb.undo(mark); err != nil {
					lost()
					return info, results, i, err
				}
			}
			if _, err := tx.ExecContext(bg, "RELEASE w"); err != nil {
				lost()
				if results[i] != nil {
					return info, results, i, results[i]
				}
				return info, results, i, err
			}
		}
		if !again {
			break
		}
	}
	if len(touches) > 0 {
		// Presence only: on an error keep the batch and drop these times
		// (the next heartbeat brings a newer one).
		_ = writeTouches(bg, tx, touches)
	}

	if len(lives) > 0 {
		// Like last-seen times, live values are rebuilt when lost (from
		// the meter log); a failure here must not fail the batch.
		_ = writeLives(bg, tx, lives)
	}
	// The meter log first: once SQLite commits, the caller may be
	// answered, and its samples must be durable by then. Should SQLite
	// then fail, the callers get the error and their retries find their
	// samples stored (meterlog.go).
	info.Run = time.Since(start)
	meter := g.mb != nil && g.mb.dirty
	tm := time.Now()
	if g.mb != nil {
		if err := g.mb.commit(); err != nil {
			lost()
			return info, results, -1, err
		}
	}
	// The COMMIT, the live values and the meter log's new view become
	// visible together: readers of sessions hold vis for reading
	// (Store.visible), so none sees a unit's session without the samples
	// or the live values the unit wrote, nor those without the session.
	info.Meter = time.Since(tm)
	if !g.shared {
		g.vis.Lock()
	}
	undoLives := g.stageLives()
	tc := time.Now()
	err = tx.Commit()
	info.Commit = time.Since(tc)
	g.endMeterBatch(true) // committed in Pebble either way: its seqs are used
	if meter {
		g.ml.publish()
	}
	if err != nil {
		undoLives()
	}
	if !g.shared {
		g.vis.Unlock()
	}
	if err != nil {
		g.staged = g.staged[:0]
		return info, results, -1, fmt.Errorf("commit: %w", err)
	}
	for _, u := range g.staged {
		for _, t := range u.presences {
			g.setPresence(t.id, t.p)
		}
	}
	g.staged = g.staged[:0]
	return info, results, -1, nil
}

// call runs fn, turning a panic into an error for its caller alone.
func call(fn func(tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write: %v", p)
		}
	}()
	return fn(tx)
}

// presence is what a charger's connection says about it, kept in memory
// until a batch writes it: when it was last seen (unix µs) and, when
// online is not 0, whether it is online (1) or offline (2) and the OCPP
// version it speaks.
type presence struct {
	us      int64
	online  int8
	version string
}

// writeTouches writes presences inside their own savepoint, never moving a
// last-seen time backwards nor undoing a later write (a SaveCharger may
// have stored a newer one).
func writeTouches(ctx context.Context, tx *sql.Tx, touches map[string]presence) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT t"); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `UPDATE chargers SET last_seen_at = ?1,
		online = CASE ?2 WHEN 1 THEN 1 WHEN 2 THEN 0 ELSE online END,
		ocpp_version = CASE WHEN ?3 = '' THEN ocpp_version ELSE ?3 END
		WHERE id = ?4 AND (last_seen_at IS NULL OR last_seen_at <= ?1)`)
	if err == nil {
		for id, p := range touches {
			if _, err = st.ExecContext(ctx, p.us, p.online, p.version, id); err != nil {
				break
			}
		}
		st.Close()
	}
	if err != nil {
		_, _ = tx.ExecContext(ctx, "ROLLBACK TO t")
	}
	_, _ = tx.ExecContext(ctx, "RELEASE t")
	return err
}

// liveFlushSQL writes one session's live values (writeLives); a NULL
// cost keeps the stored one.
const liveFlushSQL = `UPDATE sessions SET updated_at = ?, energy_wh = ?, power_w = ?,
		current_a = ?, voltage_v = ?, soc_percent = ?, cost = coalesce(?, cost)
		WHERE id = ? AND status = 'active' AND updated_at < ?`

// writeLives writes sessions' live values inside their own savepoint, only
// to sessions still active and not written since the values were computed.
func writeLives(ctx context.Context, tx *sql.Tx, lives map[string]charging.SessionLive) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT l"); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, liveFlushSQL)
	if err == nil {
		for id, l := range lives {
			us := toMicro(l.UpdatedAt)
			var cost sql.NullString
			if cost, err = nullJSON(l.Cost); err != nil {
				break
			}
			if _, err = st.ExecContext(ctx, us, l.EnergyWh, l.PowerW, nullFloat(l.CurrentA), nullFloat(l.VoltageV),
				nullFloat(l.SoCPercent), cost, id, us); err != nil {
				break
			}
		}
		st.Close()
	}
	if err != nil {
		_, _ = tx.ExecContext(ctx, "ROLLBACK TO l")
	}
	_, _ = tx.ExecContext(ctx, "RELEASE l")
	return err
}
