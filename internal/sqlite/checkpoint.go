package sqlite

import (
	"context"
	"database/sql"
	"os"
	"sync"
	"time"
)

// The writer connection runs with wal_autocheckpoint=0: SQLite's automatic
// checkpoint would run inside the COMMIT of whichever batch crossed 1,000
// WAL pages, so that batch (and every caller queued behind it) waited for
// the database file to be written and fsynced — single-write commits of
// 27–108 ms under load. A checkpointer copies the WAL back into the
// database on a connection of its own instead, concurrently with the
// writer (PASSIVE never blocks it).
//
// The WAL only starts over from its beginning when a write transaction
// begins right after a checkpoint that copied all of it. Under a steady
// write load new frames land between a PASSIVE checkpoint and the next
// write, so it would grow without end: once it passes walRestartAt the
// checkpointer runs RESTART, which holds the writer back only while it
// copies the few frames the PASSIVE pass left, and makes the next write
// start the WAL over.

const (
	// checkpointEvery is how often the checkpointer runs.
	checkpointEvery = time.Second
	// walRestartAt is the WAL size past which the checkpointer makes the
	// writer start it over (RESTART).
	walRestartAt = 8 << 20
	// walTruncateAt is the WAL size past which the file is also truncated
	// (TRUNCATE): a burst should not leave a large WAL behind.
	walTruncateAt = 64 << 20
)

type checkpointer struct {
	db      *sql.DB
	walPath string
	stop    chan struct{}
	done    sync.WaitGroup
}

// startCheckpointer opens its connection on dsn and starts it.
func startCheckpointer(dsn, walPath string) (*checkpointer, error) {
	db, err := openPool(dsn, 1)
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, walPath: walPath, stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// A failed checkpoint is retried on the next tick; the data is
		// safe in the WAL meanwhile.
		if c.checkpoint("PASSIVE") != nil {
			continue
		}
		if fi, err := os.Stat(c.walPath); err == nil {
			if mode := checkpointAfterPassive(fi.Size()); mode != "" {
				_ = c.checkpoint(mode)
			}
		}
	}
}

// checkpointAfterPassive is the checkpoint to run after a PASSIVE one for a
// WAL file of size bytes: none, RESTART or TRUNCATE.
func checkpointAfterPassive(size int64) string {
	switch {
	case size > walTruncateAt:
		return "TRUNCATE"
	case size > walRestartAt:
		return "RESTART"
	}
	return ""
}

func (c *checkpointer) checkpoint(mode string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, logPages, done int
	return c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &logPages, &done)
}

// close stops the checkpointer; the last connection to close checkpoints
// what is left.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}
