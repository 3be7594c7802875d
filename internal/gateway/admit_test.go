package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
)

// admitAll admits every charger at profile 0 as trusted.
func admitAll(context.Context, charging.ConnectAttempt) (charging.Admitted, error) {
	return charging.Admitted{Trusted: true, Known: true}, nil
}

// passwordPolicy admits ids starting with "AUTH" at profile 1 with
// password "secret", and any other id at profile 0.
func passwordPolicy(_ context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
	if !strings.HasPrefix(a.ChargerID, "AUTH") {
		return charging.Admitted{Trusted: true, Known: true}, nil
	}
	if !a.BasicAuth || a.Username != a.ChargerID || !bytes.Equal(a.Password, []byte("secret")) {
		return charging.Admitted{}, charging.Errorf(charging.EUNAUTHENTICATED, "wrong credentials")
	}
	return charging.Admitted{Profile: charging.ProfileBasic, Trusted: true, Known: true}, nil
}

// TestInvalidIDIs400 checks that a bad id is refused with 400 before
// anything else: the Admitter is never asked.
func TestInvalidIDIs400(t *testing.T) {
	h := newHarness(t, Options{}, admitAll)
	base := strings.TrimSuffix(h.hs.URL, "/") + "/ocpp/"
	for _, path := range []string{
		"a:b", "a%20b", "a%2Fb", "a%00b", "a%0Ab", "a%7Fb", "%FF", "a%E2%80%8Bb", strings.Repeat("x", 49),
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET /ocpp/%s: %s, want 400", path, resp.Status)
		}
	}
	if n := h.admits.Load(); n != 0 {
		t.Errorf("Admit called %d times for invalid ids, want 0", n)
	}
	if n := h.sec.count(charging.SecUnknownCharger); n != 9 {
		t.Errorf("%d %s events, want 9", n, charging.SecUnknownCharger)
	}
	for _, e := range h.sec.all() {
		if e.ChargerID != "" || e.Source != charging.SecuritySourceJoule || e.Remote == "" {
			t.Errorf("event %+v: want no charger id, source joule and the remote address", e)
		}
	}
	if refused, _, _ := h.obs.get(); refused[RefusedInvalidID] != 9 {
		t.Errorf("refused[%s] = %d, want 9", RefusedInvalidID, refused[RefusedInvalidID])
	}
}

// typedErr is an Admit error naming its security event type.
type typedErr struct{ err error }

func (e typedErr) Error() string           { return e.err.Error() }
func (e typedErr) Unwrap() error           { return e.err }
func (typedErr) SecurityEventType() string { return charging.SecRejectedCharger }

// TestAdmitErrors checks the HTTP answer to each Admit error code.
func TestAdmitErrors(t *testing.T) {
	var mu sync.Mutex
	var errAdmit error
	h := newHarness(t, Options{}, func(context.Context, charging.ConnectAttempt) (charging.Admitted, error) {
		mu.Lock()
		defer mu.Unlock()
		return charging.Admitted{}, errAdmit
	})
	for _, tc := range []struct {
		err        error
		status     int
		event      string
		retryAfter bool
	}{
		{charging.Errorf(charging.EUNAUTHENTICATED, "wrong password"), 401, charging.SecFailedAuth, false},
		{charging.Errorf(charging.EFORBIDDEN, "charger uses profile 2"), 403, charging.SecProfileMismatch, false},
		{typedErr{charging.Errorf(charging.EFORBIDDEN, "charger rejected")}, 403, charging.SecRejectedCharger, false},
		{charging.Errorf(charging.ENOTFOUND, "unknown charger"), 404, charging.SecUnknownCharger, false},
		{charging.Errorf(charging.EUNAVAILABLE, "too many waiting"), 503, charging.SecStrangerBudget, true},
		{charging.Errorf(charging.ECONFLICT, "conflict"), 409, charging.SecDuplicateConnection, false},
		{errors.New("database is down"), 500, "", false},
	} {
		t.Run(fmt.Sprint(tc.status, tc.event), func(t *testing.T) {
			mu.Lock()
			errAdmit = tc.err
			mu.Unlock()
			before := len(h.sec.all())
			resp := h.refused("CP-1", nil)
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); (tc.status == 401) != (got != "") ||
				(got != "" && got != `Basic realm="Joule OCPP", charset="UTF-8"`) {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if got := resp.Header.Get("Retry-After"); (got != "") != tc.retryAfter {
				t.Errorf("Retry-After = %q, want one: %v", got, tc.retryAfter)
			}
			ev := h.sec.all()[before:]
			switch {
			case tc.event == "" && len(ev) != 0:
				t.Errorf("events %+v, want none", ev)
			case tc.event != "" && (len(ev) != 1 || ev[0].Type != tc.event || ev[0].ChargerID != "CP-1"):
				t.Errorf("events %+v, want one %s for CP-1", ev, tc.event)
			}
		})
	}
}

