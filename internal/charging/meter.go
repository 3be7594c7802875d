package charging

import "time"

// Measurands Joule interprets; every other measurand is stored as sent.
const (
	MeasurandEnergyActiveImportRegister = "Energy.Active.Import.Register"
	MeasurandPowerActiveImport          = "Power.Active.Import"
	MeasurandCurrentImport              = "Current.Import"
	MeasurandCurrentOffered             = "Current.Offered"
	MeasurandVoltage                    = "Voltage"
	MeasurandSoC                        = "SoC"
)

// MeterSample is one sampled value, converted to base units (Wh, W, A, V, %,
// var, varh, VA); Unit names the base unit the value is in.
type MeterSample struct {
	ID            int64     `json:"id"`
	SessionID     string    `json:"sessionId,omitempty"`
	ChargerID     string    `json:"chargerId"`
	ConnectorID   int       `json:"connectorId"`
	TransactionID string    `json:"transactionId,omitempty"`
	Timestamp     time.Time `json:"timestamp"`
	Measurand     string    `json:"measurand"`
	Phase         string    `json:"phase,omitempty"`
	Location      string    `json:"location,omitempty"`
	Context       string    `json:"context,omitempty"`
	Format        string    `json:"format,omitempty"`
	Unit          string    `json:"unit"`
	Value         float64   `json:"value"`
	// Raw is the value exactly as the charger sent it when it could not be
	// parsed as a number (Value is then 0) or was signed data.
	Raw string `json:"raw,omitempty"`
}

// SessionLive is what a meter report changes on an active session: its
// live values and when they were computed (the session's UpdatedAt).
type SessionLive struct {
	SessionID  string
	UpdatedAt  time.Time
	EnergyWh   float64
	PowerW     float64
	CurrentA   *float64
	VoltageV   *float64
	SoCPercent *float64
	// Cost is the running cost at UpdatedAt; nil keeps the stored one.
	Cost *Cost
}

// Live returns the session's live values.
func (s *Session) Live() SessionLive {
	return SessionLive{SessionID: s.ID, UpdatedAt: s.UpdatedAt, EnergyWh: s.EnergyWh, PowerW: s.PowerW,
		CurrentA: s.CurrentA, VoltageV: s.VoltageV, SoCPercent: s.SoCPercent, Cost: s.Cost}
}

// ApplyLive sets the session's live values from l, when l was computed
// after the session was last written.
func (s *Session) ApplyLive(l SessionLive) {
	if l.SessionID != s.ID || !l.UpdatedAt.After(s.UpdatedAt) {
		return
	}
	s.UpdatedAt, s.EnergyWh, s.PowerW = l.UpdatedAt, l.EnergyWh, l.PowerW
	s.CurrentA, s.VoltageV, s.SoCPercent = l.CurrentA, l.VoltageV, l.SoCPercent
	if l.Cost != nil {
		s.Cost = l.Cost
	}
}
