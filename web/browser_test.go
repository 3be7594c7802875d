package web_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
	"github.com/joule-ev/joule/web"
)

var screenshots = flag.Bool("screenshots", false, "write the browser tests' screenshots to docs/screenshots (otherwise to a temporary directory)")

// chromium finds a Chromium: $JOULE_CHROMIUM, then chromium,
// chromium-browser or google-chrome on PATH. The browser tests skip only
// when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("JOULE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("JOULE_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: set JOULE_CHROMIUM or install chromium (Debian: apt-get install chromium) to run the browser tests")
	return ""
}

// stack is a real Joule node with simulated chargers.
type stack struct {
	base    string // where the browser loads the app
	api     string // the node itself
	ocppURL string
	dir     string // the node's data directory
	token   string // the first-run admin API key (<dir>/admin-token): the tests' own calls use it
}

// testPassword is every test user's password (the policy wants 10 characters).
const testPassword = "correct horse battery"

// fastPasswords keeps argon2id cheap under -race.
var fastPasswords = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// startNode starts a node; opts change its configuration first.
func startNode(t *testing.T, opts ...func(*node.Config)) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := node.Config{
		Data:           t.TempDir(),
		CallTimeout:    2 * time.Second,
		StartTimeout:   3 * time.Second,
		PendingTimeout: 5 * time.Second,
		PasswordParams: fastPasswords,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.OIDC.Issuer != "" && cfg.OIDC.RedirectURL == "" {
		// The identity provider sends the browser back to this node.
		cfg.OIDC.RedirectURL = "http://" + ln.Addr().String() + "/api/v1/auth/oidc/callback"
	}
	go func() { done <- node.Run(ctx, cfg, ln, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("node.Run: %v", err)
		}
	})
	addr := "http://" + ln.Addr().String()
	s := &stack{base: addr, api: addr, ocppURL: "ws://" + ln.Addr().String() + "/ocpp", dir: cfg.Data}
	waitFor(t, "node ready", 5*time.Second, func() bool {
		r, err := http.Get(addr + "/readyz")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	if s.token, err = accounts.ReadAdminToken(cfg.Data); err != nil {
		t.Fatal(err)
	}
	// The node serves the app itself once node.go mounts web.Handler; until
	// then, a same-origin front serves the app and proxies the API to it.
	r, err := http.Get(addr + "/manifest.webmanifest")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Log("the node does not serve the web app yet; serving it through a test front that proxies /api/ to the node")
		u, _ := url.Parse(addr)
		proxy := httputil.NewSingleHostReverseProxy(u)
		proxy.FlushInterval = -1 // stream SSE
		mux := http.NewServeMux()
		mux.Handle("/api/", proxy)
		mux.Handle("/", web.Handler())
		front := &http.Server{Handler: mux}
		fl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go front.Serve(fl)
		t.Cleanup(func() { front.Close() })
		s.base = "http://" + fl.Addr().String()
	}
	return s
}

// charger runs a simulated charger until the test ends (or stop is
// called) and waits for its boot.
func (s *stack) charger(t *testing.T, id string, connectors int) (c *sim.Charger, stop func()) {
	t.Helper()
	return s.runCharger(t, sim.Config{ID: id, Connectors: connectors})
}

// runCharger runs a simulated charger of cfg (this stack's URL, an 11 kW
// rating, fast meter values and reconnects, warnings logged, unless cfg
// says otherwise) until the test ends (or stop is called) and waits for
// its boot.
func (s *stack) runCharger(t *testing.T, cfg sim.Config) (c *sim.Charger, stop func()) {
	t.Helper()
	cfg.URL = cmp.Or(cfg.URL, s.ocppURL)
	cfg.MaxPowerW = cmp.Or(cfg.MaxPowerW, 11000)
	cfg.MeterValueSampleInterval = cmp.Or(cfg.MeterValueSampleInterval, 300*time.Millisecond)
	cfg.ReconnectBackoff = cmp.Or(cfg.ReconnectBackoff, 200*time.Millisecond)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c = sim.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := c.WaitBooted(wctx); err != nil {
		t.Fatal(err)
	}
	return c, stop
}

// waitConnectors waits until Joule knows n connectors of charger id.
func (s *stack) waitConnectors(t *testing.T, id string, n int) {
	t.Helper()
	waitFor(t, id+"'s connectors", 5*time.Second, func() bool {
		var ch struct{ Connectors []struct{ Status string } }
		s.call(t, "GET", "/api/v1/chargers/"+id, nil, &ch)
		return len(ch.Connectors) == n
	})
}

