package charging

import (
	"context"
	"crypto/x509"
	"time"
)

// This file is charger identity: security profiles, the admission of a
// connection, credentials, certificates and security events (OCPP 1.6
// security whitepaper ed. 3, OCPP 2.0.1 part 2 block A).

// Security profiles (OCPP security whitepaper / 2.0.1 A00).
const (
	ProfileNone  = 0 // no authentication: trusted networks only (Joule's open registration)
	ProfileBasic = 1 // HTTP Basic authentication over ws://
	ProfileTLS   = 2 // TLS + HTTP Basic authentication
	ProfileMTLS  = 3 // TLS + client certificate
)

// Admission is an operator's decision about a charger: may it use Joule?
type Admission string

const (
	AdmissionAccepted Admission = "Accepted" // registered by an operator, or admitted by the open policy
	AdmissionPending  Admission = "Pending"  // connected under the approve policy; waits for an operator
	AdmissionRejected Admission = "Rejected" // refused by an operator: its connections are refused
)

// Registration policies for charger ids Joule does not know.
const (
	RegistrationOpen    = "open"    // accept and record them (profile 0)
	RegistrationApprove = "approve" // let them connect, answer their boot Pending, list them for an operator
	RegistrationClosed  = "closed"  // refuse the upgrade
)

// Credentials are a charger's password hashes (see HashPassword). They are
// never shown through the API or logged.
type Credentials struct {
	// Password is the hash of the password the charger uses now; "" when none.
	Password string
	// NextPassword is the hash of a password Joule issued that the charger
	// has not yet connected with. Both are valid until it does; then
	// NextPassword becomes Password and the old one stops working.
	NextPassword string
}

// ConnectAttempt is what a charger's WebSocket upgrade request proved,
// gathered by the gateway for Admit. Password is a secret: never log it.
type ConnectAttempt struct {
	ChargerID  string
	RemoteAddr string // host:port of the peer
	// TLS is set when the connection is TLS; TLSVersion is crypto/tls's
	// version number (tls.VersionTLS12, ...).
	TLS        bool
	TLSVersion uint16
	// ClientCert is the client certificate, already verified by the TLS
	// handshake against Joule's client CAs; nil when none was presented.
	ClientCert *x509.Certificate
	// BasicAuth is set when an Authorization: Basic header was sent;
	// Username and Password are its two halves as raw bytes (split at the
	// first colon; 1.6 chargers send their binary AuthorizationKey).
	BasicAuth bool
	Username  string
	Password  []byte
}

// Admitted is the outcome of a successful Admit.
type Admitted struct {
	// Profile is the security profile the connection proved (0..3).
	Profile int
	// Known is set when the charger was registered before this attempt.
	Known bool
	// Trusted is set for a charger an operator admitted (Admission
	// Accepted): connections of others (unknown or Pending chargers) are
	// strangers, with a boot deadline and a small frame limit until booted.
	Trusted bool
	// OCPPVersionOverride is the charger's stored override ("" none), read
	// with the credentials so the connect path reads the charger once.
	OCPPVersionOverride string
}

// Admit errors: an *Error with one of these codes, so the gateway can
// answer the upgrade. EUNAUTHENTICATED → 401 with WWW-Authenticate;
// EFORBIDDEN → 403 (profile mismatch, downgrade, rejected charger);
// ENOTFOUND → 404 (unknown charger, closed registration); EUNAVAILABLE →
// 503 (too many chargers waiting for approval).
const (
	EUNAUTHENTICATED = "unauthenticated"
	EFORBIDDEN       = "forbidden"
)

// ChargerAdmitter decides whether a connection may speak for a charger. The
// gateway calls it before the upgrade; csms.Service implements it.
type ChargerAdmitter interface {
	Admit(ctx context.Context, a ConnectAttempt) (Admitted, error)
}

