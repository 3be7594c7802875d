package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// What a newcomer hit (issue 12): each subtest checks what a user sees
// (computed style, boxes, visible text), not the DOM's attributes.

// invisible is a JS expression: the element matching sel exists and is
// not rendered: computed display none and no box.
func invisible(sel string) string {
	return fmt.Sprintf(`(e => !!e && getComputedStyle(e).display === "none" &&
		(r => r.width === 0 && r.height === 0)(e.getBoundingClientRect()) && !e.checkVisibility())(document.querySelector(%q))`, sel)
}

// buttonNamed is a JS expression for the first button with that text.
func buttonNamed(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll("button")].find(b => b.textContent.trim() === %q)`, text)
}

// visibleText is a JS expression: the page's rendered text (innerText
// leaves out what is not displayed) and the labels of the options of
// every displayed select.
const visibleText = `document.body.innerText + "\n" + [...document.querySelectorAll("select")].filter(s => s.checkVisibility())
	.flatMap(s => [...s.options].map(o => o.textContent)).join("\n")`

// sseSubscribers reads the node's count of open event streams from /metrics.
func (s *stack) sseSubscribers(t *testing.T) int {
	t.Helper()
	r, err := http.Get(s.api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "joule_sse_subscribers "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("joule_sse_subscribers %q: %v", v, err)
			}
			return int(n)
		}
	}
	t.Fatal("/metrics has no joule_sse_subscribers")
	return 0
}

// startAs starts a session through the API with an id tag, waits for it to
// be active with power, and answers its id.
func (s *stack) startAs(t *testing.T, charger string, connector int, idTag string) string {
	t.Helper()
	var ses struct{ ID string }
	if st := s.call(t, "POST", fmt.Sprintf("/api/v1/chargers/%s/connectors/%d/start", charger, connector), map[string]string{"idTag": idTag}, &ses); st != http.StatusAccepted {
		t.Fatalf("start on %s/%d: status = %d, want 202", charger, connector, st)
	}
	waitFor(t, "session "+ses.ID+" charging", 10*time.Second, func() bool {
		var x struct {
			Status string
			PowerW float64
		}
		s.call(t, "GET", "/api/v1/sessions/"+ses.ID, nil, &x)
		return x.Status == "active" && x.PowerW > 0
	})
	return ses.ID
}

// stop stops a session through the API and waits for it to finish.
func (s *stack) stop(t *testing.T, id string) {
	t.Helper()
	if st := s.call(t, "POST", "/api/v1/sessions/"+id+"/stop", nil, nil); st != http.StatusAccepted {
		t.Fatalf("stop %s: status = %d, want 202", id, st)
	}
	waitFor(t, "session "+id+" finished", 10*time.Second, func() bool {
		var x struct{ Status string }
		s.call(t, "GET", "/api/v1/sessions/"+id, nil, &x)
		return x.Status == "finished"
	})
}

func TestBrowserNewcomer(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)
	s.charger(t, "NC-1", 2)
	s.charger(t, "NC-BOOT", 2)
	s.charger(t, "NC-HIST", 1)
	s.setConnector(t, "NC-1", 1, "CCS2", 50000)
	s.setConnector(t, "NC-1", 2, "Type2", 11000)
	s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	s.addUser(t, "ada@example.com", "Ada Admin", "admin")
	b := startBrowser(t, exe, s.base)

	// Item 8 first, while nothing else has charged: a session charged and
	// stopped before the dashboard opens; the chart shows it at once.
	t.Run("DashboardChartHistory", func(t *testing.T) {
		id := s.startAs(t, "NC-HIST", 1, "HIST-1")
		waitFor(t, "a few seconds of meter values", 10*time.Second, func() bool {
			var p struct {
				Items []struct{ Measurand string }
			}
			s.call(t, "GET", "/api/v1/sessions/"+id+"/meter-values", nil, &p)
			n := 0
			for _, m := range p.Items {
				if m.Measurand == "Power.Active.Import" {
					n++
				}
			}
			return n >= 6
		})
		s.stop(t, id)

		// The API: buckets of total power, the session's among them.
		var hist struct {
			StepSeconds int `json:"stepSeconds"`
			Items       []struct {
				Time   time.Time `json:"time"`
				PowerW float64   `json:"powerW"`
			} `json:"items"`
		}
		since := time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339)
		if st := s.call(t, "GET", "/api/v1/stats/power?since="+since+"&step=10", nil, &hist); st != http.StatusOK {
			t.Fatalf("GET /api/v1/stats/power: status = %d, want 200", st)
		}
		peak := 0.0
		for _, it := range hist.Items {
			peak = max(peak, it.PowerW)
		}
		if hist.StepSeconds != 10 || len(hist.Items) < 30 || peak <= 0 {
			t.Errorf("power history: step %d s, %d buckets, peak %v W; want 10 s, 30 or more buckets, a peak above 0", hist.StepSeconds, len(hist.Items), peak)
		}

		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator", "olga@example.com", testPassword)
		// Nothing charges now: without history the chart would be a flat
		// line at 0 kW. With it, the chart's scale shows the session's power
		// and the line has a point per bucket.
		tb.wait("the dashboard", textOf(`[data-value="power"]`)+` === "0.0 kW"`, 5*time.Second)
		tb.wait("the chart's history", numOf(".chart-max")+` > 0 && document.querySelector(".chart .line").getAttribute("d").split("L").length > 20`, 3*time.Second)
		if !eval[bool](tb, visible(".chart .line")) {
			t.Error("the power chart is not visible")
		}
		tb.screenshot("operator-dashboard-history.png")
	})

	t.Run("FinishedSession", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/NC-1", "dana@example.com", testPassword)
		tb.wait("the charger page", `!!document.querySelector("#conn-1")`, 5*time.Second)
		tb.click("#conn-1")
		tb.click("#start")
		tb.wait("the live session", textOf("h1")+` === "Charging" && `+numOf(`[data-value="power"]`)+` > 0`, 10*time.Second)
		tb.wait("live voltage and current", visible(`[data-metric="voltage"]`)+` && `+visible(`[data-metric="current"]`), 10*time.Second)
		if !eval[bool](tb, visible("#stop")) {
			t.Fatalf("Stop charging is not visible while charging:\n%s", tb.text())
		}
		tb.click("#stop")
		tb.wait("the summary", textOf("h1")+` === "Session summary" && `+visible("#summary"), 10*time.Second)

		check := func(when string) {
			t.Helper()
			// Item 1: button {display: inline-flex} must not beat [hidden].
			if !eval[bool](tb, invisible("#stop")) {
				t.Errorf("%s: Stop charging is displayed on a finished session (display %q)", when,
					eval[string](tb, `getComputedStyle(document.querySelector("#stop")).display`))
			}
			// Item 7: only final values; nothing live.
			for _, m := range []string{"power", "voltage", "current"} {
				if eval[bool](tb, visible(fmt.Sprintf(`[data-metric=%q]`, m))) {
					t.Errorf("%s: the finished session still shows live %s", when, m)
				}
			}
			txt := eval[string](tb, visibleText)
			for _, w := range []string{"Voltage", "Current", "Stop charging"} {
				if strings.Contains(txt, w) {
					t.Errorf("%s: the finished session's page shows %q:\n%s", when, w, txt)
				}
			}
			for _, f := range []string{"Energy delivered", "Duration", "Meter"} {
				sel := fmt.Sprintf(`[data-fact=%q]`, f)
				if !eval[bool](tb, visible(sel)) || strings.Contains(eval[string](tb, textOf(sel)), "–") {
					t.Errorf("%s: the summary's %s is not shown (%q)", when, f, eval[string](tb, textOf(sel)))
				}
			}
		}
		check("after stopping")
		tb.screenshot("driver-finished.png")
		tb.run(chromedp.Reload())
		tb.wait("the summary again", textOf("h1")+` === "Session summary"`, 5*time.Second)
		check("opened again")
	})

	t.Run("LoadMoreOnLastPage", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/sessions", "olga@example.com", testPassword)
		tb.wait("the sessions", `document.querySelectorAll("#sessions tbody tr[data-session]").length >= 2`, 5*time.Second)
		if !eval[bool](tb, `!!`+buttonNamed("Load more")) {
			t.Fatal("no Load more button in the page")
		}
		if !eval[bool](tb, `(b => getComputedStyle(b).display === "none" && b.getBoundingClientRect().height === 0)(`+buttonNamed("Load more")+`)`) {
			t.Errorf("Load more is displayed on the last page")
		}
		if strings.Contains(eval[string](tb, visibleText), "Load more") {
			t.Error("the page text shows Load more on the last page")
		}

		// The driver's history: the same for its "Show older sessions".
		td := b.tab(t, 390, 844, true)
		td.signIn("/history", "dana@example.com", testPassword)
		td.wait("the history", `document.querySelectorAll("#history a.card").length >= 1`, 5*time.Second)
		if strings.Contains(eval[string](td, visibleText), "Show older sessions") {
			t.Error("the history shows Show older sessions on its only page")
		}
	})

	t.Run("NoConnectorZeroAfterReboot", func(t *testing.T) {
		// Pages open while the charger reboots, each on its live stream.
		driverList := b.tab(t, 390, 844, true)
		driverList.signIn("/", "dana@example.com", testPassword)
		driverPage := b.tab(t, 390, 844, true)
		driverPage.signIn("/chargers/NC-BOOT", "dana@example.com", testPassword)
		opList := b.tab(t, 1280, 900, false)
		opList.signIn("/operator/chargers", "olga@example.com", testPassword)
		opDash := b.tab(t, 1280, 900, false)
		opDash.signIn("/operator", "olga@example.com", testPassword)
		op := b.tab(t, 1280, 900, false)
		op.signIn("/operator/chargers/NC-BOOT", "olga@example.com", testPassword)
		tabs := map[string]*tab{"driver list": driverList, "driver charger page": driverPage, "operator chargers": opList, "operator dashboard": opDash, "operator charger page": op}
		for _, tb := range tabs {
			tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		}
		op.run(chromedp.SetValue(chromedp.CSS("#reset-type"), "Soft"))
		op.click("#cmd-Reset")
		op.wait("the charger's answer", textOf("#command-status")+` === "Reset: Accepted"`, 5*time.Second)
		// After its boot the charger reports every connector again, the
		// whole charger (connector 0) among them.
		op.wait("the boot and the status reports after it", `(() => {
			const items = [...document.querySelectorAll("#activity li[data-type]")].map(li => li.dataset.type);
			const boot = items.indexOf("charger.booted");
			return boot >= 3 && items.slice(0, boot).filter(t => t === "connector.status").length >= 3;
		})()`, 10*time.Second)
		op.wait("the charger online again", textOf("#charger-online")+` === "Online"`, 5*time.Second)
		for name, tb := range tabs {
			if txt := eval[string](tb, visibleText); strings.Contains(txt, "Connector 0") || strings.Contains(txt, "connector 0") {
				t.Errorf("%s shows connector 0:\n%s", name, txt)
			}
		}
		if n := eval[int](op, `document.querySelectorAll("#connectors tbody tr").length`); n != 2 {
			t.Errorf("the operator's connectors table has %d rows, want 2:\n%s", n, op.text())
		}
		if got := eval[string](op, `(dt => dt ? dt.nextElementSibling.textContent : "")([...document.querySelectorAll("#facts dt")].find(d => d.textContent === "Charger status"))`); got != "Available" {
			t.Errorf("the charger's own status = %q, want Available (what it reported for connector 0)", got)
		}
		if n := eval[int](driverPage, `document.querySelectorAll("input[name=connector]").length`); n != 2 {
			t.Errorf("the driver's charger page offers %d connectors, want 2", n)
		}
		if got := eval[[]string](opList, `[...document.querySelectorAll('#chargers tr[data-charger="NC-BOOT"] .badge')].map(b => b.textContent).filter(t => /^\d+:/.test(t))`); len(got) != 2 || strings.HasPrefix(got[0], "0:") {
			t.Errorf("the chargers table's connector badges for NC-BOOT = %q, want connectors 1 and 2", got)
		}
		// The dashboard counts connectors: NC-1's 2, NC-BOOT's 2 and
		// NC-HIST's 1, and none for the chargers themselves.
		if n := eval[int](opDash, `[...document.querySelectorAll("#status-counts .badge")].reduce((a, b) => a + +b.textContent.split(": ")[1], 0)`); n != 5 {
			t.Errorf("dashboard connector counts (%s) add up to %d, want 5", eval[string](opDash, textOf("#status-counts")), n)
		}
	})

	t.Run("UnlockConnector", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/chargers/NC-1", "olga@example.com", testPassword)
		tb.wait("the command panel", visible("#unlock-connector"), 5*time.Second)
		opts := eval[[]string](tb, `[...document.querySelector("#unlock-connector").options].map(o => o.value + "=" + o.textContent)`)
		if got, want := strings.Join(opts, ", "), "1=Connector 1, 2=Connector 2"; got != want {
			t.Errorf("unlock options = %q, want %q", got, want)
		}
		if got := eval[string](tb, `(s => s.selectedOptions.length ? s.selectedOptions[0].textContent : "")(document.querySelector("#unlock-connector"))`); got != "Connector 1" {
			t.Errorf("unlock shows %q, want Connector 1 preselected", got)
		}
		tb.click("#cmd-UnlockConnector")
		tb.wait("the charger's answer", textOf("#command-status")+` === "UnlockConnector: Unlocked"`, 5*time.Second)
		var cmds struct {
			Items []struct {
				Action  string
				Request json.RawMessage
			}
		}
		waitFor(t, "the unlock in the command history", 5*time.Second, func() bool {
			s.call(t, "GET", "/api/v1/chargers/NC-1/commands?action=UnlockConnector", nil, &cmds)
			return len(cmds.Items) > 0
		})
		if len(cmds.Items) != 1 || string(cmds.Items[0].Request) != `{"connectorId":1}` {
			t.Errorf("UnlockConnector sent = %+v, want one, to connector 1", cmds.Items)
		}

		// A charger whose page opens before it reported any connector:
		// nothing to unlock yet; the connectors come with its reports.
		if st := s.call(t, "POST", "/api/v1/chargers", map[string]any{"id": "NC-LATE", "securityProfile": 0}, nil); st != http.StatusCreated {
			t.Fatalf("register NC-LATE: status = %d, want 201", st)
		}
		tl := b.tab(t, 1280, 900, false)
		tl.signIn("/operator/chargers/NC-LATE", "olga@example.com", testPassword)
		tl.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		if !eval[bool](tl, `document.querySelector("#cmd-UnlockConnector").disabled`) {
			t.Error("Unlock is enabled for a charger without connectors")
		}
		s.charger(t, "NC-LATE", 2)
		tl.wait("the connectors in the unlock list", `[...document.querySelector("#unlock-connector").options].map(o => o.value).join() === "1,2" &&
			document.querySelector("#unlock-connector").value === "1" && !document.querySelector("#cmd-UnlockConnector").disabled`, 5*time.Second)
	})

	t.Run("ManyNavigations", func(t *testing.T) {
		before := s.sseSubscribers(t)
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator", "olga@example.com", testPassword)
		live := func(path string) string {
			return fmt.Sprintf(`location.pathname === %q && document.body.dataset.live === "up"`, path)
		}
		tb.wait("the dashboard live", live("/operator"), 5*time.Second)
		// Full page loads, and the history's back and forward, which
		// Chrome serves from its back/forward cache.
		stack := []string{"/operator"}
		at := 0
		visit := func(p string) {
			t.Helper()
			tb.open(p)
			stack = append(stack[:at+1], p)
			at++
			tb.waitAcross("page "+p+" live", live(p), 5*time.Second)
		}
		move := func(by int) {
			t.Helper()
			eval[bool](tb, fmt.Sprintf(`history.go(%d), true`, by))
			at += by
			tb.waitAcross(fmt.Sprintf("history.go(%d) to %s, live", by, stack[at]), live(stack[at]), 5*time.Second)
		}
		pages := []string{"/operator/chargers", "/operator/sessions", "/operator/chargers/NC-1", "/operator"}
		for i := range 8 {
			visit(pages[i%len(pages)])
		}
		for range 4 {
			move(-1)
		}
		for range 3 {
			move(1)
		}
		move(-2)
		for i := range 4 {
			visit(pages[i%len(pages)])
		}
		// In-app navigation: the nav's links.
		for i := range 8 {
			href := []string{"/operator/chargers", "/operator/sessions", "/operator"}[i%3]
			tb.click(fmt.Sprintf(`nav a[href=%q]`, href))
			tb.wait("page "+href+" live", live(href), 5*time.Second)
		}
		// One stream for this page, none kept by the pages left.
		waitFor(t, "one event stream for the tab", 5*time.Second, func() bool { return s.sseSubscribers(t) <= before+1 })

		// Still live: a change made elsewhere shows up.
		tb.click(`nav a[href="/operator/chargers"]`)
		tb.wait("the chargers live", live("/operator/chargers"), 5*time.Second)
		tb.click(`#chargers a[href="/operator/chargers/NC-1"]`)
		tb.wait("NC-1 live", live("/operator/chargers/NC-1")+` && !!document.querySelector('#connectors tr[data-connector="2"]')`, 5*time.Second)
		s.setConnector(t, "NC-1", 2, "CHAdeMO", 50000)
		tb.wait("the change, live", `document.querySelector('#connectors tr[data-connector="2"]').textContent.includes("CHAdeMO")`, 5*time.Second)
		s.setConnector(t, "NC-1", 2, "Type2", 11000)
	})

	t.Run("OperatorOnPhone", func(t *testing.T) {
		const width = 375
		tb := b.tab(t, width, 667, true)
		tb.signIn("/operator", "ada@example.com", testPassword)
		for _, p := range []struct{ path, ready string }{
			{"/operator", `!!document.querySelector("#active-sessions")`},
			{"/operator/chargers", `document.querySelectorAll("#chargers tbody tr[data-charger]").length >= 3`},
			{"/operator/chargers/NC-1", `!!document.querySelector("#connectors tbody tr") && !!document.querySelector("#cmd-Reset")`},
			{"/operator/sessions", `document.querySelectorAll("#sessions tbody tr[data-session]").length >= 1`},
			{"/operator/users", `document.querySelectorAll("#users tbody tr").length >= 1`},
			{"/operator/account", `!!document.querySelector("main h1")`},
		} {
			tb.open(p.path)
			tb.wait(p.path, p.ready, 5*time.Second)
			got := eval[[]float64](tb, `[document.scrollingElement.scrollWidth, innerWidth, document.documentElement.clientWidth]`)
			if got[0] > width || got[0] > got[1] || got[0] > got[2] {
				wide := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > %d && !e.parentElement.closest(".table-wrap, nav")).slice(0, 5).map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className)`, width))
				t.Errorf("%s at %d px: page scroll width %v, innerWidth %v, clientWidth %v; want no horizontal overflow (too wide: %v)", p.path, width, got[0], got[1], got[2], wide)
			}
			// The nav is one row: every link on the same line.
			tops := eval[[]float64](tb, `[...document.querySelectorAll("#nav a")].map(a => Math.round(a.getBoundingClientRect().top))`)
			for _, top := range tops {
				if top != tops[0] {
					t.Errorf("%s: the nav wraps (link tops %v)", p.path, tops)
					break
				}
			}
			if len(tops) < 3 {
				t.Errorf("%s: the nav has %d links, want the operator's pages", p.path, len(tops))
			}
			// Tables scroll inside their own box.
			bad := eval[[]string](tb, fmt.Sprintf(`[...document.querySelectorAll("main table")].filter(t => {
				const w = t.closest(".table-wrap");
				return !w || !["auto", "scroll"].includes(getComputedStyle(w).overflowX) || w.getBoundingClientRect().right > %d;
			}).map(t => t.id || "table")`, width))
			if len(bad) > 0 {
				t.Errorf("%s: tables that do not scroll in their own box: %v", p.path, bad)
			}
			tb.screenshot("phone" + strings.ReplaceAll(p.path, "/", "-") + ".png")
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		// An unknown app path: the app's own page, with a way home.
		r, err := http.Get(s.base + "/no/such/page")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), `<main id="main"`) {
			t.Errorf("GET /no/such/page: %d %s; want 404 with the app's page", r.StatusCode, r.Header.Get("Content-Type"))
		}
		// An unknown API path: a problem, never a page.
		for _, p := range []string{"/api/v1/no-such-thing", "/api/nope", "/api/v2/chargers"} {
			r, err := http.Get(s.base + p)
			if err != nil {
				t.Fatal(err)
			}
			var prob struct {
				Status int
				Title  string
			}
			err = json.NewDecoder(r.Body).Decode(&prob)
			r.Body.Close()
			if r.StatusCode != http.StatusNotFound || r.Header.Get("Content-Type") != "application/problem+json" || err != nil || prob.Status != 404 {
				t.Errorf("GET %s: %d %s (%+v, %v); want a 404 problem+json", p, r.StatusCode, r.Header.Get("Content-Type"), prob, err)
			}
		}

		for _, c := range []struct{ path, home string }{{"/no/such/page", "/"}, {"/operator/no-such-page", "/operator"}, {"/chargers/NC-1/extra", "/"}} {
			tb := b.tab(t, 390, 844, true)
			tb.open(c.path)
			tb.wait("the not-found page", `document.querySelector("main h1")?.textContent === "Page not found"`, 5*time.Second)
			link := fmt.Sprintf(`main a[href=%q]`, c.home)
			if !eval[bool](tb, visible("main h1")) || !eval[bool](tb, visible(link)) {
				t.Errorf("%s: the not-found page or its link home (%s) is not visible:\n%s", c.path, c.home, tb.text())
			}
			tb.click(link)
			tb.waitAcross("home", fmt.Sprintf(`location.pathname === %q || location.pathname.endsWith("/signin")`, c.home), 5*time.Second)
		}
	})
}
