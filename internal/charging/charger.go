package charging

import (
	"net/url"
	"time"
)

// RegistrationStatus is the answer Joule gave to the charger's last boot.
type RegistrationStatus string

const (
	RegistrationAccepted RegistrationStatus = "Accepted"
	RegistrationPending  RegistrationStatus = "Pending"
	RegistrationRejected RegistrationStatus = "Rejected"
)

// OCPP versions, as negotiated in the WebSocket subprotocol; OCPP-S
// chargers (SOAP, no subprotocol) are named after their version with an
// "s".
const (
	OCPP16  = "ocpp1.6"
	OCPP201 = "ocpp2.0.1"
	OCPP15S = "ocpp1.5s"
	OCPP16S = "ocpp1.6s"
)

// Charger is one charging station.
type Charger struct {
	ID string `json:"id"`
	// Name is the operator's name for the charger ("" when it has none)
	// and SiteID the site it stands at ("" when none). They are the
	// operator's: SaveCharger writes them when it inserts a charger, never
	// when it updates one, and SaveChargerDetails changes them.
	Name              string `json:"name"`
	SiteID            string `json:"siteId"`
	Vendor            string `json:"vendor"`
	Model             string `json:"model"`
	SerialNumber      string `json:"serialNumber"`
	FirmwareVersion   string `json:"firmwareVersion"`
	ICCID             string `json:"iccid,omitempty"`
	IMSI              string `json:"imsi,omitempty"`
	MeterType         string `json:"meterType,omitempty"`
	MeterSerialNumber string `json:"meterSerialNumber,omitempty"`
	OCPPVersion       string `json:"ocppVersion"` // subprotocol of the current or last connection
	// SOAPAddress is an OCPP-S charger's own service address (the
	// wsa:From of its messages, recorded at boot and when it changes):
	// where Joule calls it. "" for an OCPP-J charger.
	SOAPAddress string `json:"soapAddress,omitempty"`
	// TariffID is the charger's tariff ("" for none: its site's applies)
	// and GroupTariffs driver groups' overrides of it, the operator's like
	// Name (ResolveTariff).
	TariffID     string            `json:"tariffId"`
	GroupTariffs map[string]string `json:"groupTariffs,omitempty"`
	// OCPPVersionOverride, when set, is the only subprotocol Joule accepts
	// from this charger (an operator's choice, e.g. a buggy 2.0.1 firmware).
	OCPPVersionOverride string             `json:"ocppVersionOverride,omitempty"`
	Online              bool               `json:"online"`
	LastSeenAt          *time.Time         `json:"lastSeenAt"`
	LastBootAt          *time.Time         `json:"lastBootAt,omitempty"`
	RegistrationStatus  RegistrationStatus `json:"registrationStatus"`
	// SecurityProfile is the profile (0..3) the charger must connect with
	// (security.go); MinSecurityProfile the highest one it has connected
	// with, below which it is never admitted again (A05.FR.09).
	SecurityProfile    int `json:"securityProfile"`
	MinSecurityProfile int `json:"minSecurityProfile"`
	// Admission is the operator's decision (Accepted, Pending, Rejected).
	Admission Admission `json:"admission"`
	// PasswordSetAt is when Joule last issued or set a Basic-auth password;
	// PasswordPending is set while the charger has not yet connected with it.
	PasswordSetAt   *time.Time `json:"passwordSetAt,omitempty"`
	PasswordPending bool       `json:"passwordPending,omitempty"`
	// Status is the charger's own status (1.6 StatusNotification on
	// connector 0); it is kept as connector 0, which Connectors never lists.
	Status            ConnectorStatus `json:"status,omitempty"`
	FirmwareStatus    string          `json:"firmwareStatus,omitempty"`    // last FirmwareStatusNotification
	DiagnosticsStatus string          `json:"diagnosticsStatus,omitempty"` // last DiagnosticsStatusNotification
	CreatedAt         time.Time       `json:"createdAt"`
	Connectors        []Connector     `json:"connectors"`
}

// ConnectorStatus is a connector's state as its charger last reported it.
// The values are OCPP 1.6's ChargePointStatus; 2.0.1's ConnectorStatusEnum
// (Available, Occupied, Reserved, Unavailable, Faulted) maps onto them.
type ConnectorStatus string

