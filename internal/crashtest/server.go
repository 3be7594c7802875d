package crashtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// readyTimeout bounds how long a (re)started joule may take to answer
// /readyz; recovery after a kill is part of it.
const readyTimeout = 60 * time.Second

// Build compiles ./cmd/joule of the module the current directory is in
// into dir and returns the binary's path. The binary is built without
// -race whatever the caller's flags: it is the subject, not the harness.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "joule")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/joule-ev/joule/cmd/joule")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/joule: %w\n%s", err, out)
	}
	return bin, nil
}

// server runs `joule serve` as a child process, one generation at a time.
// It is used by Run's goroutine only.
type server struct {
	bin, data, addr string
	log             *os.File // the children's stdout and stderr, appended to
	postgres        string   // JOULE_POSTGRES of the children; "" for SQLite

	gen int   // generations started; the current one while running
	p   *proc // the running generation, nil when none
}

// proc is one generation of joule.
type proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	err    error         // cmd.Wait's result, written before exited is closed
}

// freeAddr returns a loopback address with a port nobody listened on a
// moment ago. Every generation listens on it again.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start starts the next generation and waits until it answers /readyz.
func (s *server) start(ctx context.Context) error {
	s.gen++
	fmt.Fprintf(s.log, "--- crashtest: starting joule, generation %d ---\n", s.gen)
	cmd := exec.Command(s.bin, "serve",
		"--addr", s.addr,
		"--data", s.data,
		// Only the chargers the harness registered, each with its password.
		"--charger-registration", "closed",
		"--log-level", "warn",
	)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	if s.postgres != "" {
		// In the environment, not the arguments: the URL may hold a password.
		cmd.Env = append(os.Environ(), "JOULE_POSTGRES="+s.postgres)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start joule: %w", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	s.p = p
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()

	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			s.p = nil
			return fmt.Errorf("joule generation %d exited while starting: %v\n%s", s.gen, p.err, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			// SIGQUIT: the Go runtime writes every goroutine's stack to
			// the log before it exits, which shows what it waits for.
			_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			<-p.exited
			s.p = nil
			return fmt.Errorf("joule generation %d not ready after %v; its goroutines are in %s\n%s",
				s.gen, readyTimeout, s.log.Name(), s.logTail())
		}
	}
}

// alive reports an error if the running generation exited on its own.
func (s *server) alive() error {
	if s.p == nil {
		return errors.New("joule is not running")
	}
	select {
	case <-s.p.exited:
		return fmt.Errorf("joule generation %d exited on its own: %v\n%s", s.gen, s.p.err, s.logTail())
	default:
		return nil
	}
}

// kill sends SIGKILL to the running generation and waits for it to be
// gone. It fails if the process had already exited on its own.
func (s *server) kill() error {
	if err := s.alive(); err != nil {
		return err
	}
	if err := s.p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill joule: %w", err)
	}
	<-s.p.exited
	s.p = nil
	return nil
}

// stop ends the running generation with SIGTERM (a clean shutdown),
// falling back to SIGKILL after a while. It is for the end of a run.
func (s *server) stop() {
	if s.p == nil {
		return
	}
	_ = s.p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.p.exited:
	case <-time.After(15 * time.Second):
		_ = s.p.cmd.Process.Kill()
		<-s.p.exited
	}
	s.p = nil
}

// logTail returns the end of the children's log, for error messages.
func (s *server) logTail() string {
	b, err := os.ReadFile(s.log.Name())
	if err != nil {
		return ""
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return "joule's log (" + s.log.Name() + "), last lines:\n" + strings.TrimRight(string(b), "\n")
}
