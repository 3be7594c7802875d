package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/sim"
)

// charger201 runs a simulated OCPP 2.0.1 charging station until the test
// ends (or stop is called) and waits for its boot.
func (s *stack) charger201(t *testing.T, id string, connectors int) (stop func()) {
	t.Helper()
	_, stop = s.runCharger(t, sim.Config{ID: id, OCPPVersion: sim.OCPP201, Connectors: connectors})
	s.waitConnectors(t, id, connectors)
	return stop
}

// operator201 drives the operator's command panel against an OCPP 2.0.1
// charger: the same typed commands as for 1.6 (Joule translates them),
// with 2.0.1's connector statuses shown as they are, and a Hard reset that
// reboots the station. The charger is gone when it returns, so the other
// subtests' counts are not affected.
func operator201(t *testing.T, s *stack, b *browser) {
	stop := s.charger201(t, "CP-201", 2)
	defer stop()
	var ses struct{ ID string }
	if st := s.call(t, "POST", "/api/v1/chargers/CP-201/connectors/1/start", map[string]string{"idTag": "FLEET-9"}, &ses); st != http.StatusAccepted {
		t.Fatalf("start on CP-201/1: status = %d, want 202", st)
	}

	tb := b.tab(t, 1280, 900, false)
	tb.signIn("/operator/chargers/CP-201", "olga@example.com", testPassword)
	tb.wait("the charger page", textOf("#charger-online")+` === "Online" && !!document.querySelector("#cmd-Reset")`, 5*time.Second)
	if txt := tb.text(); !strings.Contains(txt, "OCPP 2.0.1") {
		t.Errorf("charger page lacks the OCPP version OCPP 2.0.1:\n%s", txt)
	}
	// 2.0.1 reports Occupied where 1.6 says Preparing or Charging.
	tb.wait("connector 1 Occupied", textOf(`#connectors tr[data-connector="1"]`)+`.includes("Occupied")`, 10*time.Second)
	if ph := eval[string](tb, `document.querySelector("#set-key").placeholder`); ph != "SampledDataCtrlr.TxUpdatedInterval" {
		t.Errorf("key placeholder = %q, want a 2.0.1 Component.Variable key", ph)
	}
	tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)

	// Change and read a device model variable through the configuration forms.
	tb.run(chromedp.SendKeys(chromedp.CSS("#set-key"), "SampledDataCtrlr.TxUpdatedInterval"),
		chromedp.SendKeys(chromedp.CSS("#set-value"), "15"), chromedp.Click(chromedp.CSS("#cmd-ChangeConfiguration")))
	tb.wait("the change accepted", textOf("#command-status")+` === "ChangeConfiguration: Accepted"`, 5*time.Second)
	tb.run(chromedp.SendKeys(chromedp.CSS("#get-keys"), "SampledDataCtrlr.TxUpdatedInterval"), chromedp.Click(chromedp.CSS("#cmd-GetConfiguration")))
	tb.wait("the value read back", textOf("#command-status")+` === "GetConfiguration: 1 key" && `+textOf("#command-result")+`.includes("SampledDataCtrlr.TxUpdatedInterval = 15")`, 5*time.Second)

	// Trigger a StatusNotification for connector 2.
	tb.run(chromedp.SetValue(chromedp.CSS("#trigger-message"), "StatusNotification"), chromedp.SetValue(chromedp.CSS("#trigger-connector"), "2"),
		chromedp.Click(chromedp.CSS("#cmd-TriggerMessage")))
	tb.wait("the trigger accepted", textOf("#command-status")+` === "TriggerMessage: Accepted"`, 5*time.Second)

	// Hard reset (2.0.1 Immediate): the session ends, the station reboots.
	tb.run(chromedp.SetValue(chromedp.CSS("#reset-type"), "Hard"), chromedp.Click(chromedp.CSS("#cmd-Reset")))
	tb.wait("the charger's answer", textOf("#command-status")+` === "Reset: Accepted"`, 5*time.Second)
	tb.wait("the disconnect and the new boot", `!!document.querySelector('#activity li[data-type="charger.disconnected"]') && !!document.querySelector('#activity li[data-type="charger.booted"]')`, 10*time.Second)
	tb.wait("the charger online again", textOf("#charger-online")+` === "Online"`, 5*time.Second)
	waitFor(t, "the session ended by the reset", 10*time.Second, func() bool {
		var got struct{ Status string }
		s.call(t, "GET", "/api/v1/sessions/"+ses.ID, nil, &got)
		return got.Status == "finished"
	})
}
