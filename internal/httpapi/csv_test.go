package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

func TestExportSessionsCSV(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	fixtures(e.svc)
	e.svc.sessions["S-2"] = charging.Session{ID: "S-2", ChargerID: "CP-1", ConnectorID: 1, IDTag: "=cmd|' /C calc'!A0",
		Status: charging.SessionFinished, Origin: charging.OriginLocal, EnergyWh: 42}
	res := e.do(t, "GET", "/api/v1/sessions.csv?chargerId=CP-1", "")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" && res.Header.Get("Content-Type") != "text/csv" {
		t.Fatalf("GET sessions.csv = %d %s, want 200 text/csv", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "id" {
		t.Fatalf("rows = %q, want a header and two sessions", rows)
	}
	if q := e.svc.sessionQuery; q.ChargerID != "CP-1" {
		t.Errorf("query = %+v, want the chargerId filter passed", q)
	}
	for _, r := range rows[1:] {
		if r[0] == "S-2" && r[3] == "=cmd|' /C calc'!A0" {
			t.Errorf("a cell starting with = was exported as is (%q): spreadsheets would run it", r[3])
		}
	}
	if res := e.do(t, "GET", "/api/v1/sessions.csv?status=running", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad status filter = %d, want 400", res.StatusCode)
	}
}
