package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// Smart charging as operators and drivers see it (issue 15): a site with
// a grid limit shares it among its sessions; the operator's site page
// shows the limit, what each session gets and the load over time, and
// takes a grid signal; a driver whose session gets less sees why. Each
// check reads what is rendered (innerText, computed style, boxes).

// allocation is a session's smart.allocation as the API answers it.
type allocation struct {
	State         string
	LimitA        float64
	Message       string
	QueuePosition int
}

type smartSession struct {
	ID     string
	Status string
	Smart  *struct {
		DepartureTime  *time.Time
		EnergyWantedWh float64
		Priority       bool
		Allocation     *allocation
	}
}

type siteLoad struct {
	LimitA   float64
	Sessions []struct {
		SessionID  string
		Allocation *allocation
	}
}

// smartNode makes the balancer quick enough for a browser test.
func smartNode(c *node.Config) {
	c.SmartDelay, c.SmartInterval, c.SmartLease, c.SiteLoadEvery = 100*time.Millisecond, time.Second, time.Minute, 500*time.Millisecond
}

func (s *stack) session(t *testing.T, id string) smartSession {
	t.Helper()
	var x smartSession
	if st := s.call(t, "GET", "/api/v1/sessions/"+id, nil, &x); st != http.StatusOK {
		t.Fatalf("GET /api/v1/sessions/%s: status = %d, want 200", id, st)
	}
	return x
}

// amps is how the site page shows an allocation's limit.
func amps(a float64) string { return fmt.Sprintf("%.1f A", a) }

// shownAllocations is a JS expression: each allocation row's session and
// what it shows of the allocation (state, limit, place in line), as
// rendered.
const shownAllocations = `Object.fromEntries([...document.querySelectorAll("#allocations tr[data-session]")].filter(r => r.checkVisibility())
	.map(r => [r.dataset.session, ["state", "limit", "queue"].map(c => r.querySelector('[data-col="' + c + '"]').innerText.trim()).join(" | ")]))`

// rowText is what the site page shows of an allocation (shownAllocations).
func rowText(a *allocation) string {
	state := map[string]string{"charging": "Charging", "limited": "Limited", "waiting": "Waiting"}[a.State]
	queue := "–"
	if a.QueuePosition > 0 {
		queue = fmt.Sprintf("#%d", a.QueuePosition)
	}
	return state + " | " + amps(a.LimitA) + " | " + queue
}

