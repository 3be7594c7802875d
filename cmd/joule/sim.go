package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/joule-ev/joule/internal/sim"
)

// simConfig is everything `joule sim` can be told.
type simConfig struct {
	URL           string
	Chargers      int
	Connectors    int
	IDPrefix      string
	OCPP          string // sim.OCPP16, sim.OCPP201 or sim.OCPPMixed
	MeterInterval time.Duration
	MaxPowerW     float64
	LogLevel      slog.Level
	LogFormat     string
}

func parseSim(args []string, getenv func(string) string, stderr io.Writer) (simConfig, error) {
	var c simConfig
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "ws://localhost:8080/ocpp", "CSMS OCPP endpoint; each charger connects to <url>/<id>")
	fs.IntVar(&c.Chargers, "chargers", 1, "number of simulated chargers")
	fs.IntVar(&c.Connectors, "connectors", 2, "connectors per charger")
	fs.StringVar(&c.IDPrefix, "id-prefix", "SIM-", "charger ids are this prefix and a 4-digit number (SIM-0001, ...)")
	fs.StringVar(&c.OCPP, "ocpp", "1.6", "OCPP version: 1.6, 2.0.1, or mixed (odd chargers 1.6, even 2.0.1)")
	fs.DurationVar(&c.MeterInterval, "meter-interval", 30*time.Second, "initial MeterValueSampleInterval (the CSMS may change it)")
	fs.Float64Var(&c.MaxPowerW, "max-power-w", 22000, "maximum power per connector, in W")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn, error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	// Report every problem at once, before anything connects.
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("--url must be a ws:// or wss:// URL, got %q", c.URL))
	}
	if c.Chargers < 1 {
		errs = append(errs, fmt.Errorf("--chargers must be at least 1, got %d", c.Chargers))
	}
	if c.Connectors < 1 {
		errs = append(errs, fmt.Errorf("--connectors must be at least 1, got %d", c.Connectors))
	}
	if c.IDPrefix == "" {
		errs = append(errs, errors.New("--id-prefix must not be empty"))
	}
	switch c.OCPP {
	case "1.6", sim.OCPP16:
		c.OCPP = sim.OCPP16
	case "2.0.1", sim.OCPP201:
		c.OCPP = sim.OCPP201
	case sim.OCPPMixed:
	default:
		errs = append(errs, fmt.Errorf("--ocpp must be 1.6, 2.0.1 or mixed, got %q", c.OCPP))
	}
	if c.MeterInterval <= 0 {
		errs = append(errs, fmt.Errorf("--meter-interval must be positive, got %s", c.MeterInterval))
	}
	if c.MaxPowerW <= 0 {
		errs = append(errs, fmt.Errorf("--max-power-w must be positive, got %v", c.MaxPowerW))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("--log-format must be text or json, got %q", c.LogFormat))
	}
	return c, errors.Join(errs...)
}

// simulate runs `joule sim`: simulated chargers connected to a CSMS until
// interrupted.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseSim(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	log.Info("starting simulated chargers", "url", cfg.URL, "chargers", cfg.Chargers,
		"first", fmt.Sprintf("%s%04d", cfg.IDPrefix, 1), "ocpp", cfg.OCPP, "connectors", cfg.Connectors,
		"meter_interval", cfg.MeterInterval, "max_power_w", cfg.MaxPowerW)
	err = sim.RunFleet(ctx, sim.Config{
		URL:                      cfg.URL,
		Connectors:               cfg.Connectors,
		OCPPVersion:              cfg.OCPP,
		MaxPowerW:                cfg.MaxPowerW,
		MeterValueSampleInterval: cfg.MeterInterval,
		Logger:                   log,
	}, cfg.Chargers, cfg.IDPrefix)
	log.Info("simulated chargers stopped")
	return err
}
