package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/joule-ev/joule/internal/node"
)

// serveConfig is everything `joule serve` can be told.
type serveConfig struct {
	Addr                string
	Data                string
	LogLevel            slog.Level
	LogFormat           string
	HeartbeatInterval   time.Duration
	CallTimeout         time.Duration
	PendingTimeout      time.Duration
	StartTimeout        time.Duration
	RejectUnknownIDTags bool
	PublicURL           string
}

func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":8080", "listen address for the API (/api/v1) and the chargers (/ocpp/{chargerId})")
	fs.StringVar(&c.Data, "data", "./joule-data", "directory of the embedded SQLite database")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", 5*time.Minute, "heartbeat interval given to chargers at boot")
	fs.DurationVar(&c.CallTimeout, "call-timeout", 30*time.Second, "how long Joule waits for a charger's answer to a command")
	fs.DurationVar(&c.PendingTimeout, "pending-timeout", 2*time.Minute, "how long an accepted remote start may wait for the charger's transaction")
	fs.DurationVar(&c.StartTimeout, "start-timeout", 35*time.Second, "how long a start or stop request waits for the charger's answer")
	fs.BoolVar(&c.RejectUnknownIDTags, "reject-unknown-id-tags", false, "answer Invalid for id tags Joule does not know (default: accept them)")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL chargers reach Joule at, for firmware downloads and diagnostics uploads (default: the Host of the API request)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	// Report every problem at once, before anything listens.
	var errs []error
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	for name, d := range map[string]time.Duration{"heartbeat-interval": c.HeartbeatInterval, "call-timeout": c.CallTimeout,
		"pending-timeout": c.PendingTimeout, "start-timeout": c.StartTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, got %s", name, d))
		}
	}
	if u, err := url.Parse(c.PublicURL); c.PublicURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		errs = append(errs, fmt.Errorf("--public-url must be an absolute http or https URL, got %q", c.PublicURL))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %w", c.Addr, err))
	}
	return c, errors.Join(errs...)
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServe(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return node.Run(ctx, node.Config{
		Data: cfg.Data, HeartbeatInterval: cfg.HeartbeatInterval, CallTimeout: cfg.CallTimeout,
		PendingTimeout: cfg.PendingTimeout, StartTimeout: cfg.StartTimeout, RejectUnknownIDTags: cfg.RejectUnknownIDTags,
		PublicURL: cfg.PublicURL,
	}, ln, log)
}
