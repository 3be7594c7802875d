package node_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
)

// TestReservationExpiresWhilePlugging: the driver plugs in just as the
// reservation expires; the charger still starts with the reservation id.
// Joule never refuses the transaction: it gets a session, flagged, and the
// reservation stays expired (not used).
func TestReservationExpiresWhilePlugging(t *testing.T) {
	n := startNode(t, node.Config{SweepInterval: 50 * time.Millisecond, StartTimeout: 5 * time.Second})
	api := n.Base + "/api/v1"
	c, _ := dialRaw(t, n.WS+"/RES-RAW", "ocpp1.6")
	wantResult(t, c.call("boot", "BootNotification", `{"chargePointVendor":"V","chargePointModel":"M"}`, nil), `"Accepted"`)
	wantResult(t, c.call("st1", "StatusNotification", `{"connectorId":1,"errorCode":"NoError","status":"Available"}`, nil), `{}`)

	// Reserve; the raw charger answers the ReserveNow on this goroutine.
	done := make(chan reservationJSON, 1)
	go func() {
		var r reservationJSON
		call(t, http.MethodPost, api+"/chargers/RES-RAW/connectors/1/reservations",
			map[string]any{"idTag": "ALICE", "expiryDate": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}, &r)
		done <- r
	}()
	var reserveID string
	for reserveID == "" {
		f := c.read(5 * time.Second)
		if len(f) == 4 && string(f[0]) == "2" && str(f[2]) == "ReserveNow" {
			var p struct {
				ReservationID int `json:"reservationId"`
			}
			_ = json.Unmarshal(f[3], &p)
			reserveID = strconv.Itoa(p.ReservationID)
			c.send(fmt.Sprintf(`[3,%s,{"status":"Accepted"}]`, f[1]))
		}
	}
	r := <-done
	if r.Status != "active" || strconv.Itoa(r.ID) != reserveID {
		t.Fatalf("reservation = %+v, want active with id %s", r, reserveID)
	}
	eventually(t, 10*time.Second, "reservation expired", func() bool {
		call(t, http.MethodGet, api+"/reservations/"+reserveID, nil, &r)
		return r.Status == "expired"
	})

	// The charger, a moment behind, starts with the reservation.
	start := fmt.Sprintf(`{"connectorId":1,"idTag":"ALICE","meterStart":100,"timestamp":%q,"reservationId":%s}`,
		time.Now().UTC().Format(time.RFC3339), reserveID)
	f := c.call("start", "StartTransaction", start, nil)
	wantResult(t, f, `"transactionId"`)
	if !strings.Contains(string(f[2]), `"Accepted"`) {
		t.Errorf("StartTransaction answer = %s, want idTagInfo Accepted: the transaction is never refused", f[2])
	}
	sessions := listSessions(t, n, "chargerId=RES-RAW&status=active")
	if len(sessions) != 1 || sessions[0].IDTag != "ALICE" {
		t.Fatalf("active sessions = %+v, want ALICE's", sessions)
	}
	var s charging.Session = sessions[0]
	if len(s.Flags) == 0 {
		t.Errorf("session flags = %v, want the late reservation flagged", s.Flags)
	}
	call(t, http.MethodGet, api+"/reservations/"+reserveID, nil, &r)
	if r.Status != "expired" {
		t.Errorf("reservation status = %s, want it to stay expired", r.Status)
	}
}
