package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

func (f *fakeService) ListVariables(ctx context.Context, q charging.VariableQuery) (charging.Page[charging.Variable], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.chargers[q.ChargerID]; !ok {
		return charging.Page[charging.Variable]{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", q.ChargerID)
	}
	var out []charging.Variable
	for _, v := range f.variables {
		if v.ChargerID == q.ChargerID && (q.Component == "" || q.Component == v.Component) {
			out = append(out, v)
		}
	}
	return charging.Page[charging.Variable]{Items: out}, nil
}

func (f *fakeService) ListChargerEvents(ctx context.Context, q charging.ChargerEventQuery) (charging.Page[charging.ChargerEvent], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.chargers[q.ChargerID]; !ok {
		return charging.Page[charging.ChargerEvent]{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", q.ChargerID)
	}
	return charging.Page[charging.ChargerEvent]{Items: []charging.ChargerEvent{
		{ID: 1, ChargerID: q.ChargerID, Action: "SecurityEventNotification", Kind: "FirmwareUpdated", Payload: json.RawMessage(`{}`)},
	}}, nil
}

func (f *fakeService) SetOCPPVersionOverride(ctx context.Context, chargerID, version string) (charging.Charger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.Charger{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	if version != "" && version != charging.OCPP16 && version != charging.OCPP201 {
		return charging.Charger{}, charging.Errorf(charging.EINVALID, "bad version %q", version)
	}
	c.OCPPVersionOverride = version
	f.chargers[chargerID] = c
	return c, nil
}

func TestDeviceModelRoutes(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	e.svc.chargers["CP-1"] = charging.Charger{ID: "CP-1", Admission: charging.AdmissionAccepted, Connectors: []charging.Connector{}}
	e.svc.variables = []charging.Variable{
		{ChargerID: "CP-1", Component: "SampledDataCtrlr", Variable: "TxUpdatedInterval", AttributeType: "Actual", Value: "60", Mutability: "ReadWrite"},
		{ChargerID: "CP-1", Component: "EVSE", EVSEID: 1, Variable: "Power", AttributeType: "MaxSet", Value: "22000"},
	}
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, body []byte)
	}{
		{"variables", "GET", "/api/v1/chargers/CP-1/variables", "", 200, func(t *testing.T, b []byte) {
			var p struct{ Items []charging.Variable }
			_ = json.Unmarshal(b, &p)
			if len(p.Items) != 2 || p.Items[0].Variable != "TxUpdatedInterval" || p.Items[0].Value != "60" {
				t.Errorf("items = %+v, want the 2 variables", p.Items)
			}
		}},
		{"variables of a component", "GET", "/api/v1/chargers/CP-1/variables?component=EVSE", "", 200, func(t *testing.T, b []byte) {
			var p struct{ Items []charging.Variable }
			_ = json.Unmarshal(b, &p)
			if len(p.Items) != 1 || p.Items[0].EVSEID != 1 {
				t.Errorf("items = %+v, want EVSE 1's Power", p.Items)
			}
		}},
		{"variables of an unknown charger", "GET", "/api/v1/chargers/NOPE/variables", "", 404, nil},
		{"variables bad limit", "GET", "/api/v1/chargers/CP-1/variables?limit=x", "", 400, nil},
		{"charger events", "GET", "/api/v1/chargers/CP-1/charger-events", "", 200, func(t *testing.T, b []byte) {
			var p struct{ Items []charging.ChargerEvent }
			_ = json.Unmarshal(b, &p)
			if len(p.Items) != 1 || p.Items[0].Kind != "FirmwareUpdated" {
				t.Errorf("items = %+v, want the security event", p.Items)
			}
		}},
		{"override", "PATCH", "/api/v1/chargers/CP-1", `{"ocppVersionOverride":"ocpp1.6"}`, 200, func(t *testing.T, b []byte) {
			var c charging.Charger
			_ = json.Unmarshal(b, &c)
			if c.OCPPVersionOverride != "ocpp1.6" {
				t.Errorf("ocppVersionOverride = %q, want ocpp1.6", c.OCPPVersionOverride)
			}
		}},
		{"override cleared", "PATCH", "/api/v1/chargers/CP-1", `{"ocppVersionOverride":""}`, 200, func(t *testing.T, b []byte) {
			var c map[string]any
			_ = json.Unmarshal(b, &c)
			if _, ok := c["ocppVersionOverride"]; ok {
				t.Errorf("charger = %v, want no ocppVersionOverride", c)
			}
		}},
		{"override unknown version", "PATCH", "/api/v1/chargers/CP-1", `{"ocppVersionOverride":"ocpp2.1"}`, 400, nil},
		{"override not an object", "PATCH", "/api/v1/chargers/CP-1", `[]`, 400, nil},
		{"override unknown charger", "PATCH", "/api/v1/chargers/NOPE", `{"ocppVersionOverride":"ocpp1.6"}`, 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, tc.method, tc.path, tc.body)
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, res.StatusCode, b, tc.status)
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}
