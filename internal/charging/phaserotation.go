package charging

// PhaseRotation is how a connector's phases are wired to the site's grid
// connection, as OCPP 1.6's ConnectorPhaseRotation says it: the grid
// phase of the connector's L1, L2 and L3, with R = L1, S = L2, T = L3.
// RST is the standard wiring; SRT puts the connector's L1 on the grid's
// L2 and its L2 on the grid's L1. Installers rotate chargers so that
// 1-phase vehicles spread over the grid's phases; the load balancer needs
// to know it to count each vehicle on the phase it really loads.
type PhaseRotation string

// Phase rotations (OCPP 1.6 ConnectorPhaseRotation; 2.0.1 PhaseRotation).
const (
	RotationRST           PhaseRotation = "RST"
	RotationRTS           PhaseRotation = "RTS"
	RotationSRT           PhaseRotation = "SRT"
	RotationSTR           PhaseRotation = "STR"
	RotationTRS           PhaseRotation = "TRS"
	RotationTSR           PhaseRotation = "TSR"
	RotationNotApplicable PhaseRotation = "NotApplicable"
	RotationUnknown       PhaseRotation = "Unknown"
)

// Valid reports whether r is a rotation, "" (not set) included.
func (r PhaseRotation) Valid() bool {
	switch r {
	case "", RotationRST, RotationRTS, RotationSRT, RotationSTR, RotationTRS, RotationTSR, RotationNotApplicable, RotationUnknown:
		return true
	}
	return false
}

// GridPhase returns the grid phase (0..2: L1..L3) of the connector's
// phase p (0..2). Without a known rotation the wiring is taken as RST.
func (r PhaseRotation) GridPhase(p int) int {
	if len(r) != 3 || !r.Valid() { // unset, Unknown, NotApplicable
		return p
	}
	return int(r[p] - 'R')
}

// GridMask maps a mask of the connector's phases (bit 0 = L1) to the
// grid's phases.
func (r PhaseRotation) GridMask(m uint8) uint8 {
	var g uint8
	for p := range 3 {
		if m&(1<<p) != 0 {
			g |= 1 << r.GridPhase(p)
		}
	}
	return g
}

// GridCurrents maps per-phase currents of the connector (index 0 = L1) to
// the grid's phases.
func (r PhaseRotation) GridCurrents(a [3]float64) [3]float64 {
	var g [3]float64
	for p := range 3 {
		g[r.GridPhase(p)] = a[p]
	}
	return g
}