func TestBrowserSmart(t *testing.T) {
	exe := chromium(t)
	s := startNode(t, smartNode)

	// A depot on a 32 A connection: three vehicles that take 32 A each
	// share it, all limited.
	site := s.addSite(t, map[string]any{"name": "Depot West", "gridLimit": map[string]any{"value": 32, "unit": "A"}})
	s.simulate(t, sim.Config{ID: "CP-SM", Connectors: 3, MaxPowerW: 22000})
	s.patchCharger(t, "CP-SM", map[string]any{"name": "Bay A", "siteId": site})
	s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	s.addUser(t, "erik@example.com", "Erik Early", "driver")
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	b := startBrowser(t, exe, s.base)

	// A card's session first, on connector 2.
	card := s.startAs(t, "CP-SM", 2, "CARD-SM-2")

	// Erik leaves in three hours and wants 20 kWh by then: the start
	// carries both.
	var erikSession string
	t.Run("DriverReadyBy", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/chargers/CP-SM", "erik@example.com", testPassword)
		tb.wait("the charger page", `!!document.querySelector("#conn-3")`, 5*time.Second)
		if eval[bool](tb, visible("#departure-time")) {
			t.Error("Ready by is open before the driver asks for it")
		}
		tb.click("#ready-by summary")
		tb.wait("the Ready by fields", visible("#departure-time")+` && `+visible("#energy-wanted"), 3*time.Second)
		tb.click("#conn-3")
		// Only the energy: the page asks for the time first.
		tb.typeInto("#energy-wanted", "20")
		tb.click("#start")
		tb.wait("the missing time", shownText("#feedback")+`.includes("when you leave")`, 3*time.Second)
		if got := eval[string](tb, `document.querySelector("#departure-time").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("the departure field is not marked invalid (aria-invalid %q)", got)
		}
		leave := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
		// datetime-local takes the browser's local time; the test's
		// browser runs in the test process's zone.
		eval[bool](tb, fmt.Sprintf(`(e => { e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true})); return true })(document.querySelector("#departure-time"))`,
			leave.Local().Format("2006-01-02T15:04")))
		tb.click("#start")
		tb.wait("the live session", `location.pathname.startsWith("/sessions/")`, 10*time.Second)
		erikSession = strings.TrimPrefix(eval[string](tb, `location.pathname`), "/sessions/")
		x := s.session(t, erikSession)
		if x.Smart == nil || x.Smart.DepartureTime == nil || !x.Smart.DepartureTime.Equal(leave) || x.Smart.EnergyWantedWh != 20000 {
			t.Fatalf("the session's smart = %+v, want departure %s and 20000 Wh", x.Smart, leave)
		}
		tb.wait("Ready by on the session", shownText("#ready-info")+`.includes("Ready by") && `+shownText("#ready-info")+`.includes("20.00 kWh")`, 5*time.Second)
	})

	// Dana starts on connector 1 and sees her session limited, with
	// Joule's message; the tab stays open to see it change live.
	dana := b.tab(t, 390, 844, true)
	dana.signIn("/chargers/CP-SM", "dana@example.com", testPassword)
	dana.wait("the charger page", `!!document.querySelector("#conn-1")`, 5*time.Second)
	dana.click("#conn-1")
	dana.click("#start")
	dana.wait("the live session", `location.pathname.startsWith("/sessions/") && `+textOf("h1")+` === "Charging"`, 10*time.Second)
	danaSession := strings.TrimPrefix(eval[string](dana, `location.pathname`), "/sessions/")

	// noticeMatches waits until Dana's notice shows what the API says of
	// her allocation: limited (the limit in amperes) or waiting (her
	// place in line), with its message, visibly.
	noticeMatches := func(t *testing.T, what string, want func(a *allocation) bool) *allocation {
		t.Helper()
		var a *allocation
		var shown string
		deadline := time.Now().Add(15 * time.Second)
		for {
			x := s.session(t, danaSession)
			if x.Smart != nil && x.Smart.Allocation != nil && want(x.Smart.Allocation) {
				a = x.Smart.Allocation
				shown = eval[string](dana, shownText("#smart-notice"))
				head := ""
				switch a.State {
				case "limited":
					head = "Limited to " + strings.TrimSuffix(fmt.Sprintf("%.1f", a.LimitA), ".0") + " A"
				case "waiting":
					head = fmt.Sprintf("Waiting, number %d in line", a.QueuePosition)
				}
				if head != "" && eval[bool](dana, visible("#smart-notice")) && strings.Contains(shown, head) && strings.Contains(shown, a.Message) {
					return a
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("Dana's notice for %s: shows %q; the API's allocation %+v", what, shown, a)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	t.Run("DriverLimited", func(t *testing.T) {
		a := noticeMatches(t, "three sessions on 32 A", func(a *allocation) bool { return a.State == "limited" })
		if a.Message == "" {
			t.Errorf("the allocation has no message for the driver: %+v", a)
		}
		// The notice stands out: a coloured box, not the page's background.
		if bg := eval[string](dana, `getComputedStyle(document.querySelector("#smart-notice")).backgroundColor`); bg == "rgba(0, 0, 0, 0)" || bg == "" {
			t.Errorf("the notice has no background (%q)", bg)
		}
		dana.screenshot("driver-smart-limited.png")
	})

	t.Run("OperatorSitePage", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/sites", "olga@example.com", testPassword)
		tb.wait("the site listed", visible(`#sites tr[data-site="`+site+`"] a[data-open="site"]`), 5*time.Second)
		tb.click(`#sites tr[data-site="` + site + `"] a[data-open="site"]`)
		tb.wait("the site page", `location.pathname === "/operator/sites/`+site+`" && `+visible("#load-management"), 5*time.Second)
		tb.wait("the limit in force", shownText("#limit-now")+` === "32.0 A per phase"`, 5*time.Second)
		if got := eval[string](tb, shownText("#limit-normal")); got != "32 A per phase" {
			t.Errorf("grid limit shown = %q, want 32 A per phase", got)
		}
		for _, p := range []string{"L1", "L2", "L3"} {
			if !eval[bool](tb, visible(`#phase-bars [data-phase="`+p+`"] .bar-track`)) {
				t.Errorf("no bar for phase %s", p)
			}
		}

		// A row per session, each with what the API gives it.
		shown := rowsMatch(t, s, tb, site, "a row per session with its allocation")
		for _, id := range []string{card, erikSession, danaSession} {
			if _, ok := shown[id]; !ok {
				t.Errorf("no allocation row for session %s (rows %v)", id, shown)
			}
		}
		row := eval[string](tb, shownText(`#allocations tr[data-session="`+danaSession+`"]`))
		for _, w := range []string{"Bay A", "Connector 1", "Limited"} {
			if !strings.Contains(row, w) {
				t.Errorf("Dana's row lacks %q:\n%s", w, row)
			}
		}

		// The chart of the last hour: drawn, with a box of its own.
		tb.wait("the load chart", `(r => r.width > 100 && r.height > 50)(document.querySelector("#load-chart").getBoundingClientRect()) && `+
			`[...document.querySelectorAll("#load-chart path")].filter(p => (p.getAttribute("d") || "").length > 10).length >= 2`, 10*time.Second)
		tb.fullScreenshot("operator-site-load.png")

		// A grid signal of 12 A: the limit in force falls, and with 6 A the
		// least a session gets, one of three waits in line.
		tb.typeInto("#signal-limit", "12")
		tb.click("#grid-signal-set")
		tb.wait("the signal's limit in force", shownText("#limit-now")+`.startsWith("12.0 A per phase")`, 5*time.Second)
		if st := eval[string](tb, shownText("#grid-signal-state")); !strings.Contains(st, "12 A per phase") || !strings.Contains(st, "until it is ended") {
			t.Errorf("signal shown = %q, want 12 A per phase until it is ended", st)
		}
		tb.wait("a session waiting", `[...document.querySelectorAll("#allocations tr[data-state=waiting]")].some(r => r.checkVisibility())`, 15*time.Second)
		rowsMatch(t, s, tb, site, "the rows under the signal")
		// A reload (a new page, a new event stream) shows the same.
		tb.run(chromedp.Reload())
		tb.wait("the signal's limit after a reload", shownText("#limit-now")+`.startsWith("12.0 A per phase")`, 5*time.Second)
		rowsMatch(t, s, tb, site, "the rows after a reload")
		tb.fullScreenshot("operator-site-signal.png")

		// Dana's page follows: her notice says what the API says now, and
		// a session that waits does not say Charging.
		a := noticeMatches(t, "the 12 A signal", func(a *allocation) bool {
			return a.State == "waiting" || (a.State == "limited" && a.LimitA <= 6.5)
		})
		if a.State == "waiting" {
			dana.wait("the waiting title", textOf("h1")+` === "Waiting to charge"`, 5*time.Second)
		}
		// And after Dana's page reloads.
		dana.run(chromedp.Reload())
		noticeMatches(t, "the 12 A signal, after a reload", func(a *allocation) bool {
			return a.State == "waiting" || (a.State == "limited" && a.LimitA <= 6.5)
		})
		dana.screenshot("driver-smart-signal.png")

		// Priority for the waiting session: the API has it, the toggle
		// shows it.
		waiting := eval[string](tb, `document.querySelector("#allocations tr[data-state=waiting]").dataset.session`)
		tb.click(`#allocations tr[data-session="` + waiting + `"] button[data-priority]`)
		tb.wait("the priority toggle on", `document.querySelector('#allocations tr[data-session="`+waiting+`"] button[data-priority]').getAttribute("aria-pressed") === "true"`, 5*time.Second)
		if x := s.session(t, waiting); x.Smart == nil || !x.Smart.Priority {
			t.Errorf("session %s after the toggle: smart %+v, want priority", waiting, x.Smart)
		}
		tb.wait("the prioritised session served", `(r => r && r.dataset.state !== "waiting")(document.querySelector('#allocations tr[data-session="`+waiting+`"]'))`, 15*time.Second)

		// Ending the signal brings the grid limit back.
		tb.click("#grid-signal-end")
		tb.wait("the grid limit back", shownText("#limit-now")+` === "32.0 A per phase"`, 5*time.Second)
		if eval[bool](tb, visible("#grid-signal-end")) {
			t.Error("End the signal is still offered after it ended")
		}

		// A bad limit: the API's problem is shown next to the form, on the
		// field it names.
		tb.clear("#reserve-value")
		tb.typeInto("#reserve-value", "40")
		tb.click("#load-save")
		tb.wait("the refusal", visible("#load-form-status")+` && document.querySelector("#load-form-status").classList.contains("bad")`, 5*time.Second)
		if msg := eval[string](tb, shownText("#load-form-status")); !strings.Contains(msg, "Reserve") || !strings.Contains(msg, "below gridLimit") {
			t.Errorf("the refusal says %q, want the API's detail on the reserve", msg)
		}
		if got := eval[string](tb, `document.querySelector("#reserve-value").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("the reserve field is not marked invalid (aria-invalid %q)", got)
		}
		// A good one is saved, and the page's limit follows.
		tb.clear("#reserve-value")
		tb.clear("#grid-limit-value")
		tb.typeInto("#grid-limit-value", "24")
		tb.click("#load-save")
		tb.wait("the new limit", shownText("#load-form-status")+`.startsWith("Saved") && `+shownText("#limit-now")+` === "24.0 A per phase"`, 5*time.Second)
		var got struct {
			GridLimit *struct {
				Value float64
				Unit  string
			}
		}
		s.call(t, "GET", "/api/v1/sites/"+site, nil, &got)
		if got.GridLimit == nil || got.GridLimit.Value != 24 || got.GridLimit.Unit != "A" {
			t.Errorf("the site's gridLimit after saving = %+v, want 24 A", got.GridLimit)
		}
	})
}

// rowsMatch waits until the site page shows a row per session of the
// site's load, each with the state, limit and place in line the API
// gives it, and answers the rows.
func rowsMatch(t *testing.T, s *stack, tb *tab, site, what string) map[string]string {
	t.Helper()
	var want, shown map[string]string
	deadline := time.Now().Add(15 * time.Second)
	for {
		var l siteLoad
		want = map[string]string{}
		if st := s.call(t, "GET", "/api/v1/sites/"+site+"/load", nil, &l); st == http.StatusOK {
			for _, x := range l.Sessions {
				if x.Allocation != nil {
					want[x.SessionID] = rowText(x.Allocation)
				}
			}
		}
		shown = eval[map[string]string](tb, shownAllocations)
		if len(want) == 3 && fmt.Sprint(want) == fmt.Sprint(shown) {
			return shown
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page shows %v, the API gives %v", what, shown, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