func (s *stack) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.api+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	if out != nil {
		_ = json.NewDecoder(r.Body).Decode(out)
	}
	return r.StatusCode
}

// addUser creates a user with testPassword through the admin API and
// answers their id.
func (s *stack) addUser(t *testing.T, email, name, role string) string {
	t.Helper()
	var u struct{ ID string }
	if st := s.call(t, "POST", "/api/v1/users", map[string]string{"email": email, "name": name, "role": role, "password": testPassword}, &u); st != http.StatusCreated {
		t.Fatalf("POST /api/v1/users %s (%s): status = %d, want 201", email, role, st)
	}
	return u.ID
}

func (s *stack) setConnector(t *testing.T, id string, n int, typ string, maxW float64) {
	t.Helper()
	if st := s.call(t, "PATCH", fmt.Sprintf("/api/v1/chargers/%s/connectors/%d", id, n), map[string]any{"type": typ, "maxPowerW": maxW}, nil); st != http.StatusOK {
		t.Fatalf("PATCH connector %s/%d: status = %d, want 200", id, n, st)
	}
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browser starts one headless Chromium for the test; tab opens a page in it.
type browser struct {
	ctx   context.Context
	base  string
	shots string
}

func startBrowser(t *testing.T, exe, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		cancelAlloc()
		t.Fatalf("start %s: %v", exe, err)
	}
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	shots := t.TempDir()
	if *screenshots {
		shots = filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &browser{ctx: bctx, base: base, shots: shots}
}

// tab is one page. Uncaught exceptions and console errors (a Content
// Security Policy violation among them) fail the test.
type tab struct {
	t   *testing.T
	ctx context.Context
	b   *browser
}

// tab opens a page in a browser context of its own: its own cookies
// (sign-in), storage and cache, as a separate browser would have.
func (b *browser) tab(t *testing.T, width, height int, mobile bool) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tb := &tab{t: t, ctx: ctx, b: b}
	// Watch the console from the start; check it when the test ends.
	msgs := chromedp.Console(ctx)
	var (
		mu      sync.Mutex
		errs    []string
		stopped = make(chan struct{})
	)
	go func() {
		defer close(stopped)
		for m, err := range msgs {
			if err != nil {
				return
			}
			bad := m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") ||
				strings.Contains(m.Text, "Content Security Policy")
			if bad {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	})
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if mobile {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch}
	}
	tb.run(chromedp.EmulateViewport(int64(width), int64(height), opts...))
	return tb
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v\npage text:\n%s", err, tb.text())
	}
}

// text is the visible page text, for failure messages.
func (tb *tab) text() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.run(chromedp.Navigate(tb.b.base + path))
}

// signIn opens path, which shows the sign-in screen of its mode (the
// driver app's or the operator view's), signs in through the form and
// waits to be back at path.
func (tb *tab) signIn(path, email, password string) {
	tb.t.Helper()
	tb.open(path)
	tb.wait("the sign-in form", visible("#signin-form"), 5*time.Second)
	tb.run(chromedp.SendKeys(chromedp.CSS("#signin-email"), email), chromedp.SendKeys(chromedp.CSS("#signin-password"), password),
		chromedp.Click(chromedp.CSS("#signin-submit")))
	tb.wait("signed in, back at "+path, fmt.Sprintf(`location.pathname + location.search === %q && !document.querySelector("#signin-form") && !!document.querySelector("#account-menu")`, path), 5*time.Second)
}

// wait polls a JavaScript expression until it is truthy.
func (tb *tab) wait(what, expr string, d time.Duration) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, d+time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		tb.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, tb.text())
	}
}

// clear empties an input as a user would, firing an input event.
func (tb *tab) clear(sel string) {
	tb.t.Helper()
	eval[bool](tb, fmt.Sprintf(`(e => { e.value = ""; e.dispatchEvent(new Event("input", {bubbles: true})); return true })(document.querySelector(%q))`, sel))
}

// eval evaluates a JavaScript expression in the tab.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	tb.capture(name, chromedp.CaptureScreenshot())
}

// fullScreenshot captures the whole page, beyond the viewport.
func (tb *tab) fullScreenshot(name string) {
	tb.t.Helper()
	tb.capture(name, chromedp.FullScreenshot(100))
}

