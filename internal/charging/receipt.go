package charging

import "time"

// Seller is who sells the charging: the operator's details printed on
// every receipt.
type Seller struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	VATID   string `json:"vatId"`
	Email   string `json:"email"`
}

// Receipt is the record a driver gets for a paid session: numbered
// (gapless, R-<year>-<number>), with the seller's details, what was
// charged per dimension and the VAT. It is built from the session's
// stored final cost and payment, never recomputed from its tariff.
type Receipt struct {
	Number      string        `json:"number"`
	IssuedAt    time.Time     `json:"issuedAt"`
	SessionID   string        `json:"sessionId"`
	Seller      Seller        `json:"seller"`
	Buyer       ReceiptBuyer  `json:"buyer"`
	ChargerID   string        `json:"chargerId"`
	ChargerName string        `json:"chargerName"`
	ConnectorID int           `json:"connectorId"`
	EVSEID      string        `json:"evseId"`
	SiteName    string        `json:"siteName"`
	SiteAddress string        `json:"siteAddress"`
	StartedAt   *time.Time    `json:"startedAt"`
	StoppedAt   *time.Time    `json:"stoppedAt"`
	EnergyWh    float64       `json:"energyWh"`
	TariffID    string        `json:"tariffId"`
	Currency    string        `json:"currency"`
	Lines       []ReceiptLine `json:"lines"`
	// TotalExclVat, Tax and Total are the session's final cost.
	TotalExclVat Decimal `json:"totalExclVat"`
	Tax          Decimal `json:"tax"`
	Total        Decimal `json:"total"`
	// VATRate is the tariff's VAT rate in percent when it has one rate
	// for everything; "" otherwise.
	VATRate Decimal `json:"vatRate,omitempty"`
	// Paid is what was captured, Refunded what an operator gave back.
	Paid            Decimal `json:"paid"`
	Refunded        Decimal `json:"refunded,omitempty"`
	PaymentProvider string  `json:"paymentProvider"`
}

// ReceiptBuyer is the driver a receipt is for.
type ReceiptBuyer struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// ReceiptLine is one charged dimension: energy, charging time, idle
// (parking) time or the flat fee, excluding VAT.
type ReceiptLine struct {
	Dimension   TariffDimension `json:"dimension"`
	Description string          `json:"description"`
	Quantity    Decimal         `json:"quantity"` // kWh, hours, or 1 session
	Unit        string          `json:"unit"`     // kWh, h, session
	Amount      Decimal         `json:"amount"`
}

// SessionTotals sums a set of sessions: a driver's history, an export.
type SessionTotals struct {
	Sessions int     `json:"sessions"`
	EnergyWh float64 `json:"energyWh"`
	// Costs are the final costs per currency, Paid what was captured
	// minus refunds, Unpaid what is still owed.
	Costs  []Money `json:"costs"`
	Paid   []Money `json:"paid"`
	Unpaid []Money `json:"unpaid"`
}

// Money is an amount in a currency.
type Money struct {
	Currency string  `json:"currency"`
	Amount   Decimal `json:"amount"`
}
