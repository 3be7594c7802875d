package crashtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one run. Zero values take the defaults given per field.
type Config struct {
	// Dir is the run's work directory: the binary (when built), data/
	// (joule's data directory) and joule.log (every generation's output).
	// Required.
	Dir string
	// Binary is the joule binary under test; empty builds ./cmd/joule
	// into Dir.
	Binary string
	// Chargers is the number of simulated chargers; odd ones speak OCPP
	// 1.6J, even ones 2.0.1. Default 6.
	Chargers int
	// Cycles is how many times the server is killed while the chargers
	// send; one more kill follows the last message, before the check.
	// Default 4.
	Cycles int
	// MinLoad and MaxLoad bound the random time the chargers send between
	// a restart (ready) and the next kill. Default 200ms and 2s.
	MinLoad, MaxLoad time.Duration
	// Pace is the mean time a charger waits between two messages of a
	// session; default 20ms.
	Pace time.Duration
	// Seed seeds the kill moments and the chargers' scripts; 0 picks one
	// (reported, though timing makes no run repeat exactly).
	Seed uint64
	// Logf, when set, receives one progress line per cycle.
	Logf func(format string, args ...any)
	// Postgres, when set, runs joule on that PostgreSQL database
	// (--postgres) instead of the embedded SQLite store.
	Postgres string
}

// Report is the outcome of a run. OK reports whether it proved the
// invariant.
type Report struct {
	Seed     uint64
	Chargers int // 1.6J and 2.0.1 together
	Cycles   int // kills while the chargers were sending
	Kills    int // every SIGKILL, the one before the check included
	Duration time.Duration

	Acked   int // CALLs that got a CALLRESULT (the journals' entries)
	Starts  int // of which StartTransaction / TransactionEvent Started
	Meters  int // MeterValues / TransactionEvent Updated
	Stops   int // StopTransaction / TransactionEvent Ended
	Samples int // sampled values in acknowledged CALLs

	Checked int // acknowledged CALLs compared with the API
	Missing int // acknowledged CALLs whose data is not (all) there: must be 0

	// LiveChecked counts the running sessions checked right after each
	// restart; LiveLost those missing or showing less energy than their
	// last acknowledged register (must be 0).
	LiveChecked, LiveLost int
	MaxReady              time.Duration // the slowest restart, until /readyz answered

	Sent            int // CALLs sent, repeats included
	Repeats         int // CALLs sent again: no answer (killed) or InternalError
	Refused         int // CALLs answered with another CALLERROR: must be 0
	Connects        int // connections booted
	UnackedSessions int // sessions no acknowledged start made (stored, answer lost, never repeated): allowed
	Duplicates      int // sampled values stored more than once

	// AckedPerCycle is how many CALLs were acknowledged in each cycle,
	// between a restart and the next kill.
	AckedPerCycle []int

	Problems []string // missing data, refusals, invalid answers; the first maxProblems
	More     int      // problems beyond those listed
}

const maxProblems = 50

// OK reports whether every acknowledged message was found and nothing
// went wrong on the way.
func (r *Report) OK() bool {
	return r.Missing == 0 && r.LiveLost == 0 && r.Refused == 0 && len(r.Problems) == 0
}

func (r *Report) problem(s string) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, s)
		return
	}
	r.More++
}

// String summarises the report in a few lines.
func (r *Report) String() string {
	var b strings.Builder
	minCycle := 0
	for i, n := range r.AckedPerCycle {
		if i == 0 || n < minCycle {
			minCycle = n
		}
	}
	fmt.Fprintf(&b, "crash harness: %d chargers (1.6J and 2.0.1), %d kill cycles (%d SIGKILLs), %v, seed %d\n",
		r.Chargers, r.Cycles, r.Kills, r.Duration.Round(time.Millisecond), r.Seed)
	fmt.Fprintf(&b, "  acknowledged %d CALLs (%d starts, %d meter, %d stops; %d sampled values); fewest in a cycle %d\n",
		r.Acked, r.Starts, r.Meters, r.Stops, r.Samples, minCycle)
	fmt.Fprintf(&b, "  checked %d, missing %d, refused %d; running sessions checked after a restart %d, lost %d\n",
		r.Checked, r.Missing, r.Refused, r.LiveChecked, r.LiveLost)
	fmt.Fprintf(&b, "  slowest restart %v\n", r.MaxReady.Round(time.Millisecond))
	fmt.Fprintf(&b, "  sent %d CALLs, %d of them again after a kill or an error; %d connections; %d sessions without an acknowledged start; %d duplicate samples",
		r.Sent, r.Repeats, r.Connects, r.UnackedSessions, r.Duplicates)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "\n  PROBLEM: %s", p)
	}
	if r.More > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more problems", r.More)
	}
	return b.String()
}

// finishGrace is how long the chargers may take, once told to stop, to
// finish their sessions (and get their last messages answered).
const finishGrace = 30 * time.Second

