package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/joule-ev/joule/internal/postgres"
	"github.com/joule-ev/joule/internal/sqlite"
)

// migrate runs `joule migrate status|up`: `serve` migrates at start-up on
// its own; this lets an operator look first, or migrate before a rollout.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up") {
		fmt.Fprintln(stderr, "usage: joule migrate status|up [--data DIR | --postgres URL]")
		return fmt.Errorf("migrate needs status or up")
	}
	flags := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	data := flags.String("data", "./joule-data", "directory of the embedded SQLite database")
	pg := flags.String("postgres", "", "PostgreSQL connection URL: migrate that database instead of the embedded SQLite one (prefer the JOULE_POSTGRES environment variable)")
	if err := parseFlags(flags, args[1:], os.Getenv); err != nil {
		return err
	}
	var ms []migration
	var err error
	if *pg != "" {
		ms, err = migratePostgres(ctx, *pg, args[0] == "up")
	} else {
		ms, err = migrateSQLite(ctx, *data, args[0] == "up", stdout)
	}
	if err != nil {
		return err
	}
	for _, m := range ms {
		state := "pending"
		switch {
		case m.Unknown:
			state = "applied by a newer joule (unknown to this binary)"
		case m.AppliedAt != nil:
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%04d %-30s %s\n", m.Version, m.Name, state)
	}
	return nil
}

// migration is one line of `joule migrate status`, whichever the store.
type migration struct {
	Version   int
	Name      string
	AppliedAt *time.Time
	Unknown   bool
}

func migrateSQLite(ctx context.Context, data string, up bool, stdout io.Writer) ([]migration, error) {
	path := filepath.Join(data, "joule.db")
	if !up {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			// Looking creates nothing: list every migration as pending
			// from a private in-memory database.
			fmt.Fprintf(stdout, "no database at %s yet (joule serve or joule migrate up creates it)\n", path)
			path = ":memory:"
		}
	}
	store, err := sqlite.Open(ctx, path, sqlite.WithMigrate(false))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if up {
		if err := store.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	ms, err := store.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(ms))
	for i, m := range ms {
		out[i] = migration(m)
	}
	return out, nil
}

func migratePostgres(ctx context.Context, url string, up bool) ([]migration, error) {
	store, err := postgres.Open(ctx, url, postgres.WithMigrate(false))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	if up {
		if err := store.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	ms, err := store.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(ms))
	for i, m := range ms {
		out[i] = migration(m)
	}
	return out, nil
}