// TestConnectAttempt checks what the Admitter is told: Basic credentials as
// raw bytes split at the first colon, no TLS on a plain connection.
func TestConnectAttempt(t *testing.T) {
	got := make(chan charging.ConnectAttempt, 1)
	h := newHarness(t, Options{}, func(_ context.Context, a charging.ConnectAttempt) (charging.Admitted, error) {
		got <- a
		return charging.Admitted{Trusted: true, Profile: 1}, nil
	})
	pw := "\x01\xfe:colon\x00"
	h.mustDial("CP-1", basic("CP-1", pw), true)
	a := <-got
	if !a.BasicAuth || a.Username != "CP-1" || !bytes.Equal(a.Password, []byte(pw)) || a.TLS || a.ClientCert != nil ||
		a.ChargerID != "CP-1" || !strings.HasPrefix(a.RemoteAddr, "127.0.0.1:") {
		t.Errorf("ConnectAttempt = %+v, want CP-1's raw credentials, no TLS, the remote address", a)
	}
	if p, ok := h.g.ConnectionInfo("CP-1"); !ok || p != 1 {
		t.Errorf("ConnectionInfo = %d, %v; want 1, true", p, ok)
	}
}

// TestMalformedAuthorization: a header that is not valid Basic credentials
// is a failed authentication, answered without asking the Admitter.
func TestMalformedAuthorization(t *testing.T) {
	h := newHarness(t, Options{}, admitAll)
	for _, v := range []string{"Basic !!!", "Bearer abc", "Basic " + "bm9jb2xvbg=="} { // "nocolon"
		resp := h.refused("CP-1", http.Header{"Authorization": {v}})
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %s, want 401 with a challenge", v, resp.Status)
		}
	}
	if n := h.admits.Load(); n != 0 {
		t.Errorf("Admit called %d times, want 0", n)
	}
	if n := h.sec.count(charging.SecFailedAuth); n != 3 {
		t.Errorf("%d %s events, want 3", n, charging.SecFailedAuth)
	}
}

// TestFailedAuthLimit: once an address used up its failed authentications,
// it is refused with 429 before Admit, even with the right password, until
// its bucket refills.
func TestFailedAuthLimit(t *testing.T) {
	h := newHarness(t, Options{FailedAuthLimit: Rate{Burst: 5, Every: time.Minute}}, passwordPolicy)
	for i := range 5 {
		if resp := h.refused("AUTH-1", basic("AUTH-1", "guess")); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %s, want 401", i, resp.Status)
		}
	}
	resp := h.refused("AUTH-1", basic("AUTH-1", "secret"))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("6th attempt: %s, Retry-After %q; want 429, 60", resp.Status, resp.Header.Get("Retry-After"))
	}
	if n := h.admits.Load(); n != 5 {
		t.Errorf("Admit called %d times, want 5 (the 6th refused before it)", n)
	}
	h.clock.Add(time.Minute)
	h.mustDial("AUTH-1", basic("AUTH-1", "secret"), true)
	if refused, _, _ := h.obs.get(); refused[RefusedUnauthenticated] != 5 || refused[RefusedAuthRateLimited] != 1 {
		t.Errorf("refused = %v, want 5 unauthenticated and 1 auth_rate_limited", refused)
	}
}

