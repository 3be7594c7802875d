package charging

import (
	"strings"
	"testing"
)

func TestPhaseRotation(t *testing.T) {
	for _, c := range []struct {
		r     PhaseRotation
		grid  [3]int // grid phase of the connector's L1, L2, L3
		valid bool
	}{
		{"", [3]int{0, 1, 2}, true},
		{RotationRST, [3]int{0, 1, 2}, true},
		{RotationRTS, [3]int{0, 2, 1}, true},
		{RotationSRT, [3]int{1, 0, 2}, true},
		{RotationSTR, [3]int{1, 2, 0}, true},
		{RotationTRS, [3]int{2, 0, 1}, true},
		{RotationTSR, [3]int{2, 1, 0}, true},
		{RotationUnknown, [3]int{0, 1, 2}, true},
		{RotationNotApplicable, [3]int{0, 1, 2}, true},
		{"RRS", [3]int{0, 1, 2}, false},
		{"rst", [3]int{0, 1, 2}, false},
	} {
		if c.r.Valid() != c.valid {
			t.Errorf("%q.Valid() = %v, want %v", c.r, !c.valid, c.valid)
		}
		for p, g := range c.grid {
			if got := c.r.GridPhase(p); got != g {
				t.Errorf("%q.GridPhase(L%d) = L%d, want L%d", c.r, p+1, got+1, g+1)
			}
		}
	}
	if got := RotationSRT.GridMask(1); got != 2 {
		t.Errorf("SRT: a 1-phase vehicle on the connector's L1 loads grid mask %b, want 010 (L2)", got)
	}
	if got := RotationTRS.GridMask(3); got != 5 {
		t.Errorf("TRS: L1+L2 load grid mask %b, want 101 (L3, L1)", got)
	}
	if got := RotationSTR.GridMask(7); got != 7 {
		t.Errorf("STR: three phases load %b, want 111", got)
	}
	if got := RotationSTR.GridCurrents([3]float64{16, 8, 4}); got != [3]float64{4, 16, 8} {
		t.Errorf("STR currents on the grid = %v, want [4 16 8]", got)
	}
	bad := PhaseRotation("XYZ")
	err := ConnectorUpdate{PhaseRotation: &bad}.Validate()
	if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "phaseRotation") || !strings.Contains(ErrorMessage(err), `"XYZ"`) {
		t.Errorf("Validate(XYZ) = %v, want EINVALID naming phaseRotation and the value", err)
	}
	srt := RotationSRT
	u := ConnectorUpdate{PhaseRotation: &srt}
	if u.Empty() || u.Validate() != nil || u.Apply(Connector{}).PhaseRotation != RotationSRT {
		t.Errorf("an update to SRT: empty %v, validate %v, applied %q", u.Empty(), u.Validate(), u.Apply(Connector{}).PhaseRotation)
	}
	// The effective rotation: the operator's, else a valid report.
	for _, c := range []struct {
		op, rep, want PhaseRotation
	}{{"", RotationSTR, RotationSTR}, {RotationTSR, RotationSTR, RotationTSR}, {"", "L1L2L3", ""}, {RotationUnknown, RotationSRT, RotationUnknown}} {
		k := Connector{Operator: ConnectorSpec{PhaseRotation: c.op}, Reported: ConnectorSpec{PhaseRotation: c.rep}}
		k.Resolve()
		if k.PhaseRotation != c.want {
			t.Errorf("operator %q, reported %q: rotation %q, want %q", c.op, c.rep, k.PhaseRotation, c.want)
		}
	}
	none := PhaseRotation("")
	if got := (ConnectorUpdate{PhaseRotation: &none}).Apply(Connector{Operator: ConnectorSpec{PhaseRotation: RotationTSR}}).PhaseRotation; got != "" {
		t.Errorf(`"" leaves %q, want it cleared`, got)
	}
}
