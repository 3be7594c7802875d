package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/ocpp16s"
	"github.com/joule-ev/joule/internal/sim"
)

// soapCharger runs a simulated OCPP-S charger (version sim.OCPP15S or
// sim.OCPP16S) that hosts its own service, until the test ends, and waits
// for its boot and its connectors.
func (s *stack) soapCharger(t *testing.T, id, version string, connectors int) *sim.Charger {
	t.Helper()
	c, _ := s.runCharger(t, sim.Config{ID: id, OCPPVersion: version, Connectors: connectors})
	s.waitConnectors(t, id, connectors)
	return c
}

// TestBrowserSOAP: an operator sees an OCPP 1.5 SOAP charger as any other,
// with its protocol and the address Joule calls it at; the command panel
// has no Trigger form for 1.5 (it says why, visibly) and its Reset reaches
// the charger, which boots again. A driver charges on it as on any charger.
func TestBrowserSOAP(t *testing.T) {
	exe := chromium(t)
	s := startNode(t)
	cp := s.soapCharger(t, "CP-15", sim.OCPP15S, 2)
	s.setConnector(t, "CP-15", 1, "Type2", 11000)
	s.soapCharger(t, "CP-16S", sim.OCPP16S, 1)
	s.addUser(t, "olga@example.com", "Olga Operator", "operator")
	s.addUser(t, "dana@example.com", "Dana Driver", "driver")
	b := startBrowser(t, exe, s.base)

	t.Run("Operator", func(t *testing.T) {
		tb := b.tab(t, 1280, 900, false)
		tb.signIn("/operator/chargers", "olga@example.com", testPassword)
		tb.wait("both SOAP chargers listed with their protocol", textOf(`#chargers tr[data-charger="CP-15"] [data-col="ocpp"]`)+` === "OCPP 1.5 SOAP" && `+
			textOf(`#chargers tr[data-charger="CP-16S"] [data-col="ocpp"]`)+` === "OCPP 1.6 SOAP"`, 5*time.Second)
		tb.run(chromedp.Click(chromedp.CSS(`#chargers a[href="/operator/chargers/CP-15"]`)))
		tb.wait("the charger page", textOf("#charger-online")+` === "Online" && !!document.querySelector("#cmd-Reset")`, 5*time.Second)
		if got, want := eval[string](tb, `document.querySelector("#soap-address").textContent`), cp.SOAPAddress(); got != want || want == "" {
			t.Errorf("SOAP address on the page = %q, want the charger's %q", got, want)
		}
		tb.wait("the SOAP address shown", visible("#soap-address"), 2*time.Second)
		if txt := tb.text(); !strings.Contains(txt, "OCPP 1.5 SOAP") {
			t.Errorf("charger page lacks its protocol:\n%s", txt)
		}
		// No Trigger form: a note that says why, visible.
		tb.wait("the note instead of the Trigger form", visible("#no-trigger")+` && !document.querySelector("#cmd-TriggerMessage")`, 2*time.Second)
		if txt := eval[string](tb, `document.querySelector("#no-trigger").innerText`); !strings.Contains(txt, "OCPP 1.5 has no TriggerMessage") {
			t.Errorf("the note says %q", txt)
		}
		tb.wait("the live stream", `document.body.dataset.live === "up"`, 5*time.Second)
		tb.fullScreenshot("operator-soap-charger.png")
		// Availability and Reset reach the charger at its own service.
		tb.run(chromedp.SetValue(chromedp.CSS("#avail-type"), "Inoperative"), chromedp.Click(chromedp.CSS("#cmd-ChangeAvailability")))
		tb.wait("the availability accepted", textOf("#command-status")+` === "ChangeAvailability: Accepted"`, 5*time.Second)
		tb.wait("a connector Unavailable", textOf(`#connectors tr[data-connector="1"]`)+`.includes("Unavailable")`, 5*time.Second)
		tb.run(chromedp.SetValue(chromedp.CSS("#reset-type"), "Soft"), chromedp.Click(chromedp.CSS("#cmd-Reset")))
		tb.wait("the charger's answer", textOf("#command-status")+` === "Reset: Accepted"`, 5*time.Second)
		tb.wait("the new boot", `!!document.querySelector('#activity li[data-type="charger.booted"]')`, 10*time.Second)
		tb.wait("the charger online", textOf("#charger-online")+` === "Online"`, 5*time.Second)
		// After the reboot, a reloaded page shows the same: the protocol,
		// the address and the note, and still no Trigger form.
		tb.run(chromedp.Reload())
		tb.wait("the reloaded page", textOf("#charger-online")+` === "Online" && `+visible("#soap-address")+` && `+visible("#no-trigger")+
			` && !document.querySelector("#cmd-TriggerMessage") && document.body.innerText.includes("OCPP 1.5 SOAP")`, 5*time.Second)
	})

	// A SOAP charger whose messages carry no wsa:From can report but not
	// be commanded: its page says so, visibly, until a message carries
	// its address.
	t.Run("NoAddress", func(t *testing.T) {
		// The charger's requests, through Joule's own SOAP client.
		post := func(op, from string, body any) {
			t.Helper()
			m, err := (&soap.Client{}).Call(context.Background(), soap.Request{Namespace: soap.NSCentralSystem16, Operation: op,
				ChargeBoxIdentity: "CP-NOADDR", To: s.base + "/ocpp/soap", From: from, Body: body})
			if err != nil || m.Action != soap.ResponseAction(op) {
				t.Fatalf("%s: %v", op, err)
			}
		}
		post("BootNotification", "", &ocpp16s.BootNotificationRequest{ChargePointVendor: "V", ChargePointModel: "M"})
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/operator/chargers/CP-NOADDR", "olga@example.com", testPassword)
		tb.wait("the missing address, visible", textOf("#charger-online")+` === "Online" && `+visible("#soap-address")+
			` && document.querySelector("#soap-address").hasAttribute("data-missing")`, 5*time.Second)
		if txt := eval[string](tb, `document.querySelector("#soap-address").innerText`); !strings.Contains(txt, "no wsa:From") || !strings.Contains(txt, "cannot send it commands") {
			t.Errorf("the missing address says %q", txt)
		}
		if st := s.call(t, "POST", "/api/v1/chargers/CP-NOADDR/reset", map[string]string{"type": "Soft"}, nil); st != http.StatusConflict {
			t.Errorf("reset of a charger without an address = %d, want 409", st)
		}
		// A heartbeat that names the address: after a reload, the page
		// shows it and no warning.
		post("Heartbeat", "http://192.0.2.7:8080/ocpp", &ocpp16s.HeartbeatRequest{})
		waitFor(t, "the address stored", 5*time.Second, func() bool {
			var c struct{ SOAPAddress string }
			s.call(t, "GET", "/api/v1/chargers/CP-NOADDR", nil, &c)
			return c.SOAPAddress == "http://192.0.2.7:8080/ocpp"
		})
		tb.run(chromedp.Reload())
		tb.wait("the address shown", visible("#soap-address")+` && `+textOf("#soap-address")+` === "http://192.0.2.7:8080/ocpp" && !document.querySelector("#soap-address").hasAttribute("data-missing")`, 5*time.Second)
	})

	t.Run("Driver", func(t *testing.T) {
		// The operator made the charger Inoperative; make it Operative again.
		var out struct{ Status string }
		if st := s.call(t, "POST", "/api/v1/chargers/CP-15/connectors/0/availability", map[string]string{"type": "Operative"}, &out); st != http.StatusOK || out.Status != "Accepted" {
			t.Fatalf("availability Operative = %d %+v", st, out)
		}
		waitFor(t, "CP-15/1 Available", 10*time.Second, func() bool {
			var ch struct{ Connectors []struct{ Status string } }
			s.call(t, "GET", "/api/v1/chargers/CP-15", nil, &ch)
			return len(ch.Connectors) == 2 && ch.Connectors[0].Status == "Available"
		})
		var ses struct{ ID string }
		if st := s.call(t, "POST", "/api/v1/chargers/CP-15/connectors/1/start", map[string]string{"idTag": "DANA-1"}, &ses); st != http.StatusAccepted {
			t.Fatalf("start on CP-15/1 = %d", st)
		}
		waitFor(t, "the session charging", 10*time.Second, func() bool {
			var got struct {
				Status   string
				EnergyWh float64
			}
			s.call(t, "GET", "/api/v1/sessions/"+ses.ID, nil, &got)
			return got.Status == "active" && got.EnergyWh > 0
		})
		if st := s.call(t, "POST", "/api/v1/sessions/"+ses.ID+"/stop", nil, nil); st != http.StatusAccepted {
			t.Fatalf("stop = %d", st)
		}
		waitFor(t, "the session finished, stopped remotely", 10*time.Second, func() bool {
			var got struct{ Status, StopReason string }
			s.call(t, "GET", "/api/v1/sessions/"+ses.ID, nil, &got)
			return got.Status == "finished" && got.StopReason == "Remote"
		})
		// The driver's app shows the charger as any other.
		tb := b.tab(t, 390, 844, true)
		tb.signIn("/", "dana@example.com", testPassword)
		tb.wait("the SOAP charger in the driver's list", visible(`[data-charger="CP-15"]`), 5*time.Second)
		if txt := tb.text(); strings.Contains(txt, "SOAP") || strings.Contains(txt, "OCPP") {
			t.Errorf("the driver's app shows the protocol:\n%s", txt)
		}
	})
}
