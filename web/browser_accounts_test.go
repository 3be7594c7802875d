package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/auth/oidctest"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
)

// typeInto types text into the field, as a user would.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.run(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// click clicks the element as a user would (the mouse, at its place).
// A live update may replace the element between finding it and clicking
// it; then the click is tried again on the new one.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "node") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		tb.t.Fatalf("click %s: %v\npage text:\n%s", sel, err, tb.text())
	}
}

// usable is a JS expression: the element is visible (computed style) and
// not disabled (by itself or a disabled fieldset).
func usable(sel string) string {
	return fmt.Sprintf(`(%s && !document.querySelector(%q).matches(":disabled"))`, visible(sel), sel)
}

// usableButtons is a JS expression: the labels of the buttons in the
// elements matching sel that a user could press (visible and enabled).
func usableButtons(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].flatMap(r => [...r.querySelectorAll("button")])
		.filter(e => e.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && getComputedStyle(e).display !== "none" &&
			getComputedStyle(e).visibility !== "hidden" && e.getBoundingClientRect().height > 0 && !e.matches(":disabled"))
		.map(e => e.id || e.textContent)`, sel)
}

// waitAcross is wait for a condition that holds after navigations
// (redirects through other sites): evaluation errors while a page is
// replaced are retried.
func (tb *tab) waitAcross(what, expr string, d time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("waiting for %s (%s): %v\npage text:\n%s", what, expr, err, tb.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// userID finds a user's id by email through the admin API.
func (s *stack) userID(t *testing.T, email string) string {
	t.Helper()
	var p struct {
		Items []struct{ ID, Email string }
	}
	if st := s.call(t, "GET", "/api/v1/users?limit=1000", nil, &p); st != http.StatusOK {
		t.Fatalf("GET /api/v1/users: status = %d", st)
	}
	for _, u := range p.Items {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no user %s", email)
	return ""
}

// TestBrowserAccounts: people sign in. The operator sets up the first
// admin with the admin token, manages users; a viewer looks without
// commands; an operator resets a charger; drivers sign up, charge and see
// only their own sessions; a driver links and removes an RFID card.
func TestBrowserAccounts(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)
	s.charger(t, "CP-A", 2)
	s.setConnector(t, "CP-A", 1, "CCS2", 50000)
	s.setConnector(t, "CP-A", 2, "Type2", 22000)
	b := startBrowser(t, exe, s.base)

	const adminEmail, adminPassword = "ada@example.com", "a long admin passphrase"

	// The rest needs the admin this sets up.
	if !t.Run("FirstRunSetup", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.open("/operator")
		tb.wait("the operator sign-in with the first-run form", `location.pathname === "/operator/signin" && `+visible("#setup-form")+` && `+visible("#signin-form"), 5*time.Second)

		tb.typeInto("#setup-token", "jk_not-the-token")
		tb.typeInto("#setup-email", adminEmail)
		tb.typeInto("#setup-name", "Ada Admin")
		tb.typeInto("#setup-password", adminPassword)
		tb.click("#setup-submit")
		tb.wait("the API's message for a wrong token", visible("#setup-error")+` && `+textOf("#setup-error")+`.includes("not the admin token")`, 5*time.Second)
		tb.screenshot("operator-first-run.png")
		if path := eval[string](tb, `location.pathname`); path != "/operator/signin" {
			t.Errorf("after a wrong token the page is %s, want to stay on /operator/signin", path)
		}

		tb.clear("#setup-token")
		tb.typeInto("#setup-token", s.token)
		tb.click("#setup-submit")
		tb.wait("the dashboard, signed in as the admin", `location.pathname === "/operator" && !!document.querySelector('[data-tile="online"]') && `+
			textOf("#who")+` === "Ada Admin"`, 5*time.Second)
		if !eval[bool](tb, `!!document.querySelector('#nav a[href="/operator/users"]')`) {
			t.Error("the admin's navigation has no Users page")
		}
		// The sign-in is an HttpOnly cookie: nothing a script can read.
		if got := eval[string](tb, `document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)`); strings.Contains(got, "jt_") || strings.Contains(got, "jk_") {
			t.Errorf("a token is readable by scripts: %q", got)
		}
		var prov struct{ SetupRequired bool }
		s.call(t, "GET", "/api/v1/auth/providers", nil, &prov)
		if prov.SetupRequired {
			t.Error("setupRequired is still true after the first sign-in")
		}
	}) {
		return
	}

	t.Run("AdminUsers", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/users", adminEmail, adminPassword)
		tb.wait("the users table", `!!document.querySelector('#users tr[data-user="`+adminEmail+`"]')`, 5*time.Second)

		create := func(email, name, role string) {
			t.Helper()
			tb.typeInto("#new-user-email", email)
			tb.typeInto("#new-user-name", name)
			tb.run(chromedp.SetValue(chromedp.CSS("#new-user-role"), role))
			tb.typeInto("#new-user-password", testPassword)
			tb.click("#create-user")
			tb.wait(email+" in the table", visible(`#users tr[data-user="`+email+`"]`)+` && `+textOf("#create-user-status")+`.includes("Created `+email+`")`, 5*time.Second)
		}
		create("vera@example.com", "Vera Viewer", "viewer")
		create("tom@example.com", "Tom Temp", "operator")
		if got := eval[string](tb, `document.querySelector('#users tr[data-user="vera@example.com"] select').value`); got != "viewer" {
			t.Errorf("vera's role = %q, want viewer", got)
		}

		// Disable Tom: he can no longer sign in.
		tom := `#users tr[data-user="tom@example.com"]`
		tb.click(tom + ` button[data-action="disable"]`)
		tb.wait("Tom disabled", textOf(tom+` [data-col="status"]`)+` === "Disabled" && `+visible(tom+` button[data-action="enable"]`), 5*time.Second)
		var u struct{ Disabled bool }
		s.call(t, "GET", "/api/v1/users/"+s.userID(t, "tom@example.com"), nil, &u)
		if !u.Disabled {
			t.Error("the API says Tom is not disabled")
		}
		if st := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"email": "tom@example.com", "password": testPassword}, nil); st != http.StatusForbidden {
			t.Errorf("a disabled user's sign-in: status = %d, want 403", st)
		}

		// An API key: shown once, then listed by its prefix only.
		tb.typeInto("#new-key-name", "Billing backend")
		tb.run(chromedp.SetValue(chromedp.CSS("#new-key-role"), "viewer"))
		tb.click("#create-key")
		tb.wait("the key dialog", visible("#key-dialog")+` && `+visible("#key-value")+` && `+visible("#key-copy"), 5*time.Second)
		key := eval[string](tb, textOf("#key-value"))
		if !strings.HasPrefix(key, "jk_") {
			t.Fatalf("API key = %q, want jk_…", key)
		}
		tb.click("#key-close")
		tb.wait("the dialog gone, the key listed", `!document.querySelector("#key-dialog") && [...document.querySelectorAll("#api-keys tr[data-key]")].some(r => r.textContent.includes("Billing backend"))`, 3*time.Second)
		if strings.Contains(eval[string](tb, `document.documentElement.outerHTML`), key) {
			t.Error("the API key stays in the page after its dialog closed")
		}
		req, _ := http.NewRequest("GET", s.api+"/api/v1/chargers", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusOK {
			t.Errorf("GET /api/v1/chargers with the new key: %v %v, want 200", err, r.StatusCode)
		} else {
			r.Body.Close()
		}
		eval[bool](tb, `window.scrollTo(0, 0), true`)
		tb.screenshot("operator-users.png")

		// Delete Tom, after a confirmation.
		tb.click(tom + ` button[data-action="delete"]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.click("#confirm-ok")
		tb.wait("Tom gone", `!document.querySelector('`+tom+`') && `+textOf("#users-status")+`.includes("deleted")`, 5*time.Second)
	})

	t.Run("Viewer", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/chargers/CP-A", "vera@example.com", testPassword)
		tb.wait("the charger page", visible("#commands")+` && `+textOf("#charger-online")+` === "Online"`, 5*time.Second)
		if got := eval[[]string](tb, usableButtons("#commands, #security, #approvals, #charger-settings")); len(got) != 0 {
			t.Errorf("a viewer can press %q; want no command or change button", got)
		}
		if !eval[bool](tb, visible("#read-only")) {
			t.Error("no note that the viewer cannot send commands")
		}
		if eval[bool](tb, usable("#cmd-Reset")) {
			t.Error("Reset is usable by a viewer")
		}
		if eval[bool](tb, `!!document.querySelector('#nav a[href="/operator/users"]')`) {
			t.Error("a viewer's navigation shows Users")
		}
		// The fleet is there to see.
		tb.click(`#nav a[href="/operator/chargers"]`)
		tb.wait("the chargers table", `document.querySelectorAll("#chargers tr[data-charger]").length === 1`, 5*time.Second)

		// The admin disables Vera: her sign-in ends; the next call takes her
		// to the sign-in screen with a message, and back after signing in.
		id := s.userID(t, "vera@example.com")
		if st := s.call(t, "PATCH", "/api/v1/users/"+id, map[string]bool{"disabled": true}, nil); st != http.StatusOK {
			t.Fatalf("disable vera: status = %d", st)
		}
		tb.click(`#nav a[href="/operator/sessions"]`)
		tb.wait("the sign-in screen with a message", `location.pathname === "/operator/signin" && `+visible("#signin-form")+` && `+
			visible("#signin-notice")+` && `+textOf("#signin-notice")+`.includes("sign-in has ended")`, 5*time.Second)
		if st := s.call(t, "PATCH", "/api/v1/users/"+id, map[string]bool{"disabled": false}, nil); st != http.StatusOK {
			t.Fatalf("enable vera: status = %d", st)
		}
		tb.typeInto("#signin-email", "vera@example.com")
		tb.typeInto("#signin-password", testPassword)
		tb.click("#signin-submit")
		tb.wait("back where she was", `location.pathname === "/operator/sessions" && !!document.querySelector("#sessions")`, 5*time.Second)

		// Users is for admins.
		tb.open("/operator/users")
		tb.wait("the admins-only note", visible("#admin-only")+` && !document.querySelector("#users")`, 5*time.Second)
	})

	t.Run("OperatorReset", func(t *testing.T) {
		s.addUser(t, "olga@example.com", "Olga Operator", "operator")
		tb := b.tab(t, 1280, 900, false)
		tb.open("/operator/chargers/CP-A")
		tb.wait("the operator sign-in", `location.pathname === "/operator/signin" && `+visible("#signin-form")+` && !document.querySelector("#setup-form")`, 5*time.Second)
		tb.typeInto("#signin-email", "olga@example.com")
		tb.screenshot("operator-sign-in.png")
		tb.typeInto("#signin-password", "not her password")
		tb.click("#signin-submit")
		tb.wait("the wrong password refused", visible("#signin-error")+` && `+textOf("#signin-error")+`.includes("wrong")`, 5*time.Second)
		tb.clear("#signin-password")
		tb.typeInto("#signin-password", testPassword)
		tb.click("#signin-submit")
		tb.wait("the charger page", `location.pathname === "/operator/chargers/CP-A" && `+usable("#cmd-Reset")+` && `+textOf("#charger-online")+` === "Online"`, 5*time.Second)
		if got := eval[[]string](tb, usableButtons("#commands")); len(got) < 6 {
			t.Errorf("an operator can press %q in the command panel; want every command", got)
		}
		if eval[bool](tb, `!!document.querySelector("#read-only")`) {
			t.Error("an operator is told the page is read-only")
		}
		tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		tb.run(chromedp.SetValue(chromedp.CSS("#reset-type"), "Soft"))
		tb.click("#cmd-Reset")
		tb.wait("the charger's answer", textOf("#command-status")+` === "Reset: Accepted"`, 5*time.Second)
		tb.wait("the disconnect and the new boot", `!!document.querySelector('#activity li[data-type="charger.disconnected"]') && !!document.querySelector('#activity li[data-type="charger.booted"]')`, 10*time.Second)
		tb.wait("the charger online again", textOf("#charger-online")+` === "Online"`, 5*time.Second)
		var cmds struct {
			Items []struct{ Action, RequestedBy string }
		}
		s.call(t, "GET", "/api/v1/chargers/CP-A/commands", nil, &cmds)
		if len(cmds.Items) == 0 || !strings.Contains(cmds.Items[0].RequestedBy, "olga@example.com") {
			t.Errorf("commands = %+v, want the reset requested by olga@example.com", cmds.Items)
		}

		// Staff have an account page too, in the operator view.
		tb.click("#account-menu summary")
		tb.wait("the menu", visible("#account-link"), 3*time.Second)
		tb.click("#account-link")
		tb.wait("the operator's account page", `location.pathname === "/operator/account" && `+textOf(`[data-fact="role"]`)+` === "Operator" && `+
			visible("#change-password")+` && !document.querySelector("#cards")`, 5*time.Second)
	})

	var sessionID string
	t.Run("DriverSignUpAndCharge", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.open("/")
		tb.wait("the sign-in screen", `location.pathname === "/signin" && `+visible("#signin-form")+` && `+visible("#to-signup")+` && !document.querySelector("#charger-list")`, 5*time.Second)
		tb.screenshot("driver-sign-in.png")

		tb.click("#to-signup")
		tb.wait("the sign-up screen", `location.pathname === "/signup" && `+visible("#signup-form"), 5*time.Second)
		tb.typeInto("#signup-name", "Dana Driver")
		tb.typeInto("#signup-email", "dana@example.com")
		tb.typeInto("#signup-password", testPassword)
		tb.screenshot("driver-sign-up.png")
		tb.click("#signup-submit")
		tb.wait("the chargers, signed in", `location.pathname === "/" && document.querySelectorAll("[data-charger]").length === 1 && `+textOf("#who")+` === "Dana Driver"`, 5*time.Second)

		tb.click(`[data-charger="CP-A"]`)
		tb.wait("the charger page", `location.pathname === "/chargers/CP-A" && !!document.querySelector("#conn-1")`, 5*time.Second)
		tb.click("#conn-1")
		tb.click("#start")
		tb.wait("the live session", `location.pathname.startsWith("/sessions/") && `+textOf("h1")+` === "Charging"`, 10*time.Second)
		tb.wait("power above 0 kW", numOf(`[data-value="power"]`)+` > 0`, 10*time.Second)
		sessionID = strings.TrimPrefix(eval[string](tb, `location.pathname`), "/sessions/")

		// The session is Dana's, started with her app id tag.
		var ses struct{ IDTag, OwnerID string }
		s.call(t, "GET", "/api/v1/sessions/"+sessionID, nil, &ses)
		var dana struct{ ID, AppIDTag string }
		s.call(t, "GET", "/api/v1/users/"+s.userID(t, "dana@example.com"), nil, &dana)
		if ses.OwnerID != dana.ID || ses.IDTag != dana.AppIDTag || dana.AppIDTag == "" {
			t.Errorf("session idTag %q owner %q; want Dana's app id tag %q and id %q", ses.IDTag, ses.OwnerID, dana.AppIDTag, dana.ID)
		}

		tb.click("#stop")
		tb.wait("the summary", visible("#summary")+` && `+textOf("h1")+` === "Session summary"`, 10*time.Second)
		tb.click(`#nav a[href="/history"]`)
		tb.wait("the history with the session", `location.pathname === "/history" && document.querySelectorAll("#history a.card").length === 1`, 5*time.Second)

		// The sign-in outlives a reload (the cookie).
		tb.run(chromedp.Reload())
		tb.wait("still signed in after a reload", `location.pathname === "/history" && document.querySelectorAll("#history a.card").length === 1 && `+textOf("#who")+` === "Dana Driver"`, 5*time.Second)

		// Sign out from the header's menu.
		tb.click("#account-menu summary")
		tb.wait("the menu open", visible("#sign-out")+` && `+visible("#account-link"), 3*time.Second)
		tb.click("#sign-out")
		tb.wait("the sign-in screen", `location.pathname === "/signin" && `+visible("#signin-form")+` && `+textOf("#signin-notice")+`.includes("signed out")`, 5*time.Second)
		for _, p := range []string{"/", "/history", "/sessions/" + sessionID} {
			tb.open(p)
			tb.wait("the sign-in screen for "+p, visible("#signin-form")+` && !document.querySelector("#history, #live, #charger-list, #account-menu")`, 5*time.Second)
		}
	})
	if sessionID == "" {
		return
	}

	t.Run("SecondDriverSeesNothingOfTheFirst", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.open("/signup")
		tb.wait("the sign-up screen", visible("#signup-form"), 5*time.Second)
		tb.typeInto("#signup-name", "Eve Driver")
		tb.typeInto("#signup-email", "eve@example.com")
		tb.typeInto("#signup-password", testPassword)
		tb.click("#signup-submit")
		tb.wait("signed in", `location.pathname === "/" && `+textOf("#who")+` === "Eve Driver"`, 5*time.Second)

		tb.click(`#nav a[href="/history"]`)
		tb.wait("an empty history", `location.pathname === "/history" && `+visible("#history p")+` && document.querySelectorAll("#history a.card").length === 0`, 5*time.Second)

		tb.open("/sessions/" + sessionID)
		tb.wait("Session not found", visible("#not-found")+` && `+textOf("#not-found")+` === "Session not found"`, 5*time.Second)
		if eval[bool](tb, `!!document.querySelector("#live, #summary, #stop")`) {
			t.Error("the other driver's session page shows the session")
		}
		if txt := tb.text(); strings.Contains(txt, "Something went wrong") || strings.Contains(txt, "kWh") {
			t.Errorf("the not-found page shows an error or data:\n%s", txt)
		}
	})

	t.Run("AccountCards", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/account", "dana@example.com", testPassword)
		tb.wait("the account page", visible("#account-name")+` && `+textOf(`[data-fact="email"]`)+` === "dana@example.com" && `+
			textOf("#app-id-tag")+`.startsWith("J") && `+visible("#no-cards"), 5*time.Second)
		if got := eval[string](tb, `document.querySelector("#account-name").value`); got != "Dana Driver" {
			t.Errorf("name field = %q, want Dana Driver", got)
		}

		// A new name shows in the header at once.
		tb.clear("#account-name")
		tb.typeInto("#account-name", "Dana D. Driver")
		tb.click("#save-name")
		tb.wait("the name saved", textOf("#profile-status")+` === "Name saved." && `+textOf("#who")+` === "Dana D. Driver"`, 5*time.Second)

		tb.typeInto("#card-id", "RFID-0042")
		tb.click("#link-card")
		tb.wait("the card listed", visible(`#cards li[data-card="RFID-0042"]`)+` && !document.querySelector("#no-cards")`, 5*time.Second)
		eval[bool](tb, `document.activeElement.blur(), window.scrollTo(0, 0), true`)
		tb.fullScreenshot("driver-account.png")

		// Another driver cannot link the same card: the API's 409 in words.
		other := b.tab(t, 390, 844, true)
		other.signIn("/account", "eve@example.com", testPassword)
		other.typeInto("#card-id", "RFID-0042")
		other.click("#link-card")
		other.wait("the conflict", textOf("#cards-status")+`.includes("already registered") && !document.querySelector('#cards li[data-card="RFID-0042"]')`, 5*time.Second)

		// The app's own tag cannot be removed; the card can.
		if eval[bool](tb, `!!document.querySelector("#cards li:first-child button")`) {
			t.Error("the app id tag has a Remove button")
		}
		tb.click(`#cards button[data-remove="RFID-0042"]`)
		tb.wait("the confirmation", visible("#confirm-ok"), 3*time.Second)
		tb.click("#confirm-ok")
		tb.wait("the card gone", `!document.querySelector('#cards li[data-card="RFID-0042"]') && `+visible("#no-cards")+` && `+textOf("#cards-status")+`.includes("removed")`, 5*time.Second)
		var dana struct{ IDTags []string }
		s.call(t, "GET", "/api/v1/users/"+s.userID(t, "dana@example.com"), nil, &dana)
		if len(dana.IDTags) != 1 {
			t.Errorf("Dana's id tags = %v, want only the app's", dana.IDTags)
		}

		// A new password: the current one is checked first.
		tb.typeInto("#current-password", "not my password")
		tb.typeInto("#new-password", "an even longer passphrase")
		tb.click("#change-password")
		tb.wait("the wrong current password", textOf("#password-status")+` === "The current password is wrong."`, 5*time.Second)
		tb.clear("#current-password")
		tb.typeInto("#current-password", testPassword)
		tb.click("#change-password")
		tb.wait("the password changed", textOf("#password-status")+`.startsWith("Password changed")`, 5*time.Second)
		// This browser got a fresh sign-in: it goes on working.
		tb.click(`#nav a[href="/history"]`)
		tb.wait("the history, still signed in", `location.pathname === "/history" && document.querySelectorAll("#history a.card").length === 1`, 5*time.Second)
		if st := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"email": "dana@example.com", "password": "an even longer passphrase"}, nil); st != http.StatusOK {
			t.Errorf("sign-in with the new password: status = %d, want 200", st)
		}
	})

	t.Run("DriverInOperatorView", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.open("/operator/signin")
		tb.wait("the operator sign-in", visible("#signin-form"), 5*time.Second)
		tb.typeInto("#signin-email", "eve@example.com")
		tb.typeInto("#signin-password", testPassword)
		tb.click("#signin-submit")
		tb.wait("told the view is for staff", `location.pathname === "/operator" && `+visible("#staff-only")+` && `+textOf("#staff-only h1")+` === "This view is for staff"`, 5*time.Second)
		if eval[bool](tb, `!!document.querySelector("#nav a, [data-tile]")`) {
			t.Error("a driver sees the operator's navigation or dashboard")
		}
		tb.click(`#staff-only a[href="/"]`)
		tb.wait("the driver app", `location.pathname === "/" && !!document.querySelector("#charger-list")`, 5*time.Second)
	})
}

