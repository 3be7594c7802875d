package sim_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
	"github.com/joule-ev/joule/internal/sim"
)

// TestV201ReportsOutlets: a 2.0.1 charger reports what its connectors are
// in its device model (Part 2 Appendices): Connector.ConnectorType and
// SupplyPhases on connector 1 of each EVSE, EVSE.Power with its maxLimit.
func TestV201ReportsOutlets(t *testing.T) {
	for _, tc := range []struct {
		kind string
		want []string // per EVSE: type, maxLimit, phases
	}{
		{sim.KindDC, []string{"cCCS2 150000 0", "cG105 50000 0"}},
		{sim.KindAC, []string{"sType2 11000 3", "sType2 11000 3", "sType2 11000 3"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := newFakeCSMS201(t)
			startSim201(t, f, sim.Config{Kind: tc.kind, Connectors: 3, MaxPowerW: 11000, MeterValueSampleInterval: time.Hour})
			resp := mustCall[ocpp201.GetBaseReportResponse](t, f, "CP-1", "GetBaseReport",
				&ocpp201.GetBaseReportRequest{RequestID: 5, ReportBase: ocpp201.ReportBaseEnumFullInventory})
			if resp.Status != ocpp201.GenericDeviceModelStatusEnumAccepted {
				t.Fatalf("GetBaseReport = %s, want Accepted", resp.Status)
			}
			parts := waitCount(t, f, "CP-1", "two NotifyReport parts", 2, func(r *ocpp201.NotifyReportRequest) bool { return r.RequestID == 5 })
			typ, power, phases := map[int]string{}, map[int]float64{}, map[int]string{}
			for _, p := range parts {
				for _, d := range p.ReportData {
					e := d.Component.Evse
					switch {
					case d.Component.Name == "Connector" && d.Variable.Name == "ConnectorType":
						if e == nil || deref(e.ConnectorID) != 1 {
							t.Errorf("Connector.ConnectorType reported on %+v, want an EVSE's connector 1", e)
							continue
						}
						typ[e.ID] = deref(d.VariableAttribute[0].Value)
					case d.Component.Name == "Connector" && d.Variable.Name == "SupplyPhases":
						phases[e.ID] = deref(d.VariableAttribute[0].Value)
					case d.Component.Name == "EVSE" && d.Variable.Name == "Power":
						power[e.ID] = deref(d.VariableCharacteristics.MaxLimit)
					}
				}
			}
			var got []string
			for i := 1; i <= len(typ); i++ {
				got = append(got, fmt.Sprintf("%s %v %s", typ[i], power[i], phases[i]))
			}
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("outlets reported = %q, want %q", got, tc.want)
			}

			// GetVariables reads them too.
			get := mustCall[ocpp201.GetVariablesResponse](t, f, "CP-1", "GetVariables", &ocpp201.GetVariablesRequest{GetVariableData: []ocpp201.GetVariableData{
				{Component: ocpp201.Component{Name: "Connector", Evse: &ocpp201.EVSE{ID: 2, ConnectorID: ptr(1)}}, Variable: ocpp201.Variable{Name: "ConnectorType"}},
				{Component: ocpp201.Component{Name: "Connector", Evse: &ocpp201.EVSE{ID: 2}}, Variable: ocpp201.Variable{Name: "ConnectorType"}},
			}})
			if r := get.GetVariableResult; r[0].AttributeStatus != ocpp201.GetVariableStatusEnumAccepted || deref(r[0].AttributeValue) != strings.Fields(tc.want[1])[0] ||
				r[1].AttributeStatus != ocpp201.GetVariableStatusEnumUnknownComponent {
				t.Errorf("GetVariables = %+v, want connector 1 of EVSE 2 Accepted, the EVSE itself an UnknownComponent", r)
			}
		})
	}
}

// TestDCMeterValues: a DC outlet's voltage is a battery's, its current
// on one conductor.
func TestDCMeterValues(t *testing.T) {
	f := newFakeCSMS(t)
	ch := startSim(t, f, sim.Config{Kind: sim.KindDC, MeterValueSampleInterval: time.Hour})
	if got := ch.Outlets(); len(got) != 2 || got[0].Type != "cCCS2" || got[1].Type != "cG105" || !got[0].DC() {
		t.Fatalf("Outlets = %+v, want CCS2 and CHAdeMO, DC", got)
	}
	mustCall[ocpp16.RemoteStartTransactionResponse](t, f, "CP-1", "RemoteStartTransaction",
		&ocpp16.RemoteStartTransactionRequest{ConnectorID: ptr(1), IDTag: "TAG-1"})
	waitFor(t, f, "CP-1", "StartTransaction", func(*ocpp16.StartTransactionRequest) bool { return true })
	if st := ch.State(1); st.LimitW != 150000 {
		t.Errorf("connector 1 limit = %v W, want the CCS2 outlet's 150000", st.LimitW)
	}
	mustCall[ocpp16.TriggerMessageResponse](t, f, "CP-1", "TriggerMessage",
		&ocpp16.TriggerMessageRequest{RequestedMessage: ocpp16.MessageTriggerMeterValues, ConnectorID: ptr(1)})
	mv := waitFor(t, f, "CP-1", "MeterValues", func(*ocpp16.MeterValuesRequest) bool { return true })
	for _, sv := range mv.MeterValue[0].SampledValue {
		if deref(sv.Measurand) == ocpp16.MeasurandVoltage && !strings.HasPrefix(sv.Value, "4") && !strings.HasPrefix(sv.Value, "3") {
			t.Errorf("DC voltage = %s V, want about 400", sv.Value)
		}
	}
}

func TestBadOutlets(t *testing.T) {
	for _, cfg := range []sim.Config{
		{Kind: "hydrogen"},
		{Outlets: []sim.Outlet{{Type: "Schuko", MaxPowerW: 3700, Phases: 1}}},
		{Outlets: []sim.Outlet{{Type: "sType2", MaxPowerW: 0, Phases: 3}}},
		{Outlets: []sim.Outlet{{Type: "sType2", MaxPowerW: 11000, Phases: 2}}},
	} {
		cfg.URL, cfg.ID = "ws://127.0.0.1:1/ocpp", "X"
		if err := sim.New(cfg).Run(context.Background()); err == nil {
			t.Errorf("Run with %+v = nil, want an error", cfg)
		}
	}
}