func (tb *tab) capture(name string, shot chromedp.Action[[]byte]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		tb.t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(tb.b.shots, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot %s (%d bytes)", p, len(png))
}

// textOf is a JS expression for the text of the first element matching sel.
func textOf(sel string) string {
	return fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "")`, sel)
}

// numOf is a JS expression for the number shown by the element.
func numOf(sel string) string {
	return fmt.Sprintf(`parseFloat(%s.replace(/,/g, ""))`, textOf(sel))
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)

	// CP-1: two connectors (CCS2, Type 2) for the driver; CP-2 (CHAdeMO)
	// for the operator's reset; CP-OFF registered, then gone.
	s.charger(t, "CP-1", 2)
	s.charger(t, "CP-2", 1)
	_, stopOff := s.charger(t, "CP-OFF", 1)
	s.setConnector(t, "CP-1", 1, "CCS2", 50000)
	s.setConnector(t, "CP-1", 2, "Type2", 11000)
	s.setConnector(t, "CP-2", 1, "CHAdeMO", 50000)
	s.setConnector(t, "CP-OFF", 1, "Type2", 22000)
	stopOff()
	waitFor(t, "CP-OFF offline", 5*time.Second, func() bool {
		var c struct{ Online bool }
		s.call(t, "GET", "/api/v1/chargers/CP-OFF", nil, &c)
		return !c.Online
	})

	// A driver charges in the app; an operator runs the fleet.
	s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")

	b := startBrowser(t, exe, s.base)

	t.Run("DriverStartStop", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("the charger list", `document.querySelectorAll("[data-charger]").length === 3`, 5*time.Second)
		tb.run(chromedp.SendKeys(chromedp.CSS("#search"), "CP-1"))
		tb.wait("search narrowing to CP-1", `document.querySelectorAll("[data-charger]").length === 1 && !!document.querySelector('[data-charger="CP-1"]')`, 3*time.Second)
		icons := eval[[]string](tb, `[...document.querySelectorAll('[data-charger="CP-1"] use')].map(u => u.getAttribute("href"))`)
		if got, want := strings.Join(icons, " "), "/icons/connectors.svg#CCS2 /icons/connectors.svg#Type2"; got != want {
			t.Errorf("CP-1 connector icons = %q, want %q", got, want)
		}
		tb.clear("#search")
		tb.run(chromedp.SendKeys(chromedp.CSS("#search"), "chademo"))
		tb.wait("search by connector type", `document.querySelectorAll("[data-charger]").length === 1 && !!document.querySelector('[data-charger="CP-2"]')`, 3*time.Second)
		tb.clear("#search")
		tb.wait("all chargers again", `document.querySelectorAll("[data-charger]").length === 3`, 3*time.Second)
		tb.screenshot("driver-chargers.png")

		tb.run(chromedp.Click(chromedp.CSS(`[data-charger="CP-1"]`)))
		tb.wait("the charger page", `location.pathname === "/chargers/CP-1" && !!document.querySelector("#conn-1")`, 5*time.Second)
		if txt := tb.text(); !strings.Contains(txt, "CCS2") || !strings.Contains(txt, "Type 2") || !strings.Contains(txt, "50.0 kW") {
			t.Errorf("charger page does not show the connector types and power (CCS2, Type 2, 50.0 kW):\n%s", txt)
		}
		// Record every feedback message, to see "waiting" even if it is brief.
		eval[bool](tb, `window.seen = []; new MutationObserver(() => { const f = document.querySelector("#feedback"); if (f && f.textContent && seen.at(-1) !== f.textContent) seen.push(f.textContent); })
			.observe(document.body, {subtree: true, childList: true, characterData: true}); true`)
		tb.run(chromedp.Click(chromedp.CSS("#conn-1")), chromedp.Click(chromedp.CSS("#start")))
		tb.wait("the live session", `location.pathname.startsWith("/sessions/") && `+textOf("h1")+` === "Charging"`, 10*time.Second)
		tb.wait("power above 0 kW", numOf(`[data-value="power"]`)+` > 0`, 10*time.Second)
		tb.wait("energy above 0 kWh and a power chart", numOf(`[data-value="energy"]`)+` > 0 && document.querySelector(".chart .line").getAttribute("d").split("L").length > 3`, 10*time.Second)
		seen := eval[[]string](tb, `seen`)
		if j := strings.Join(seen, " | "); !strings.Contains(j, "Waiting for the charger") || !strings.Contains(j, "Charging") {
			t.Errorf("feedback messages = %q, want a waiting message, then charging", j)
		}
		v := eval[string](tb, textOf(`[data-value="voltage"]`)+`+"/"+`+textOf(`[data-value="current"]`))
		if strings.Contains(v, "–") {
			t.Errorf("voltage/current = %q, want numbers", v)
		}
		tb.screenshot("driver-session.png")

		tb.run(chromedp.Click(chromedp.CSS("#stop")))
		tb.wait("the summary", `!document.querySelector("#summary").hidden && `+textOf("h1")+` === "Session summary"`, 10*time.Second)
		energy := eval[float64](tb, numOf(`[data-fact="Energy delivered"]`))
		if energy <= 0 {
			t.Errorf("summary energy = %v kWh, want > 0\n%s", energy, tb.text())
		}
		tb.screenshot("driver-summary.png")

		tb.run(chromedp.Click(chromedp.CSS(`a[href="/history"]`)))
		tb.wait("the history with the session", `location.pathname === "/history" && document.querySelectorAll("#history a.card").length === 1`, 5*time.Second)
	})

	t.Run("DriverOfflineCharger", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/CP-OFF", "dana@example.com", testPassword)
		tb.wait("the charger page", `!!document.querySelector("#conn-1")`, 5*time.Second)
		tb.run(chromedp.Click(chromedp.CSS("#conn-1")), chromedp.Click(chromedp.CSS("#start")))
		tb.wait("the offline error", textOf("#feedback")+`.includes("offline") && document.querySelector("#feedback").classList.contains("bad")`, 10*time.Second)
		if eval[bool](tb, `document.querySelector("#start").disabled`) {
			t.Error("Start stays disabled after the error; want it enabled to retry")
		}
	})

	t.Run("OperatorDashboardAndReset", func(t *testing.T) {
		// A running session makes the dashboard show power.
		var ses struct{ ID string }
		if st := s.call(t, "POST", "/api/v1/chargers/CP-1/connectors/2/start", map[string]string{"idTag": "FLEET-7"}, &ses); st != http.StatusAccepted {
			t.Fatalf("start on CP-1/2: status = %d, want 202", st)
		}
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator", "olga@example.com", testPassword)
		tb.wait("the online count", textOf(`[data-value="online"]`)+` === "2 / 3"`, 5*time.Second)
		tb.wait("an active session with power", textOf(`[data-value="active"]`)+` === "1" && `+numOf(`[data-value="power"]`)+` > 0`, 10*time.Second)
		tb.wait("live power points on the chart", `document.body.dataset.live === "up" && document.querySelector(".chart .line").getAttribute("d").split("L").length > 4`, 5*time.Second)
		tb.screenshot("operator-dashboard.png")

		tb.run(chromedp.Click(chromedp.CSS(`nav a[href="/operator/chargers"]`)))
		tb.wait("the chargers table", `document.querySelectorAll("#chargers tbody tr[data-charger]").length === 3`, 5*time.Second)
		if txt := tb.text(); !strings.Contains(txt, "OCPP 1.6J") || !strings.Contains(txt, "1.0.0") {
			t.Errorf("chargers table lacks OCPP version or firmware:\n%s", txt)
		}
		tb.run(chromedp.Click(chromedp.CSS(`#chargers a[href="/operator/chargers/CP-2"]`)))
		tb.wait("the charger page", textOf("#charger-online")+` === "Online" && !!document.querySelector("#cmd-Reset")`, 5*time.Second)
		// Wait until the live stream is open, so the reboot's events reach the page.
		tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		tb.run(chromedp.SetValue(chromedp.CSS("#reset-type"), "Soft"), chromedp.Click(chromedp.CSS("#cmd-Reset")))
		tb.wait("the charger's answer", textOf("#command-status")+` === "Reset: Accepted"`, 5*time.Second)
		tb.wait("the disconnect and the new boot", `!!document.querySelector('#activity li[data-type="charger.disconnected"]') && !!document.querySelector('#activity li[data-type="charger.booted"]')`, 10*time.Second)
		tb.wait("the charger online again", textOf("#charger-online")+` === "Online"`, 5*time.Second)

		tb.run(chromedp.Click(chromedp.CSS(`nav a[href="/operator/sessions"]`)))
		tb.wait("the sessions table", `document.querySelectorAll("#sessions tbody tr[data-session]").length >= 2`, 5*time.Second)
		href := eval[string](tb, `document.querySelector("#export").getAttribute("href")`)
		if href != "/api/v1/sessions.csv" {
			t.Errorf("export link = %q, want /api/v1/sessions.csv", href)
		}
	})

	t.Run("Operator201", func(t *testing.T) { operator201(t, s, b) })
}
