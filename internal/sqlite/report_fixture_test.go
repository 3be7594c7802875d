package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/sqlite"
)

// TestReportFixture times every report kind on a store filled by
// go run ./bench/fixture --data DIR: JOULE_REPORT_FIXTURE=DIR.
func TestReportFixture(t *testing.T) {
	dir := os.Getenv("JOULE_REPORT_FIXTURE")
	if dir == "" {
		t.Skip("JOULE_REPORT_FIXTURE is not set (a directory filled by go run ./bench/fixture)")
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	chargingtest.TimeReports(t, s, berlin)
}