// SecurityEvent is a security-relevant event: one a charger reported
// (SecurityEventNotification) or one of Joule's own (failed
// authentication, refused downgrade, replaced connection, ...).
type SecurityEvent struct {
	ID        int64     `json:"id"`
	ChargerID string    `json:"chargerId"` // "" when the connection named no valid id
	Source    string    `json:"source"`    // SecuritySourceCharger or SecuritySourceJoule
	Type      string    `json:"type"`      // e.g. FailedToAuthenticateAtCsms, or a charger's own type
	Timestamp time.Time `json:"timestamp"` // when it happened (per the charger for its own events)
	TechInfo  string    `json:"techInfo,omitempty"`
	Remote    string    `json:"remote,omitempty"` // the peer's address, for Joule's events
	// Count is how many occurrences this record stands for: repeated events
	// of one kind from one source are recorded once per window (a flood
	// cannot fill the store), with the number folded in here.
	Count      int       `json:"count"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// Sources of security events.
const (
	SecuritySourceCharger = "charger"
	SecuritySourceJoule   = "joule"
)

// Joule's own security event types (named like OCPP 2.0.1's where one fits).
const (
	SecFailedAuth          = "FailedToAuthenticateAtCsms" // no, wrong or malformed credentials
	SecProfileMismatch     = "SecurityProfileMismatch"    // e.g. plain ws for a profile 2 charger (A00.FR.002)
	SecDowngradeRefused    = "SecurityProfileDowngradeRefused"
	SecInvalidCertificate  = "InvalidChargingStationCertificate" // wrong CN/O, serial mismatch at boot
	SecUnknownCharger      = "UnknownChargerRefused"
	SecRejectedCharger     = "RejectedChargerRefused"
	SecDuplicateConnection = "DuplicateConnectionRefused" // an unauthenticated second connection for a connected id
	SecConnectionReplaced  = "ConnectionReplaced"
	SecReplaceRateLimited  = "ConnectionReplaceRateLimited"
	SecPasswordRotated     = "PasswordRotated"
	SecPasswordUsed        = "NewPasswordInUse"
	SecStrangerBudget      = "ConnectionBudgetExceeded" // per-IP budget for unbooted connections
	SecBootTimeout         = "NoBootNotification"
	SecCertificateSigned   = "CertificateSigned"
	SecCSRRejected         = "CertificateSigningRequestRejected"
)

// SecurityEventQuery selects security events, newest first.
type SecurityEventQuery struct {
	ChargerID string // "" matches every charger
	Source    string // "" matches both
	Type      string // "" matches every type
	Cursor    string
	Limit     int // 0 means 100
}

// SecurityStore keeps credentials and security events. charging.Store embeds it.
type SecurityStore interface {
	// GetCredentials returns a charger's password hashes (ENOTFOUND for an
	// unknown charger).
	GetCredentials(ctx context.Context, chargerID string) (Credentials, error)
	// SetCredentials replaces a charger's password hashes.
	SetCredentials(ctx context.Context, chargerID string, c Credentials) error
	// SaveChargerCredentials is SaveCharger and SetCredentials in one
	// transaction (a registration, an issued password): both or neither.
	SaveChargerCredentials(ctx context.Context, c Charger, creds Credentials) error
	// DeleteCharger removes a charger and what is only its own (connectors,
	// credentials, configuration, installed profiles, device model, local
	// list version); its sessions, reservations, commands and events stay.
	// ENOTFOUND for an unknown charger.
	DeleteCharger(ctx context.Context, chargerID string) error
	// AddSecurityEvent stores an event (its ID is assigned).
	AddSecurityEvent(ctx context.Context, e SecurityEvent) error
	ListSecurityEvents(ctx context.Context, q SecurityEventQuery) (Page[SecurityEvent], error)
}

// CertificateSigner signs a charger's certificate signing request: Joule's
// built-in CA (internal/pki) or the operator's own CA files.
type CertificateSigner interface {
	// SignCSR checks a PEM PKCS#10 request (signature, key strength, a
	// subject CN among allowedCNs) and returns the PEM chain (the
	// charger's certificate first). A bad request is EINVALID.
	SignCSR(csrPEM string, allowedCNs []string) (chainPEM string, err error)
	// CACertificatePEM is the CA's own certificate (PEM).
	CACertificatePEM() string
}

// Certificate types of the certificate-management messages (1.6 security
// extension names; the adapters map 2.0.1's onto them).
const (
	CertCentralSystemRoot = "CentralSystemRootCertificate" // 2.0.1 CSMSRootCertificate
	CertManufacturerRoot  = "ManufacturerRootCertificate"
	CertV2GRoot           = "V2GRootCertificate" // 2.0.1 only
	CertMORoot            = "MORootCertificate"  // 2.0.1 only
	CertChargePoint       = "ChargePointCertificate"
	CertV2G               = "V2GCertificate"
)

// CertificateHashData identifies an installed certificate (M03/M04).
type CertificateHashData struct {
	HashAlgorithm  string `json:"hashAlgorithm"` // SHA256, SHA384, SHA512
	IssuerNameHash string `json:"issuerNameHash"`
	IssuerKeyHash  string `json:"issuerKeyHash"`
	SerialNumber   string `json:"serialNumber"`
	// CertificateType is set in GetInstalledCertificateIds answers of 2.0.1
	// chargers; "" otherwise.
	CertificateType string `json:"certificateType,omitempty"`
}

// InstalledCertificates is a charger's answer to GetInstalledCertificateIds.
type InstalledCertificates struct {
	Status       CommandStatus         `json:"status"` // Accepted, NotFound
	Certificates []CertificateHashData `json:"certificates"`
}

// CertificateRequest is a charger's SignCertificate, version-free.
type CertificateRequest struct {
	CSR string // PEM PKCS#10
	// Type is CertChargePoint or CertV2G ("" means CertChargePoint).
	Type string
}

// LogRequest is a GetLog request (1.6 security extension, 2.0.1 N01).
type LogRequest struct {
	LogType         string     `json:"logType"` // DiagnosticsLog or SecurityLog
	RequestID       int        `json:"requestId"`
	Location        string     `json:"-"` // the upload URL: it holds a token
	OldestTimestamp *time.Time `json:"oldestTimestamp,omitempty"`
	LatestTimestamp *time.Time `json:"latestTimestamp,omitempty"`
	Retries         *int       `json:"retries,omitempty"`
	RetryIntervalS  *int       `json:"retryInterval,omitempty"`
}

// LogResult is a charger's answer to GetLog.
type LogResult struct {
	Status   CommandStatus `json:"status"` // Accepted, Rejected, AcceptedCanceled
	FileName string        `json:"filename,omitempty"`
}

// SignedFirmware is what a signed firmware update adds to FirmwareUpdate
// (1.6 SignedUpdateFirmware, 2.0.1 UpdateFirmware with a signature).
type SignedFirmware struct {
	RequestID          int        `json:"requestId"`
	SigningCertificate string     `json:"signingCertificate"` // PEM
	Signature          string     `json:"signature"`          // base64
	InstallDate        *time.Time `json:"installDate,omitempty"`
}

// SecurityCommander is the certificate- and credential-management part of
// the station commands; the gateway implements it by delegating to the
// charger's adapter (EINVALID where the version lacks the use case).
type SecurityCommander interface {
	// SetPassword gives the charger a new Basic-auth password (1.6
	// ChangeConfiguration AuthorizationKey, 2.0.1 SetVariables
	// SecurityCtrlr.BasicAuthPassword).
	SetPassword(ctx context.Context, chargerID, password string) (CommandStatus, error)
	// CertificateSigned sends the charger its signed certificate chain.
	CertificateSigned(ctx context.Context, chargerID, chainPEM, certType string) (CommandStatus, error)
	InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (CommandStatus, error)
	GetInstalledCertificateIDs(ctx context.Context, chargerID string, certTypes []string) (InstalledCertificates, error)
	DeleteCertificate(ctx context.Context, chargerID string, h CertificateHashData) (CommandStatus, error)
	// ExtendedTriggerMessage asks for a message, including those only the
	// security extension defines (SignChargePointCertificate,
	// LogStatusNotification, SignedFirmwareStatusNotification); 2.0.1
	// chargers get TriggerMessage with the matching 2.0.1 name.
	ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (CommandStatus, error)
	GetLog(ctx context.Context, chargerID string, r LogRequest) (LogResult, error)
	SignedUpdateFirmware(ctx context.Context, chargerID string, u FirmwareUpdate, s SignedFirmware) (CommandStatus, error)
}

// SecurityEvents is the inbound part of the security contract;
// charging.StationEvents embeds it.
type SecurityEvents interface {
	// SignCertificate answers a charger's SignCertificate: Accepted when
	// Joule will sign it (the signed chain follows as CertificateSigned,
	// after the answer), Rejected when it will not.
	SignCertificate(ctx context.Context, chargerID string, r CertificateRequest) (CommandStatus, error)
	// SecurityEventReported stores a charger's SecurityEventNotification.
	SecurityEventReported(ctx context.Context, chargerID string, e SecurityEvent) error
	// LogStatus records a LogStatusNotification (requestID 0: none given).
	LogStatus(ctx context.Context, chargerID, status string, requestID int) error
	// SignedFirmwareStatus records a SignedFirmwareStatusNotification.
	SignedFirmwareStatus(ctx context.Context, chargerID, status string, requestID int) error
}

// ChargerRegistration is an operator's registration of a charger.
type ChargerRegistration struct {
	ID              string `json:"id"`
	SecurityProfile int    `json:"securityProfile"`
	// Password is an operator-chosen password (a charger already
	// configured in the field, see ValidPassword); "" lets Joule generate
	// one for profiles 1 and 2. Profiles 0 and 3 take none.
	Password            string `json:"password,omitempty"`
	OCPPVersionOverride string `json:"ocppVersionOverride,omitempty"`
}

// PasswordResult is a password Joule issued, shown once, and what became
// of sending it to the charger.
type PasswordResult struct {
	Password string `json:"password"`
	// Delivery is the charger's answer (Accepted, Rejected, NotSupported,
	// RebootRequired), or DeliveryOffline, DeliveryTimeout, DeliveryFailed,
	// DeliveryNotSent (an operator-chosen password is not sent).
	Delivery string `json:"delivery"`
}

// Deliveries of a password that did not reach the charger.
const (
	DeliveryOffline = "offline"
	DeliveryTimeout = "timeout"
	DeliveryFailed  = "failed"
	DeliveryNotSent = "notSent"
)