const (
	StatusAvailable     ConnectorStatus = "Available"
	StatusPreparing     ConnectorStatus = "Preparing"
	StatusCharging      ConnectorStatus = "Charging"
	StatusSuspendedEV   ConnectorStatus = "SuspendedEV"
	StatusSuspendedEVSE ConnectorStatus = "SuspendedEVSE"
	StatusFinishing     ConnectorStatus = "Finishing"
	StatusReserved      ConnectorStatus = "Reserved"
	StatusUnavailable   ConnectorStatus = "Unavailable"
	StatusFaulted       ConnectorStatus = "Faulted"
	StatusOccupied      ConnectorStatus = "Occupied" // 2.0.1
	StatusUnknown       ConnectorStatus = "Unknown"  // never reported
)

// Connector is one outlet of a charger. ConnectorID is the OCPP 1.6
// connector number, which is the EVSE id in 2.0.1's model (one connector
// per EVSE); it maps onto an OCPI EVSE with one Connector. Connector 0
// stands for the charger as a whole and is not listed.
//
// What the connector is comes from two sources, both kept: what the
// operator set (Operator; the only source for a 1.6 charger) and what the
// charger reported (Reported: a 2.0.1 device model's Connector.ConnectorType,
// EVSE.Power maxLimit and SupplyPhases). ConnectorType, Format, PowerType,
// MaxPowerW and Type are the effective values, the operator's winning field
// by field (Resolve); stores fill them in and never store them.
type Connector struct {
	ConnectorID     int             `json:"connectorId"`
	Status          ConnectorStatus `json:"status"`
	ErrorCode       string          `json:"errorCode"`
	Info            string          `json:"info,omitempty"`
	VendorErrorCode string          `json:"vendorErrorCode,omitempty"`
	// EVSEID is the connector's eMI3 EVSE ID (DE*ABC*E123456*1), set by the
	// operator; "" when not set. It is unique across chargers.
	EVSEID        string          `json:"evseId"`
	ConnectorType ConnectorType   `json:"connectorType"` // "" when unknown
	Format        ConnectorFormat `json:"format"`        // "" when unknown
	PowerType     PowerType       `json:"powerType"`     // "" when unknown
	MaxPowerW     float64         `json:"maxPowerW"`     // 0 when unknown
	// Type is ConnectorType's short name (CCS2, CHAdeMO, Type2, CCS1,
	// Type1, else the ConnectorType), for clients older than ConnectorType.
	Type string `json:"type"`
	// TariffID is the connector's tariff ("" for none: its charger's or
	// site's applies) and GroupTariffs driver groups' overrides of it,
	// set by the operator like EVSEID (ResolveTariff).
	TariffID     string            `json:"tariffId"`
	GroupTariffs map[string]string `json:"groupTariffs,omitempty"`
	// PhaseRotation is how the connector's phases are wired to the site's
	// grid connection, the effective value: the operator's, else the
	// charger's report (2.0.1 EVSE.PhaseRotation); "" when neither says
	// (taken as RST).
	PhaseRotation PhaseRotation `json:"phaseRotation,omitempty"`
	Operator      ConnectorSpec `json:"operator"` // what the operator set
	Reported      ConnectorSpec `json:"reported"` // what the charger reported
	UpdatedAt     time.Time     `json:"updatedAt"`
}

// Connector returns the connector with the id, and whether it exists.
func (c *Charger) Connector(id int) (Connector, bool) {
	for _, k := range c.Connectors {
		if k.ConnectorID == id {
			return k, true
		}
	}
	return Connector{}, false
}

// BootInfo is what a charger says about itself when it boots.
type BootInfo struct {
	Vendor            string
	Model             string
	SerialNumber      string
	FirmwareVersion   string
	ICCID             string
	IMSI              string
	MeterType         string
	MeterSerialNumber string
	// SOAPAddress is an OCPP-S charger's own service address (the
	// wsa:From of its boot), stored with the boot; "" for none.
	SOAPAddress string
}

// ValidSOAPAddress checks an OCPP-S charger's service address (its
// wsa:From): Joule calls the charger there, so it must be an absolute http
// or https URL with a host.
func ValidSOAPAddress(address string) error {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(EINVALID, "soapAddress %q is not an http or https URL", address)
	}
	return nil
}