// TestTakeoverFlood: 1,000 attempts to claim connected chargers' ids without
// valid credentials (wrong or no password, or profile 0 for a profile 0
// charger that is alive) leave the real connections untouched, and no
// attacker gets a WebSocket.
func TestTakeoverFlood(t *testing.T) {
	// No failed-auth or upgrade-rate limit, so that every attempt reaches Admit and the
	// takeover rule (TestFailedAuthLimit covers the limit).
	logs := &lockedBuffer{}
	h := newHarness(t, Options{ProbeTimeout: 2 * time.Second, FailedAuthLimit: Rate{Burst: -1}, UpgradeRate: Rate{Burst: -1},
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, passwordPolicy)
	authed := h.mustDial("AUTH-1", basic("AUTH-1", "secret"), true)
	open := h.mustDial("OPEN-1", nil, true)
	authedConn, openConn := h.current("AUTH-1"), h.current("OPEN-1")

	var wg sync.WaitGroup
	attempts := make(chan int)
	statuses := make(chan int, 1000)
	for range 20 {
		wg.Go(func() {
			for i := range attempts {
				id, hdr := "OPEN-1", http.Header(nil)
				switch i % 4 {
				case 0:
					id, hdr = "AUTH-1", basic("AUTH-1", fmt.Sprint("guess", i))
				case 1:
					id = "AUTH-1"
				}
				c, resp, err := h.dial(id, hdr, true)
				if err == nil {
					c.ws.Close()
					t.Errorf("attempt %d on %s connected", i, id)
					continue
				}
				if resp == nil {
					t.Errorf("attempt %d: %v", i, err)
					continue
				}
				statuses <- resp.StatusCode
			}
		})
	}
	for i := range 1000 {
		attempts <- i
	}
	close(attempts)
	wg.Wait()
	close(statuses)
	byStatus := map[int]int{}
	for s := range statuses {
		byStatus[s]++
	}
	for s := range byStatus {
		if s != 401 && s != 409 {
			t.Errorf("statuses %v: want only 401 and 409", byStatus)
		}
	}

	if h.current("AUTH-1") != authedConn || h.current("OPEN-1") != openConn {
		t.Fatal("a real connection was replaced")
	}
	authed.open()
	open.open()
	if c, d := h.events.counts(); c != 2 || d != 0 {
		t.Errorf("%d connected, %d disconnected events; want 2 and 0", c, d)
	}
	// Messages still reach the real chargers.
	h.command("AUTH-1", authed)
	h.command("OPEN-1", open)
	if n := h.sec.count(charging.SecConnectionReplaced); n != 0 {
		t.Errorf("%d replacement events, want 0", n)
	}
	if n := h.sec.count(charging.SecDuplicateConnection); n == 0 {
		t.Errorf("no %s events", charging.SecDuplicateConnection)
	}
	// The refusals, all from 127.0.0.1, do not flood the log.
	if n := strings.Count(logs.String(), "charger connection refused"); n != logQuotaRecords {
		t.Errorf("%d refusal log lines, want %d (the per-address quota)", n, logQuotaRecords)
	}
	t.Logf("statuses: %v", byStatus)
}

// lockedBuffer is a log destination safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAuthenticatedReplaces: a connection authenticated at profile 1
// replaces the charger's previous connection, whether that one is live or
// half-open, and the old connection's end never touches the new one.
func TestAuthenticatedReplaces(t *testing.T) {
	for _, tc := range []struct {
		name    string
		oldRead bool
	}{{"live", true}, {"half-open", false}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{}, passwordPolicy)
			old := h.mustDial("AUTH-1", basic("AUTH-1", "secret"), tc.oldRead)
			oldConn := h.current("AUTH-1")
			c := h.mustDial("AUTH-1", basic("AUTH-1", "secret"), true)
			if tc.oldRead {
				if err := old.closeErr(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
					t.Errorf("old connection ended with %v, want close 1008", err)
				}
			} else {
				<-oldConn.rpc.Done()
			}
			h.command("AUTH-1", c)
			if n := h.sec.count(charging.SecConnectionReplaced); n != 1 {
				t.Errorf("%d %s events, want 1", n, charging.SecConnectionReplaced)
			}
			h.shutdown()
			if con, dis := h.events.counts(); con != 2 || dis != 1 {
				t.Errorf("%d connected, %d disconnected; want 2 and 1 (the old connection's end is not the charger's)", con, dis)
			}
			if _, _, replaced := h.obs.get(); replaced != 1 {
				t.Errorf("replaced = %d, want 1", replaced)
			}
		})
	}
}

