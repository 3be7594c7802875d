package postgres_test

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/charging/chargingtest"
	"github.com/joule-ev/joule/internal/postgres"
	"github.com/joule-ev/joule/internal/postgres/pgtest"
)

// openTest opens a store on a new schema of the test database, closed and
// dropped when the test ends.
func openTest(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	schema, _ := pgtest.Schema(t)
	s, err := postgres.Open(context.Background(), pgtest.BaseURL(t), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreSuite(t *testing.T) {
	chargingtest.StoreSuite(t, func(t *testing.T) charging.Store { return openTest(t) })
}
