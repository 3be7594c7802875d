package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// runSim runs a simulated OCPP 1.6 charger until the test ends (or stop is
// called), without waiting for an accepted boot.
func (s *stack) runSim(t *testing.T, id string) (c *sim.Charger, stop func()) {
	t.Helper()
	c = sim.New(sim.Config{
		URL: s.ocppURL, ID: id, Connectors: 1, MaxPowerW: 22000, Vendor: "Alpitronic", Model: "HYC50",
		MeterValueSampleInterval: time.Second, ReconnectBackoff: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return c, stop
}

// pending waits until the node lists id as waiting for approval, booted.
func (s *stack) waitPending(t *testing.T, id string) {
	t.Helper()
	waitFor(t, id+" waiting for approval, booted", 10*time.Second, func() bool {
		var p struct {
			Items []struct{ ID, Vendor, Admission string }
		}
		s.call(t, "GET", "/api/v1/chargers?admission=Pending", nil, &p)
		for _, c := range p.Items {
			if c.ID == id && c.Vendor != "" && c.Admission == string(charging.AdmissionPending) {
				return true
			}
		}
		return false
	})
}

// visible is a JS expression: the element matching sel is rendered and
// not hidden by its own style or an ancestor's (computed style, not just
// the DOM).
func visible(sel string) string {
	return fmt.Sprintf(`(e => !!e && e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) &&
		getComputedStyle(e).display !== "none" && getComputedStyle(e).visibility !== "hidden" && e.getBoundingClientRect().height > 0)(document.querySelector(%q))`, sel)
}

// TestBrowserSecurity: under the approve policy, an unknown charger waits
// for an operator, who accepts it in the operator view; the password Joule
// gives it is shown once, and the charger reconnects with it at profile 1.
// Then its page shows its security and security events, and issues a new
// password. A second unknown charger is rejected.
func TestBrowserSecurity(t *testing.T) {
	exe := chromium(t)
	s := startNode(t, func(c *node.Config) { c.ChargerRegistration = charging.RegistrationApprove })

	// A charger the operator registered without authentication (profile
	// 0), to show the warning next to the newcomers.
	if st := s.call(t, "POST", "/api/v1/chargers", map[string]any{"id": "CP-LOBBY", "securityProfile": 0}, nil); st != http.StatusCreated {
		t.Fatalf("register CP-LOBBY: status = %d, want 201", st)
	}
	s.charger(t, "CP-LOBBY", 2)
	newcomer, stopNewcomer := s.runSim(t, "CP-NEW-7")
	s.runSim(t, "CP-ROGUE")
	s.waitPending(t, "CP-NEW-7")
	s.waitPending(t, "CP-ROGUE")

	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	b := startBrowser(t, exe, s.base)
	hex40 := regexp.MustCompile(`^[0-9a-f]{40}$`)

	// ChargerSecurity goes on with the charger Approve admitted.
	if !t.Run("Approve", func(t *testing.T) {
		// An installer approves the charger on site, from a phone.
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/operator/chargers", "olga@example.com", testPassword)
		tb.wait("the approval panel with both newcomers", visible("#approvals")+` && `+visible(`#approvals li[data-pending="CP-NEW-7"] button[data-action="accept"]`)+
			` && !!document.querySelector('#approvals li[data-pending="CP-ROGUE"]')`, 5*time.Second)
		if txt := eval[string](tb, textOf(`#approvals li[data-pending="CP-NEW-7"]`)); !strings.Contains(txt, "Alpitronic HYC50") || !strings.Contains(txt, "serial SN-CP-NEW-7") {
			t.Errorf("pending CP-NEW-7 = %q, want its vendor, model and serial from its boot", txt)
		}
		tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		if txt := eval[string](tb, textOf(`#chargers tr[data-charger="CP-LOBBY"] [data-col="security"]`)); txt != "0 · none" {
			t.Errorf("CP-LOBBY security = %q, want 0 · none", txt)
		}
		if !eval[bool](tb, `document.querySelector('#chargers tr[data-charger="CP-LOBBY"] [data-col="security"] .badge').classList.contains("fill")`) {
			t.Error("profile 0 is not shown as a warning (badge without the fill class)")
		}
		tb.screenshot("operator-approval.png")

		// Reject asks first; Cancel leaves the charger waiting.
		tb.click(`#approvals li[data-pending="CP-ROGUE"] button[data-action="reject"]`)
		tb.wait("the confirmation", visible("#confirm-dialog")+` && document.activeElement === document.querySelector("#confirm-cancel")`, 3*time.Second)
		tb.run(chromedp.Click(chromedp.CSS("#confirm-cancel")))
		tb.wait("the confirmation closed", `!document.querySelector("#confirm-dialog") && !!document.querySelector('#approvals li[data-pending="CP-ROGUE"]')`, 3*time.Second)
		tb.click(`#approvals li[data-pending="CP-ROGUE"] button[data-action="reject"]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.run(chromedp.Click(chromedp.CSS("#confirm-ok")))
		tb.wait("CP-ROGUE rejected", `!document.querySelector('#approvals li[data-pending="CP-ROGUE"]') && `+
			textOf(`#chargers tr[data-charger="CP-ROGUE"] [data-col="admission"]`)+` === "Rejected"`, 5*time.Second)

		// Accept: the charger used no password, so Joule issues one, shown once.
		tb.click(`#approvals li[data-pending="CP-NEW-7"] button[data-action="accept"]`)
		tb.wait("the password dialog", visible("#password-dialog")+` && document.querySelector("#password-dialog").open && `+
			visible("#password-value"), 30*time.Second) // the accept waits for the charger's answer to the new key: slow under a loaded -race run
		pw := eval[string](tb, textOf("#password-value"))
		if !hex40.MatchString(pw) {
			t.Fatalf("password = %q, want 40 hex digits", pw)
		}
		if !eval[bool](tb, `document.querySelector("#password-dialog").contains(document.activeElement)`) {
			t.Error("focus is not in the password dialog")
		}
		if got := eval[string](tb, textOf("#password-delivery")); !strings.Contains(got, "accepted it") {
			t.Errorf("delivery = %q, want the charger's acceptance in words", got)
		}
		if eval[bool](tb, fmt.Sprintf(`[JSON.stringify(localStorage), JSON.stringify(sessionStorage), location.href].join(" ").includes(%q)`, pw)) {
			t.Error("the password is in storage or the URL")
		}
		tb.run(chromedp.Click(chromedp.CSS("#password-close")))
		tb.wait("the dialog gone", `!document.querySelector("#password-dialog")`, 3*time.Second)
		if strings.Contains(eval[string](tb, `document.documentElement.outerHTML`), pw) {
			t.Error("the password stays in the page after the dialog closed")
		}

		// The charger takes the password, reconnects with it (which raises
		// its minimum profile to 1) and boots Accepted.
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := newcomer.WaitBooted(wctx); err != nil {
			t.Fatalf("CP-NEW-7 boot after acceptance: %v", err)
		}
		waitFor(t, "CP-NEW-7 connected with its password", 10*time.Second, func() bool {
			var c struct{ MinSecurityProfile int }
			s.call(t, "GET", "/api/v1/chargers/CP-NEW-7", nil, &c)
			return c.MinSecurityProfile == 1 && newcomer.SecurityProfile() == 1
		})
		row := `#chargers tr[data-charger="CP-NEW-7"]`
		tb.wait("CP-NEW-7 accepted, online, profile 1", textOf(row+` [data-col="admission"]`)+` === "Accepted" && `+
			textOf(row+` [data-col="security"]`)+` === "1 · password" && `+textOf(row+` td:nth-child(2)`)+`.startsWith("Online")`, 10*time.Second)
		tb.wait("the panel empty", `!document.querySelector("#approvals li[data-pending]")`, 3*time.Second)
	}) {
		return
	}

	t.Run("ChargerSecurity", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/chargers/CP-NEW-7", "olga@example.com", testPassword)
		tb.wait("the security card", visible("#security-facts")+` && `+textOf(`#security-facts [data-fact="Admission"]`)+` === "Accepted" && `+
			textOf(`#security-facts [data-fact="Profile"]`)+`.startsWith("1 · password")`, 5*time.Second)
		tb.wait("a security event", visible(`#security-events tr[data-security-event]`), 5*time.Second)
		tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)

		// A downgrade below the profile the charger has used asks first.
		tb.run(chromedp.SetValue(chromedp.CSS("#security-profile"), "0"), chromedp.Click(chromedp.CSS(`#security form button[type="submit"]`)))
		tb.wait("the downgrade confirmation", visible("#confirm-dialog")+` && `+textOf("#confirm-dialog")+`.includes("Allow profile 0")`, 3*time.Second)
		tb.run(chromedp.Click(chromedp.CSS("#confirm-cancel")))
		tb.wait("the profile unchanged", `!document.querySelector("#confirm-dialog") && document.querySelector("#security-profile").value === "1"`, 3*time.Second)

		tb.run(chromedp.Click(chromedp.CSS("#issue-password")))
		tb.wait("the password dialog", visible("#password-dialog")+` && `+textOf("#password-delivery")+` !== ""`, 10*time.Second)
		if pw := eval[string](tb, textOf("#password-value")); !hex40.MatchString(pw) {
			t.Errorf("new password = %q, want 40 hex digits", pw)
		}
		tb.run(chromedp.Click(chromedp.CSS("#password-close")))
		tb.wait("the dialog gone, focus back on the button", `!document.querySelector("#password-dialog") && document.activeElement === document.querySelector("#issue-password")`, 3*time.Second)
		// The charger reconnects with the new password; Joule notes it.
		tb.wait("NewPasswordInUse", visible(`#security-events tr[data-type="`+charging.SecPasswordUsed+`"]`), 10*time.Second)
		eval[bool](tb, `document.querySelector("#security").scrollIntoView({block: "start"}), true`)
		tb.screenshot("operator-charger-security.png")

		// Delete: confirm, then back to the list without the charger.
		stopNewcomer()
		tb.run(chromedp.Click(chromedp.CSS("#delete-charger")))
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.run(chromedp.Click(chromedp.CSS("#confirm-ok")))
		tb.wait("the chargers list without CP-NEW-7", `location.pathname === "/operator/chargers" && !!document.querySelector('#chargers tr[data-charger="CP-LOBBY"]') && `+
			`!document.querySelector('#chargers tr[data-charger="CP-NEW-7"]')`, 5*time.Second)
	})
}