// Run runs the harness: chargers send, the server is killed cfg.Cycles
// times at random moments and restarted, then killed once more, and the
// chargers' journals are compared with the API. An error means the run
// could not be carried out (a build failure, a server that does not come
// back); what it found is in the Report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Dir == "" {
		return nil, errors.New("crashtest: Config.Dir is required")
	}
	if cfg.Chargers <= 0 {
		cfg.Chargers = 6
	}
	if cfg.Cycles <= 0 {
		cfg.Cycles = 4
	}
	if cfg.MinLoad <= 0 {
		cfg.MinLoad = 200 * time.Millisecond
	}
	if cfg.MaxLoad < cfg.MinLoad {
		cfg.MaxLoad = max(cfg.MinLoad, 2*time.Second)
	}
	if cfg.Pace <= 0 {
		cfg.Pace = 20 * time.Millisecond
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	began := time.Now()
	rep := &Report{Seed: cfg.Seed, Chargers: cfg.Chargers}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))

	bin := cfg.Binary
	if bin == "" {
		var err error
		if bin, err = Build(ctx, cfg.Dir); err != nil {
			return nil, err
		}
		logf("built %s in %v", bin, time.Since(began).Round(time.Millisecond))
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(cfg.Dir, "joule.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	srv := &server{bin: bin, data: filepath.Join(cfg.Dir, "data"), addr: addr, log: logFile, postgres: cfg.Postgres}
	defer srv.stop()
	if err := srv.start(ctx); err != nil {
		return nil, err
	}
	token, err := os.ReadFile(filepath.Join(srv.data, "admin-token"))
	if err != nil {
		return nil, fmt.Errorf("crashtest: the admin token of the first run: %w", err)
	}
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	a := &api{base: "http://" + addr + "/api/v1", token: strings.TrimSpace(string(token)),
		client: &http.Client{Transport: transport, Timeout: 30 * time.Second}}

	// Register the chargers as an operator does: each gets its password.
	var gen, acked atomic.Int64
	gen.Store(int64(srv.gen))
	chargers := make([]*charger, cfg.Chargers)
	for i := range chargers {
		version, name := ocpp16Proto, "16"
		if i%2 == 1 {
			version, name = ocpp201Proto, "201"
		}
		c := &charger{id: fmt.Sprintf("CRASH-%s-%03d", name, i+1), version: version, pace: cfg.Pace,
			rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i+1))), gen: &gen, acked: &acked,
			register: 10000 * (i + 1)}
		c.url = "ws://" + addr + "/ocpp/" + c.id
		if c.password, err = a.registerCharger(ctx, c.id); err != nil {
			return nil, fmt.Errorf("crashtest: %w", err)
		}
		chargers[i] = c
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range chargers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(cctx, stopLoad)
		}()
	}
	finish := func() {
		select {
		case <-stopLoad:
		default:
			close(stopLoad)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(finishGrace):
			cancel()
			<-done
		}
		cancel()
	}
	defer finish() // on an early return

	// The cycles: send for a random while, kill, restart.
	last := int64(0)
	for cycle := 1; cycle <= cfg.Cycles; cycle++ {
		load := cfg.MinLoad + time.Duration(rng.Int64N(int64(cfg.MaxLoad-cfg.MinLoad)+1))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(load):
		}
		if err := srv.kill(); err != nil {
			return nil, fmt.Errorf("crashtest: cycle %d: %w", cycle, err)
		}
		rep.Kills++
		n := acked.Load()
		rep.AckedPerCycle = append(rep.AckedPerCycle, int(n-last))
		last = n
		transport.CloseIdleConnections()
		logf("cycle %d/%d: killed generation %d after %v; %d CALLs acknowledged in the cycle, %d in all",
			cycle, cfg.Cycles, srv.gen, load.Round(time.Millisecond), rep.AckedPerCycle[cycle-1], n)
		open := make([]openTx, len(chargers))
		for i, c := range chargers {
			open[i] = c.running()
		}
		restart := time.Now()
		if err := srv.start(ctx); err != nil {
			return nil, fmt.Errorf("crashtest: cycle %d: restart: %w", cycle, err)
		}
		rep.MaxReady = max(rep.MaxReady, time.Since(restart))
		gen.Store(int64(srv.gen))
		rep.Cycles++
		if err := checkLive(ctx, a, chargers, open, srv.gen, rep); err != nil {
			return nil, fmt.Errorf("crashtest: cycle %d: %w", cycle, err)
		}
	}

	// Let the chargers finish their sessions, then kill the server once
	// more: the check reads what a freshly recovered process has.
	finish()
	if err := srv.kill(); err != nil {
		return nil, fmt.Errorf("crashtest: after the last messages: %w", err)
	}
	rep.Kills++
	transport.CloseIdleConnections()
	if err := srv.start(ctx); err != nil {
		return nil, fmt.Errorf("crashtest: final restart: %w", err)
	}
	logf("killed and restarted after the chargers finished; checking %d acknowledged CALLs", acked.Load())
	checkAt := time.Now()

	for _, c := range chargers {
		rep.Sent += c.sent
		rep.Repeats += c.repeats
		rep.Refused += c.refused
		rep.Connects += c.connects
		for _, p := range c.problems {
			rep.problem(p)
		}
		if err := check(ctx, a, c, rep); err != nil {
			return nil, fmt.Errorf("crashtest: check %s: %w", c.id, err)
		}
	}
	logf("checked in %v", time.Since(checkAt).Round(time.Millisecond))
	srv.stop()
	rep.Duration = time.Since(began)
	return rep, nil
}
