package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/postgres/pgtest"
)

// TestMigratePostgres: `joule migrate status|up --postgres URL` on an empty
// schema lists every migration pending, applies them, then lists them
// applied; a second up changes nothing.
func TestMigratePostgres(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := migrate(ctx, args, &out, &errb); err != nil {
			t.Fatalf("migrate %v: %v (%s)", args, err, errb.String())
		}
		return out.String()
	}
	before := run("status", "--postgres", url)
	if !strings.Contains(before, "0001 core") || strings.Contains(before, "applied") {
		t.Fatalf("status before up:\n%s", before)
	}
	run("up", "--postgres", url)
	after := run("status", "--postgres", url)
	if strings.Contains(after, "pending") || !strings.Contains(after, "0001 core") {
		t.Fatalf("status after up:\n%s", after)
	}
	if again := run("up", "--postgres", url); again != after {
		t.Fatalf("second up:\n%s\nwant\n%s", again, after)
	}
}
