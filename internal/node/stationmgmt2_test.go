package node_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

type localListVersion struct {
	ChargerID       string `json:"chargerId"`
	Version         int    `json:"version"`
	LatestVersion   int    `json:"latestVersion"`
	Behind          bool   `json:"behind"`
	ReportedVersion *int   `json:"reportedVersion"`
}

// localLists returns GET /local-list by charger id.
func localLists(t *testing.T, api string) map[string]localListVersion {
	t.Helper()
	var out struct{ Items []localListVersion }
	if st, _ := call(t, "GET", api+"/local-list", nil, &out); st != 200 {
		t.Fatalf("GET /local-list = %d, want 200", st)
	}
	m := map[string]localListVersion{}
	for _, v := range out.Items {
		m[v.ChargerID] = v
	}
	return m
}

// TestLocalAuthList: a Full list from the stored id tags, an explicit
// list, a differential update, the version query, the chargers behind, a
// generic SendLocalList booked like the typed one, and a charger that
// authorizes a card from its local list while offline.
func TestLocalAuthList(t *testing.T) {
	n := startNode(t, node.Config{})
	cp1, _ := startSim(t, sim.Config{URL: n.WS, ID: "LL-1", MeterValueSampleInterval: time.Hour})
	startSim(t, sim.Config{URL: n.WS, ID: "LL-2", MeterValueSampleInterval: time.Hour})
	api := n.Base + "/api/v1"

	call(t, "POST", api+"/id-tags", []map[string]any{{"idTag": "CARD-A", "status": "Accepted"}, {"idTag": "CARD-B", "status": "Blocked"}}, nil)

	type sent struct {
		CommandID   string `json:"commandId"`
		Status      string `json:"status"`
		ListVersion int    `json:"listVersion"`
		Entries     int    `json:"entries"`
	}
	var full sent
	if st, _ := call(t, "POST", api+"/chargers/LL-1/local-list", map[string]any{"updateType": "Full"}, &full); st != 200 || full.Status != "Accepted" || full.Entries != 2 || full.ListVersion < 1 {
		t.Fatalf("POST LL-1 local-list Full = %d %+v, want 200 Accepted with the 2 stored id tags", st, full)
	}
	v1 := full.ListVersion
	got := localLists(t, api)
	if g := got["LL-1"]; g.Version != v1 || g.Behind || g.LatestVersion != v1 {
		t.Errorf("LL-1 after the full list = %+v, want version %d, not behind", g, v1)
	}
	if g := got["LL-2"]; g.Version != 0 || !g.Behind {
		t.Errorf("LL-2 without a list = %+v, want version 0, behind", g)
	}

	var explicit sent
	call(t, "POST", api+"/chargers/LL-2/local-list", map[string]any{"updateType": "Full", "entries": []map[string]any{{"idTag": "CARD-A", "status": "Accepted"}}}, &explicit)
	if explicit.Status != "Accepted" || explicit.Entries != 1 || explicit.ListVersion <= v1 {
		t.Fatalf("POST LL-2 local-list with entries = %+v, want Accepted, 1 entry, a version above %d", explicit, v1)
	}
	if g := localLists(t, api)["LL-1"]; !g.Behind || g.LatestVersion != explicit.ListVersion {
		t.Errorf("LL-1 after LL-2 got a newer list = %+v, want behind version %d", g, explicit.ListVersion)
	}

	// A differential update adds CARD-C and removes CARD-B.
	var diff sent
	call(t, "POST", api+"/chargers/LL-1/local-list", map[string]any{"updateType": "Differential",
		"entries": []map[string]any{{"idTag": "CARD-C", "status": "Accepted"}, {"idTag": "CARD-B"}}}, &diff)
	if diff.Status != "Accepted" || diff.ListVersion <= explicit.ListVersion {
		t.Fatalf("differential = %+v, want Accepted with a version above %d", diff, explicit.ListVersion)
	}
	var ver localListVersion
	if st, _ := call(t, "GET", api+"/chargers/LL-1/local-list/version", nil, &ver); st != 200 || ver.ReportedVersion == nil || *ver.ReportedVersion != diff.ListVersion || ver.Version != diff.ListVersion || ver.Behind {
		t.Errorf("GET LL-1 local-list/version = %d %+v, want reported and accepted version %d, not behind", st, ver, diff.ListVersion)
	}
	if st, _ := call(t, "POST", api+"/chargers/LL-1/local-list", map[string]any{"updateType": "Full", "entries": []map[string]any{{"idTag": "CARD-X"}}}, nil); st != 400 {
		t.Errorf("Full list entry without status = %d, want 400", st)
	}

	// Generic commands are booked too: an older differential is a
	// VersionMismatch and changes nothing; an accepted full list does.
	var res struct {
		Status   string         `json:"status"`
		Response map[string]any `json:"response"`
	}
	call(t, "POST", api+"/chargers/LL-2/commands/SendLocalList", map[string]any{"listVersion": 1, "updateType": "Differential"}, &res)
	if res.Response["status"] != "VersionMismatch" {
		t.Errorf("generic differential with version 1 = %+v, want VersionMismatch", res)
	}
	if g := localLists(t, api)["LL-2"]; g.Version != explicit.ListVersion {
		t.Errorf("LL-2 after a VersionMismatch = %+v, want version %d kept", g, explicit.ListVersion)
	}
	high := diff.ListVersion + 10
	call(t, "POST", api+"/chargers/LL-2/commands/SendLocalList", map[string]any{"listVersion": high, "updateType": "Full",
		"localAuthorizationList": []map[string]any{{"idTag": "CARD-A", "idTagInfo": map[string]any{"status": "Accepted"}}}}, &res)
	got = localLists(t, api)
	if res.Response["status"] != "Accepted" || got["LL-2"].Version != high || got["LL-2"].Behind || !got["LL-1"].Behind {
		t.Errorf("after a generic full list %d: answer %+v, versions %+v; want LL-2 at %d and LL-1 behind", high, res, got, high)
	}
	var next sent
	call(t, "POST", api+"/chargers/LL-1/local-list", map[string]any{"updateType": "Full"}, &next)
	if next.ListVersion <= high {
		t.Errorf("next allocated version = %d, want above %d", next.ListVersion, high)
	}

	// Offline, LL-1 authorizes from its list: the last full list holds the
	// stored tags, CARD-A Accepted and CARD-B Blocked.
	if cp1.LocalListVersion() != next.ListVersion {
		t.Errorf("sim LL-1 list version = %d, want %d", cp1.LocalListVersion(), next.ListVersion)
	}
	n.Stop()
	eventually(t, 10*time.Second, "LL-1 offline", func() bool { return !cp1.Connected() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cp1.SwipeCard(ctx, 2, "CARD-B"); !errors.Is(err, sim.ErrOffline) {
		t.Errorf("offline swipe of blocked CARD-B = %v, want ErrOffline", err)
	}
	if err := cp1.SwipeCard(ctx, 1, "CARD-A"); err != nil {
		t.Fatalf("offline swipe of CARD-A (in the local list) = %v, want a transaction", err)
	}
	if st := cp1.State(1); st.IDTag != "CARD-A" || st.TransactionID >= 0 {
		t.Errorf("connector 1 after the offline swipe = %+v, want an offline transaction for CARD-A", st)
	}
}
