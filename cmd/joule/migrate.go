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

	"github.com/joule-ev/joule/internal/sqlite"
)

// migrate runs `joule migrate status|up`: `serve` migrates at start-up on
// its own; this lets an operator look first, or migrate before a rollout.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up") {
		fmt.Fprintln(stderr, "usage: joule migrate status|up [--data DIR]")
		return fmt.Errorf("migrate needs status or up")
	}
	flags := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	data := flags.String("data", "./joule-data", "directory of the embedded SQLite database")
	if err := parseFlags(flags, args[1:], os.Getenv); err != nil {
		return err
	}
	path := filepath.Join(*data, "joule.db")
	if args[0] == "status" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			// Looking creates nothing: list every migration as pending
			// from a private in-memory database.
			fmt.Fprintf(stdout, "no database at %s yet (joule serve or joule migrate up creates it)\n", path)
			path = ":memory:"
		}
	}
	store, err := sqlite.Open(ctx, path, sqlite.WithMigrate(false))
	if err != nil {
		return err
	}
	defer store.Close()
	if args[0] == "up" {
		if err := store.Migrate(ctx); err != nil {
			return err
		}
	}
	ms, err := store.MigrationStatus(ctx)
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
