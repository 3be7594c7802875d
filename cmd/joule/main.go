// Command joule is an OCPP charging station management system: `joule serve`
// runs it, `joule sim` runs simulated chargers against it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// A site's time zone is checked against the IANA database
	// (charging.Site.Validate): embedded, so that a container without
	// /usr/share/zoneinfo accepts Europe/Berlin too.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "joule:", err)
		}
		os.Exit(2)
	}
}

const usage = `joule is an OCPP 1.6J and 2.0.1 charging station management system.

Usage:
  joule serve [flags]    run the CSMS (embedded SQLite in ./joule-data, HTTP on 127.0.0.1:8080)
  joule certs server|charger|ca [flags]
                         issue TLS certificates from the built-in CA
  joule sim [flags]      connect simulated chargers to a running CSMS
  joule migrate status|up [--data DIR]
                         show or apply the database migrations
  joule version          print the version

Run "joule <command> -h" for a command's flags. Every flag can also be set
with an environment variable: JOULE_ and the flag name in capitals with
dashes as underscores (--addr is JOULE_ADDR).
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "sim":
		return simulate(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], stdout, stderr)
	case "certs":
		return certs(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// parseFlags parses args, then fills every flag not given on the command
// line from its JOULE_ environment variable (flags > environment > default).
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.Usage = func() { flagUsage(fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		env := envName(f.Name)
		if v := getenv(env); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// envName is the environment variable that sets flag name when the flag
// is not given: --meter-retention is JOULE_METER_RETENTION.
func envName(name string) string {
	return "JOULE_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// flagUsage prints fs's flags as flag.PrintDefaults does, each with the
// environment variable that sets it.
func flagUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, "Usage of %s (each flag can also be set by its environment variable; a flag given wins):\n", fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		typ, text := flag.UnquoteUsage(f)
		fmt.Fprintf(out, "  -%s", f.Name)
		if typ != "" {
			fmt.Fprintf(out, " %s", typ)
		}
		fmt.Fprintf(out, "    (%s)\n    \t%s", envName(f.Name), strings.ReplaceAll(text, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "0", "false", "0s", "[]":
		default:
			if typ == "string" {
				fmt.Fprintf(out, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(out, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintln(out)
	})
}