// TestUnauthenticatedReplacesOnlyDead: a profile 0 newcomer is refused
// while the charger's connection answers pings, and takes the place of one
// that does not (half-open).
func TestUnauthenticatedReplacesOnlyDead(t *testing.T) {
	h := newHarness(t, Options{ProbeTimeout: 100 * time.Millisecond}, admitAll)
	live := h.mustDial("CP-1", nil, true)
	if resp := h.refused("CP-1", nil); resp.StatusCode != 409 {
		t.Fatalf("newcomer while live: %s, want 409", resp.Status)
	}
	live.open()
	if live.pings.Load() == 0 {
		t.Error("the live connection was not probed")
	}
	h.command("CP-1", live)

	h.mustDial("CP-2", nil, false) // never answers a ping
	deadConn := h.current("CP-2")
	c := h.mustDial("CP-2", nil, true)
	<-deadConn.rpc.Done()
	h.command("CP-2", c)
	if n := h.sec.count(charging.SecDuplicateConnection); n != 1 {
		t.Errorf("%d %s events, want 1", n, charging.SecDuplicateConnection)
	}
	if n := h.sec.count(charging.SecConnectionReplaced); n != 1 {
		t.Errorf("%d %s events, want 1", n, charging.SecConnectionReplaced)
	}
}

// TestReplaceRateLimit: an authenticated charger may replace its live
// connection 3 times at once, then once per 10s.
func TestReplaceRateLimit(t *testing.T) {
	h := newHarness(t, Options{ProbeTimeout: 2 * time.Second}, passwordPolicy)
	cred := basic("AUTH-1", "secret")
	prev := h.mustDial("AUTH-1", cred, true)
	for i := range 3 {
		c := h.mustDial("AUTH-1", cred, true)
		if err := prev.closeErr(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("replacement %d: previous ended with %v, want 1008", i, err)
		}
		prev = c
	}
	resp := h.refused("AUTH-1", cred)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "10" {
		t.Errorf("4th replacement: %s, Retry-After %q; want 429, 10", resp.Status, resp.Header.Get("Retry-After"))
	}
	prev.open()
	h.command("AUTH-1", prev)
	if n := h.sec.count(charging.SecReplaceRateLimited); n != 1 {
		t.Errorf("%d %s events, want 1", n, charging.SecReplaceRateLimited)
	}
	h.clock.Add(10 * time.Second)
	c := h.mustDial("AUTH-1", cred, true)
	if err := prev.closeErr(); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Errorf("after 10s: previous ended with %v, want 1008", err)
	}
	h.command("AUTH-1", c)
}

// TestDisconnect closes a charger's connection with 1008 and the reason.
func TestDisconnect(t *testing.T) {
	h := newHarness(t, Options{}, admitAll)
	c := h.mustDial("CP-1", nil, true)
	if h.g.Disconnect("CP-9", "deleted") {
		t.Error("Disconnect of an unconnected charger = true")
	}
	if !h.g.Disconnect("CP-1", "charger deleted") {
		t.Fatal("Disconnect = false, want true")
	}
	err := c.closeErr()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation || ce.Text != "charger deleted" {
		t.Errorf("client read error = %v, want close 1008 \"charger deleted\"", err)
	}
	if _, closed, _ := h.obs.get(); closed[ClosedOperator] != 1 {
		t.Errorf("closed = %v, want one %s", closed, ClosedOperator)
	}
}

// TestNilAdmitter: without an Admitter everyone connects at profile 0, as a
// trusted charger (no boot deadline).
func TestNilAdmitter(t *testing.T) {
	h := newHarness(t, Options{StrangerBootTimeout: time.Millisecond}, nil)
	c := h.mustDial("CP-1", basic("x", "y"), true)
	if p, ok := h.g.ConnectionInfo("CP-1"); !ok || p != 0 {
		t.Errorf("ConnectionInfo = %d, %v; want 0, true", p, ok)
	}
	if n := h.g.Strangers(); n != 0 {
		t.Errorf("Strangers() = %d, want 0", n)
	}
	h.command("CP-1", c)
}