// TestBrowserSignInOptions: with driver sign-up closed the app offers no
// sign-up, and staff sign in through the operator's identity provider.
func TestBrowserSignInOptions(t *testing.T) {
	exe := chromium(t)
	idp := oidctest.New(t, "joule", "joule-secret")
	idp.SetUser(map[string]any{"sub": "sam-1", "email": "sam@example.com", "email_verified": true, "name": "Sam Staff", "groups": []string{"joule-ops"}})
	s := startNode(t, func(c *node.Config) {
		c.DriverSignupClosed = true
		c.OIDC = auth.OIDCConfig{Issuer: idp.URL, ClientID: "joule", ClientSecret: "joule-secret", HTTPClient: idp.Client(),
			RoleMap: map[string]charging.Role{"joule-ops": charging.RoleOperator}}
	})
	s.charger(t, "CP-S", 1)
	b := startBrowser(t, exe, s.base)

	t.Run("SignupClosed", func(t *testing.T) {
		tb := b.tab(t, 390, 844, true)
		tb.open("/")
		tb.wait("the sign-in screen without sign-up", visible("#signin-form")+` && `+visible("#signup-closed")+` && !document.querySelector("#to-signup, #tab-signup")`, 5*time.Second)
		tb.open("/signup")
		tb.wait("sign-up closed", visible("#signup-closed")+` && !document.querySelector("#signup-form")`, 5*time.Second)
	})

	t.Run("SingleSignOn", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.open("/operator/chargers/CP-S")
		tb.wait("the SSO button", `location.pathname === "/operator/signin" && `+visible("#sso")+` && `+visible("#signin-form"), 5*time.Second)
		tb.click("#sso")
		tb.waitAcross("back where the sign-in began, signed in by the provider", `location.pathname === "/operator/chargers/CP-S" && `+textOf("#who")+` === "Sam Staff" && `+
			usable("#cmd-Reset"), 10*time.Second)
		if n := idp.Exchanges(); n != 1 {
			t.Errorf("code exchanges = %d, want 1", n)
		}
	})
}
