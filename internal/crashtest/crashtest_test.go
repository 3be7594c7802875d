package crashtest_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/joule-ev/joule/internal/crashtest"
	"github.com/joule-ev/joule/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCrashHarness kills `joule serve` (SIGKILL) at random moments while
// 1.6J and 2.0.1 chargers charge, restarts it, and fails if anything Joule
// acknowledged is missing afterwards. By default it is the short run CI
// does; the environment makes it a long one (docs/testing.md):
//
//	JOULE_CRASH_CYCLES    kills while the chargers send (default 4)
//	JOULE_CRASH_CHARGERS  chargers, alternating 1.6J and 2.0.1 (default 6)
//	JOULE_CRASH_SEED      seed of the kill moments and the scripts (default random)
//	JOULE_CRASH_DIR       work directory, kept afterwards (default a temporary one)
//	JOULE_CRASH_BINARY    joule binary to test (default: go build ./cmd/joule)
func TestCrashHarness(t *testing.T) {
	runHarness(t, "")
}

// TestCrashHarnessPostgres is TestCrashHarness on the PostgreSQL store
// (JOULE_TEST_POSTGRES_URL; a schema of its own).
func TestCrashHarnessPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds joule and kills it several times")
	}
	runHarness(t, pgtest.URL(t))
}

func runHarness(t *testing.T, postgres string) {
	if testing.Short() {
		t.Skip("skipped in -short mode: builds joule and kills it several times")
	}
	cfg := crashtest.Config{
		Postgres: postgres,
		Dir:      os.Getenv("JOULE_CRASH_DIR"),
		Binary:   os.Getenv("JOULE_CRASH_BINARY"),
		Cycles:   int(envUint(t, "JOULE_CRASH_CYCLES", 4)),
		Chargers: int(envUint(t, "JOULE_CRASH_CHARGERS", 6)),
		Seed:     envUint(t, "JOULE_CRASH_SEED", 0),
		Logf:     t.Logf,
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	rep, err := crashtest.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("crash harness (work directory %s): %v", cfg.Dir, err)
	}
	t.Log(rep)
	if rep.Acked == 0 || rep.Stops == 0 {
		t.Errorf("acknowledged %d CALLs, %d stops: the chargers did not charge", rep.Acked, rep.Stops)
	}
	if !rep.OK() {
		t.Errorf("missing %d of %d acknowledged CALLs, %d refused (seed %d, work directory %s); see the PROBLEM lines",
			rep.Missing, rep.Checked, rep.Refused, rep.Seed, cfg.Dir)
	}
}

func envUint(t *testing.T, name string, def uint64) uint64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: want a non-negative integer", name, s)
	}
	return n
}
