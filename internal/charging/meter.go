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
