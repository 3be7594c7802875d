package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// TestReadTxNeedsNoSecondConnection: a read transaction holds one of the
// reader pool's connections, so nothing it runs may wait for another one,
// nor for a lock held by someone who waits for one. Otherwise, with every
// connection held by such a transaction, none comes back until contexts
// end. The crash harness (internal/crashtest) found this: after a restart
// every charger reconnects at once, Admit's GetCharger calls filled the
// pool, each wanted to prepare the (not yet cached) charger query on a
// second connection, and the node answered no charger and no /readyz for
// seconds, until the admissions' contexts ran out.
func TestReadTxNeedsNoSecondConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"), WithReadConns(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.SaveCharger(ctx, charging.Charger{ID: "CP-1"}); err != nil {
		t.Fatal(err)
	}

	// Every reader connection in a read transaction, as two concurrent
	// GetCharger calls hold them.
	var txs []querier
	for range 2 {
		tx, done, err := s.readTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		txs = append(txs, tx)
	}
	// Before the fix this test deadlocked; the deadline bounds its failure.
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()

	// Someone outside a transaction waits for a connection to prepare a
	// statement the cache does not have yet.
	waits := s.r.Stats().WaitCount
	outside := make(chan error, 1)
	go func() {
		var n int
		outside <- s.queryRow(tctx, `SELECT count(*) FROM chargers WHERE id <> ?`, "x").Scan(&n)
	}()
	for s.r.Stats().WaitCount == waits {
		time.Sleep(time.Millisecond) // polls the pool's wait counter: the goroutine is waiting
	}

	// A statement never prepared, and one prepared at Open.
	var id string
	if err := s.txQueryRow(tctx, txs[0], `SELECT id FROM chargers WHERE id = ?`, "CP-1").Scan(&id); err != nil || id != "CP-1" {
		t.Errorf("unprepared read in a read transaction holding the last connection: %q, %v; want CP-1, nil", id, err)
	}
	if c, err := scanCharger(s.txQueryRow(tctx, txs[1], getChargerSQL, "CP-1")); err != nil || c.ID != "CP-1" {
		t.Errorf("GetCharger's read in a read transaction holding the last connection: %q, %v; want CP-1, nil", c.ID, err)
	}

	for _, tx := range txs {
		tx.(interface{ Rollback() error }).Rollback()
	}
	if err := <-outside; err != nil {
		t.Errorf("the statement prepared outside: %v", err)
	}
}
