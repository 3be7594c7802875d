package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

func openTestStore(t *testing.T, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "joule.db")
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// holdCommitter queues a write that blocks the committer until release is
// called, so that the writes queued meanwhile form the next batch.
func holdCommitter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), "hold", func(*sql.Tx) error {
			close(started)
			<-unblock
			return nil
		})
	}()
	<-started
	return func() {
		close(unblock)
		if err := <-done; err != nil {
			t.Errorf("hold write: %v", err)
		}
	}
}

// waitQueued waits until n writes are queued behind the held committer.
func waitQueued(s *Store, n int) {
	for {
		s.gc.mu.Lock()
		q := len(s.gc.queue)
		s.gc.mu.Unlock()
		if q >= n {
			return
		}
		runtime.Gosched()
	}
}

func chargerExists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	_, err := s.GetCharger(context.Background(), id)
	switch charging.ErrorCode(err) {
	case "":
		return true
	case charging.ENOTFOUND:
		return false
	}
	t.Fatalf("GetCharger %s: %v", id, err)
	return false
}

// TestGroupCommitFailingWriterRollsBackAlone: writers queued together share
// one transaction; the one that fails (a plain error, or an ECONFLICT from
// the schema) loses only its own work.
func TestGroupCommitFailingWriterRollsBackAlone(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-0"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, charging.Session{ID: "S-0", ChargerID: "CP-0", ConnectorID: 1, Status: charging.SessionActive}); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	release := holdCommitter(t, s)

	const n = 40
	const failing, conflicting = 13, 27
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("CP-%02d", i+1)
			switch i {
			case failing: // writes, then fails: its insert must not survive
				errs[i] = s.write(ctx, "failing", func(tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO chargers (id, created_at) VALUES (?, 0)`, id); err != nil {
						return err
					}
					return errors.New("boom")
				})
			case conflicting: // a second open session on CP-0's connector 1
				errs[i] = s.CreateSession(ctx, charging.Session{ID: "S-X", ChargerID: "CP-0", ConnectorID: 1, Status: charging.SessionPending})
			default:
				errs[i] = s.SaveCharger(ctx, charging.Charger{ID: id})
			}
		})
	}
	waitQueued(s, n)
	release()
	wg.Wait()

	for i, err := range errs {
		id := fmt.Sprintf("CP-%02d", i+1)
		switch i {
		case failing:
			if err == nil || err.Error() != "sqlite: failing: boom" {
				t.Errorf("failing writer: err = %v, want sqlite: failing: boom", err)
			}
			if chargerExists(t, s, id) {
				t.Errorf("failing writer's charger %s exists, want rolled back", id)
			}
		case conflicting:
			if got := charging.ErrorCode(err); got != charging.ECONFLICT {
				t.Errorf("conflicting writer: code = %q (err %v), want %q", got, err, charging.ECONFLICT)
			}
		default:
			if err != nil {
				t.Errorf("writer %d: %v, want nil", i, err)
			}
			if !chargerExists(t, s, id) {
				t.Errorf("charger %s of writer %d not stored", id, i)
			}
		}
	}
	if _, err := s.GetSession(ctx, "S-X"); charging.ErrorCode(err) != charging.ENOTFOUND {
		t.Errorf("GetSession S-X: %v, want ENOTFOUND", err)
	}
	// The hold and the 40 queued writes: two transactions.
	got := s.Stats()
	if b, w := got.Batches-before.Batches, got.Writes-before.Writes; b != 2 || w != n+1 {
		t.Errorf("Stats delta = %d batches, %d writes; want 2, %d", b, w, n+1)
	}
}

// TestGroupCommitOrder: writes run in the order they were queued, and a
// write sees every write that returned before it was queued.
func TestGroupCommitOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}); err != nil {
		t.Fatal(err)
	}
	release := holdCommitter(t, s)
	const n = 20
	var order []int // appended on the committer goroutine only
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := s.write(ctx, "order", func(tx *sql.Tx) error {
				order = append(order, i)
				_, err := tx.ExecContext(ctx, `UPDATE chargers SET vendor = ? WHERE id = 'CP-1'`, fmt.Sprint(i))
				return err
			})
			if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
		waitQueued(s, i+1) // queue them one after another
	}
	release()
	wg.Wait()
	if want := slices.Collect(func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}); !slices.Equal(order, want) {
		t.Errorf("run order = %v, want %v", order, want)
	}
	c, err := s.GetCharger(ctx, "CP-1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Vendor != fmt.Sprint(n-1) {
		t.Errorf("vendor = %q, want %q (the last write)", c.Vendor, fmt.Sprint(n-1))
	}

	// Sequential read-your-writes across separate batches.
	for i := range 5 {
		id := fmt.Sprintf("SEQ-%d", i)
		if err := s.SaveCharger(ctx, charging.Charger{ID: id}); err != nil {
			t.Fatal(err)
		}
		if !chargerExists(t, s, id) {
			t.Fatalf("charger %s not visible after SaveCharger returned", id)
		}
	}
}

// TestGroupCommitCloseWithQueuedWrites: Close runs what is queued before it
// closes the database; writes after Close fail.
func TestGroupCommitCloseWithQueuedWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	release := holdCommitter(t, s)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.SaveCharger(ctx, charging.Charger{ID: fmt.Sprintf("CP-%d", i)}) })
	}
	waitQueued(s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for { // Close has begun: the committer no longer accepts writes
		s.gc.mu.Lock()
		c := s.gc.closed
		s.gc.mu.Unlock()
		if c {
			break
		}
		runtime.Gosched()
	}
	if err := s.SaveCharger(ctx, charging.Charger{ID: "LATE"}); err == nil || !errors.Is(err, errClosed) {
		t.Errorf("SaveCharger after Close: err = %v, want %v", err, errClosed)
	}
	release()
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued write %d: %v, want nil", i, err)
		}
	}

	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for i := range n {
		if id := fmt.Sprintf("CP-%d", i); !chargerExists(t, s2, id) {
			t.Errorf("after reopen: charger %s missing", id)
		}
	}
	if chargerExists(t, s2, "LATE") {
		t.Errorf("after reopen: charger LATE exists, want not stored")
	}
}

// TestGroupCommitCancelledWhileQueued: a caller that gives up before its
// write runs gets its context's error and the write never happens.
func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	s, _ := openTestStore(t)
	release := holdCommitter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}) }()
	waitQueued(s, 1)
	cancel()
	err := <-done
	release()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SaveCharger: err = %v, want %v", err, context.Canceled)
	}
	// A write after it forces the batch that held it to be done.
	if err := s.SaveCharger(context.Background(), charging.Charger{ID: "CP-2"}); err != nil {
		t.Fatal(err)
	}
	if chargerExists(t, s, "CP-1") {
		t.Errorf("charger CP-1 stored, want not (its caller gave up)")
	}
}

// TestTouchChargerFlushedAtClose: last-seen times are read through from
// memory at once and are on disk after Close; they never go backwards.
func TestTouchChargerFlushedAtClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "joule.db")
	var hooked []BatchInfo
	var mu sync.Mutex
	s, err := Open(ctx, path, WithBatchHook(func(b BatchInfo) { mu.Lock(); hooked = append(hooked, b); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, id := range []string{"CP-1", "CP-2"} {
		if err := s.SaveCharger(ctx, charging.Charger{ID: id, LastSeenAt: &t1}); err != nil {
			t.Fatal(err)
		}
	}
	t2 := t1.Add(time.Minute)
	if err := s.TouchCharger(ctx, "CP-1", t2); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchCharger(ctx, "CP-2", t1.Add(-time.Minute)); err != nil { // older: ignored
		t.Fatal(err)
	}
	check := func(s *Store, when string) {
		t.Helper()
		for id, want := range map[string]time.Time{"CP-1": t2, "CP-2": t1} {
			c, err := s.GetCharger(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.LastSeenAt == nil || !c.LastSeenAt.Equal(want) {
				t.Errorf("%s: %s LastSeenAt = %v, want %v", when, id, c.LastSeenAt, want)
			}
			page, err := s.ListChargers(ctx, charging.ChargerQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				if c.ID == id && (c.LastSeenAt == nil || !c.LastSeenAt.Equal(want)) {
					t.Errorf("%s: listed %s LastSeenAt = %v, want %v", when, id, c.LastSeenAt, want)
				}
			}
		}
	}
	check(s, "before Close")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	touched := 0
	for _, b := range hooked {
		touched += b.Touches
	}
	mu.Unlock()
	if touched != 2 {
		t.Errorf("batch hook saw %d touches, want 2", touched)
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	check(s2, "after reopen")
}
