package csms_test

import (
	"context"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// configFake answers GetConfiguration with a ConnectorPhaseRotation; the
// embedded nil StationCommander would panic on any other typed command.
type configFake struct {
	*fakeCommander
	charging.StationCommander
	rotation string
}

func (f *configFake) GetConfiguration(ctx context.Context, id string, keys []string) (charging.ConfigurationReport, error) {
	return charging.ConfigurationReport{Keys: []charging.ConfigurationKey{
		{Key: "HeartbeatInterval", Value: ptr("300")}, {Key: "ConnectorPhaseRotation", Value: ptr(f.rotation), Readonly: true}}}, nil
}

// TestRotationFromConfiguration: an OCPP 1.6 charger's
// ConnectorPhaseRotation (read by Joule, answered to a generic
// GetConfiguration, or changed) becomes its connectors' reported
// rotation; connector 0's entry counts for connectors without one;
// NotApplicable, Unknown and what Joule cannot read change nothing; the
// operator's rotation still wins.
func TestRotationFromConfiguration(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reported := func(what string, want1, want2 charging.PhaseRotation) {
		t.Helper()
		c, err := f.svc.GetCharger(ctx, "CP-1")
		must(t, err)
		k1, _ := c.Connector(1)
		k2, _ := c.Connector(2)
		if k1.Reported.PhaseRotation != want1 || k2.Reported.PhaseRotation != want2 {
			t.Errorf("%s: reported rotations %q and %q, want %q and %q", what, k1.Reported.PhaseRotation, k2.Reported.PhaseRotation, want1, want2)
		}
	}
	cf := &configFake{fakeCommander: f.cmd, rotation: "0.RST, 1.RST, 2.SRT"}
	f.svc.SetCommander(cf)
	_, err := f.svc.ReadConfiguration(ctx, "CP-1", nil)
	must(t, err)
	reported("read by Joule", charging.RotationRST, charging.RotationSRT)

	// A generic GetConfiguration's answer: connector 0's TRS for both.
	v := "0.TRS"
	must(t, f.svc.CommandAnswered(ctx, "CP-1", charging.AnsweredCommand{Action: "GetConfiguration",
		Configuration: &charging.ConfigurationReport{Keys: []charging.ConfigurationKey{{Key: "ConnectorPhaseRotation", Value: &v}}}}))
	reported("a generic answer", charging.RotationTRS, charging.RotationTRS)

	// Values that say nothing change nothing.
	for _, v := range []string{"NotApplicable", "0.Unknown, 1.Unknown", "1.L1L2L3", "x.RST", ""} {
		cf.rotation = v
		_, err := f.svc.ReadConfiguration(ctx, "CP-1", []string{"ConnectorPhaseRotation"})
		must(t, err)
		reported("after "+v, charging.RotationTRS, charging.RotationTRS)
	}

	// An accepted ChangeConfiguration of the key is the charger's new word.
	must(t, f.svc.CommandAnswered(ctx, "CP-1", charging.AnsweredCommand{Action: "ChangeConfiguration",
		Key: "ConnectorPhaseRotation", Value: "1.STR,2.TSR", Status: "Accepted"}))
	reported("after a change", charging.RotationSTR, charging.RotationTSR)

	// The operator's rotation wins over the report.
	rts := charging.RotationRTS
	k, err := f.svc.UpdateConnector(ctx, "CP-1", 2, charging.ConnectorUpdate{PhaseRotation: &rts})
	must(t, err)
	if k.PhaseRotation != charging.RotationRTS || k.Reported.PhaseRotation != charging.RotationTSR {
		t.Errorf("connector 2 = %q (reported %q), want the operator's RTS over the reported TSR", k.PhaseRotation, k.Reported.PhaseRotation)
	}
}
