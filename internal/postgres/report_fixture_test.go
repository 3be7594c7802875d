package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/postgres"
)

// TestReportFixture times every report kind on a database filled by
// go run ./bench/fixture --postgres URL: JOULE_REPORT_FIXTURE_POSTGRES=URL.
func TestReportFixture(t *testing.T) {
	url := os.Getenv("JOULE_REPORT_FIXTURE_POSTGRES")
	if url == "" {
		t.Skip("JOULE_REPORT_FIXTURE_POSTGRES is not set (a database filled by go run ./bench/fixture --postgres)")
	}
	s, err := postgres.Open(context.Background(), url)
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
