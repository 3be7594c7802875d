package cluster

import (
	"context"
	"encoding/json"

	"github.com/joule-ev/joule/internal/charging"
)

// The routed methods. Each op's argument type is its wire form; the
// Router's methods below build it and route it. Adding a method to one of
// the charging interfaces breaks the build (the assertions) and the
// reflection test until it has an op here, in dispatch and on Router.

var (
	_ Local = (*Router)(nil)
)

// Commander.

type remoteStartArgs struct {
	ConnectorID     int
	IDTag           string
	RemoteStartID   int
	ChargingProfile json.RawMessage `json:",omitempty"` // nil stays nil
	Profile         *charging.ChargingProfile
}

var opRemoteStart = op[remoteStartArgs, charging.CommandStatus]{name: "RemoteStart",
	call: func(ctx context.Context, l Local, id string, a remoteStartArgs) (charging.CommandStatus, error) {
		return l.RemoteStart(ctx, id, charging.RemoteStart{ConnectorID: a.ConnectorID, IDTag: a.IDTag,
			RemoteStartID: a.RemoteStartID, ChargingProfile: a.ChargingProfile, Profile: a.Profile})
	}}

// RemoteStart implements charging.Commander.
func (r *Router) RemoteStart(ctx context.Context, chargerID string, rs charging.RemoteStart) (charging.CommandStatus, error) {
	return route(ctx, r, opRemoteStart, chargerID, remoteStartArgs{ConnectorID: rs.ConnectorID, IDTag: rs.IDTag,
		RemoteStartID: rs.RemoteStartID, ChargingProfile: rs.ChargingProfile, Profile: rs.Profile})
}

type transactionArgs struct {
	TransactionID string `json:"transactionId"`
}

var opRemoteStop = op[transactionArgs, charging.CommandStatus]{name: "RemoteStop",
	call: func(ctx context.Context, l Local, id string, a transactionArgs) (charging.CommandStatus, error) {
		return l.RemoteStop(ctx, id, a.TransactionID)
	}}

// RemoteStop implements charging.Commander.
func (r *Router) RemoteStop(ctx context.Context, chargerID, transactionID string) (charging.CommandStatus, error) {
	return route(ctx, r, opRemoteStop, chargerID, transactionArgs{transactionID})
}

type commandArgs struct {
	Action  string          `json:"action"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

var opCommand = op[commandArgs, charging.CommandResult]{name: "Command",
	call: func(ctx context.Context, l Local, id string, a commandArgs) (charging.CommandResult, error) {
		return l.Command(ctx, id, a.Action, a.Payload)
	},
	fix: func(res *charging.CommandResult) {
		// CallError.Details has no omitempty: nil travels as null.
		if res.Error != nil && string(res.Error.Details) == "null" {
			res.Error.Details = nil
		}
	}}

// Command implements charging.Commander.
func (r *Router) Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	return route(ctx, r, opCommand, chargerID, commandArgs{action, payload})
}

// TransactionStatusAsker.

var opTransactionStatus = op[transactionArgs, charging.TransactionStatus]{name: "TransactionStatus",
	call: func(ctx context.Context, l Local, id string, a transactionArgs) (charging.TransactionStatus, error) {
		return l.TransactionStatus(ctx, id, a.TransactionID)
	}}

// TransactionStatus implements charging.TransactionStatusAsker.
func (r *Router) TransactionStatus(ctx context.Context, chargerID, transactionID string) (charging.TransactionStatus, error) {
	return route(ctx, r, opTransactionStatus, chargerID, transactionArgs{transactionID})
}

// StationCommander.

type resetArgs struct {
	Hard bool `json:"hard"`
}

var opReset = op[resetArgs, charging.CommandStatus]{name: "Reset",
	call: func(ctx context.Context, l Local, id string, a resetArgs) (charging.CommandStatus, error) {
		return l.Reset(ctx, id, a.Hard)
	}}

// Reset implements charging.StationCommander.
func (r *Router) Reset(ctx context.Context, chargerID string, hard bool) (charging.CommandStatus, error) {
	return route(ctx, r, opReset, chargerID, resetArgs{hard})
}

type connectorArgs struct {
	ConnectorID int `json:"connectorId"`
}

var opUnlockConnector = op[connectorArgs, charging.CommandStatus]{name: "UnlockConnector",
	call: func(ctx context.Context, l Local, id string, a connectorArgs) (charging.CommandStatus, error) {
		return l.UnlockConnector(ctx, id, a.ConnectorID)
	}}

// UnlockConnector implements charging.StationCommander.
func (r *Router) UnlockConnector(ctx context.Context, chargerID string, connectorID int) (charging.CommandStatus, error) {
	return route(ctx, r, opUnlockConnector, chargerID, connectorArgs{connectorID})
}

type availabilityArgs struct {
	ConnectorID int  `json:"connectorId"`
	Operative   bool `json:"operative"`
}

var opChangeAvailability = op[availabilityArgs, charging.CommandStatus]{name: "ChangeAvailability",
	call: func(ctx context.Context, l Local, id string, a availabilityArgs) (charging.CommandStatus, error) {
		return l.ChangeAvailability(ctx, id, a.ConnectorID, a.Operative)
	}}

// ChangeAvailability implements charging.StationCommander.
func (r *Router) ChangeAvailability(ctx context.Context, chargerID string, connectorID int, operative bool) (charging.CommandStatus, error) {
	return route(ctx, r, opChangeAvailability, chargerID, availabilityArgs{connectorID, operative})
}

type keysArgs struct {
	Keys []string `json:"keys"`
}

var opGetConfiguration = op[keysArgs, charging.ConfigurationReport]{name: "GetConfiguration",
	call: func(ctx context.Context, l Local, id string, a keysArgs) (charging.ConfigurationReport, error) {
		return l.GetConfiguration(ctx, id, a.Keys)
	}}

// GetConfiguration implements charging.StationCommander.
func (r *Router) GetConfiguration(ctx context.Context, chargerID string, keys []string) (charging.ConfigurationReport, error) {
	return route(ctx, r, opGetConfiguration, chargerID, keysArgs{keys})
}

type keyValueArgs struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

var opChangeConfiguration = op[keyValueArgs, charging.CommandStatus]{name: "ChangeConfiguration",
	call: func(ctx context.Context, l Local, id string, a keyValueArgs) (charging.CommandStatus, error) {
		return l.ChangeConfiguration(ctx, id, a.Key, a.Value)
	}}

// ChangeConfiguration implements charging.StationCommander.
func (r *Router) ChangeConfiguration(ctx context.Context, chargerID, key, value string) (charging.CommandStatus, error) {
	return route(ctx, r, opChangeConfiguration, chargerID, keyValueArgs{key, value})
}

type triggerArgs struct {
	Message     string `json:"message"`
	ConnectorID int    `json:"connectorId"`
}

var opTriggerMessage = op[triggerArgs, charging.CommandStatus]{name: "TriggerMessage",
	call: func(ctx context.Context, l Local, id string, a triggerArgs) (charging.CommandStatus, error) {
		return l.TriggerMessage(ctx, id, a.Message, a.ConnectorID)
	}}

// TriggerMessage implements charging.StationCommander.
func (r *Router) TriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	return route(ctx, r, opTriggerMessage, chargerID, triggerArgs{message, connectorID})
}

var opReserveNow = op[charging.Reservation, charging.CommandStatus]{name: "ReserveNow",
	call: func(ctx context.Context, l Local, id string, a charging.Reservation) (charging.CommandStatus, error) {
		return l.ReserveNow(ctx, id, a)
	}}

// ReserveNow implements charging.StationCommander.
func (r *Router) ReserveNow(ctx context.Context, chargerID string, res charging.Reservation) (charging.CommandStatus, error) {
	return route(ctx, r, opReserveNow, chargerID, res)
}

type reservationArgs struct {
	ReservationID int `json:"reservationId"`
}

var opCancelReservation = op[reservationArgs, charging.CommandStatus]{name: "CancelReservation",
	call: func(ctx context.Context, l Local, id string, a reservationArgs) (charging.CommandStatus, error) {
		return l.CancelReservation(ctx, id, a.ReservationID)
	}}

// CancelReservation implements charging.StationCommander.
func (r *Router) CancelReservation(ctx context.Context, chargerID string, reservationID int) (charging.CommandStatus, error) {
	return route(ctx, r, opCancelReservation, chargerID, reservationArgs{reservationID})
}

type profileArgs struct {
	ConnectorID int                      `json:"connectorId"`
	Profile     charging.ChargingProfile `json:"profile"`
}

var opSetChargingProfile = op[profileArgs, charging.CommandStatus]{name: "SetChargingProfile",
	call: func(ctx context.Context, l Local, id string, a profileArgs) (charging.CommandStatus, error) {
		return l.SetChargingProfile(ctx, id, a.ConnectorID, a.Profile)
	}}

// SetChargingProfile implements charging.StationCommander.
func (r *Router) SetChargingProfile(ctx context.Context, chargerID string, connectorID int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	return route(ctx, r, opSetChargingProfile, chargerID, profileArgs{connectorID, p})
}

var opClearChargingProfile = op[charging.ProfileFilter, charging.CommandStatus]{name: "ClearChargingProfile",
	call: func(ctx context.Context, l Local, id string, a charging.ProfileFilter) (charging.CommandStatus, error) {
		return l.ClearChargingProfile(ctx, id, a)
	}}

// ClearChargingProfile implements charging.StationCommander.
func (r *Router) ClearChargingProfile(ctx context.Context, chargerID string, f charging.ProfileFilter) (charging.CommandStatus, error) {
	return route(ctx, r, opClearChargingProfile, chargerID, f)
}

type scheduleArgs struct {
	ConnectorID int    `json:"connectorId"`
	DurationS   int    `json:"durationS"`
	Unit        string `json:"unit"`
}

var opGetCompositeSchedule = op[scheduleArgs, charging.CompositeSchedule]{name: "GetCompositeSchedule",
	call: func(ctx context.Context, l Local, id string, a scheduleArgs) (charging.CompositeSchedule, error) {
		return l.GetCompositeSchedule(ctx, id, a.ConnectorID, a.DurationS, a.Unit)
	}}

// GetCompositeSchedule implements charging.StationCommander.
func (r *Router) GetCompositeSchedule(ctx context.Context, chargerID string, connectorID, durationS int, unit string) (charging.CompositeSchedule, error) {
	return route(ctx, r, opGetCompositeSchedule, chargerID, scheduleArgs{connectorID, durationS, unit})
}

// StationMaintenance.

var opSendLocalList = op[charging.LocalListUpdate, charging.CommandStatus]{name: "SendLocalList",
	call: func(ctx context.Context, l Local, id string, a charging.LocalListUpdate) (charging.CommandStatus, error) {
		return l.SendLocalList(ctx, id, a)
	}}

// SendLocalList implements charging.StationMaintenance.
func (r *Router) SendLocalList(ctx context.Context, chargerID string, u charging.LocalListUpdate) (charging.CommandStatus, error) {
	return route(ctx, r, opSendLocalList, chargerID, u)
}

type noArgs struct{}

var opGetLocalListVersion = op[noArgs, int]{name: "GetLocalListVersion",
	call: func(ctx context.Context, l Local, id string, _ noArgs) (int, error) {
		return l.GetLocalListVersion(ctx, id)
	}}

// GetLocalListVersion implements charging.StationMaintenance.
func (r *Router) GetLocalListVersion(ctx context.Context, chargerID string) (int, error) {
	return route(ctx, r, opGetLocalListVersion, chargerID, noArgs{})
}

var opUpdateFirmware = op[charging.FirmwareUpdate, struct{}]{name: "UpdateFirmware",
	call: func(ctx context.Context, l Local, id string, a charging.FirmwareUpdate) (struct{}, error) {
		return struct{}{}, l.UpdateFirmware(ctx, id, a)
	}}

// UpdateFirmware implements charging.StationMaintenance.
func (r *Router) UpdateFirmware(ctx context.Context, chargerID string, u charging.FirmwareUpdate) error {
	_, err := route(ctx, r, opUpdateFirmware, chargerID, u)
	return err
}

var opGetDiagnostics = op[charging.DiagnosticsRequest, string]{name: "GetDiagnostics",
	call: func(ctx context.Context, l Local, id string, a charging.DiagnosticsRequest) (string, error) {
		return l.GetDiagnostics(ctx, id, a)
	}}

// GetDiagnostics implements charging.StationMaintenance.
func (r *Router) GetDiagnostics(ctx context.Context, chargerID string, d charging.DiagnosticsRequest) (string, error) {
	return route(ctx, r, opGetDiagnostics, chargerID, d)
}

// SecurityCommander.

type passwordArgs struct {
	Password string `json:"password"`
}

var opSetPassword = op[passwordArgs, charging.CommandStatus]{name: "SetPassword",
	call: func(ctx context.Context, l Local, id string, a passwordArgs) (charging.CommandStatus, error) {
		return l.SetPassword(ctx, id, a.Password)
	}}

// SetPassword implements charging.SecurityCommander.
func (r *Router) SetPassword(ctx context.Context, chargerID, password string) (charging.CommandStatus, error) {
	return route(ctx, r, opSetPassword, chargerID, passwordArgs{password})
}

type chainArgs struct {
	ChainPEM string `json:"chainPem"`
	CertType string `json:"certType"`
}

var opCertificateSigned = op[chainArgs, charging.CommandStatus]{name: "CertificateSigned",
	call: func(ctx context.Context, l Local, id string, a chainArgs) (charging.CommandStatus, error) {
		return l.CertificateSigned(ctx, id, a.ChainPEM, a.CertType)
	}}

// CertificateSigned implements charging.SecurityCommander.
func (r *Router) CertificateSigned(ctx context.Context, chargerID, chainPEM, certType string) (charging.CommandStatus, error) {
	return route(ctx, r, opCertificateSigned, chargerID, chainArgs{chainPEM, certType})
}

type certArgs struct {
	CertType string `json:"certType"`
	CertPEM  string `json:"certPem"`
}

var opInstallCertificate = op[certArgs, charging.CommandStatus]{name: "InstallCertificate",
	call: func(ctx context.Context, l Local, id string, a certArgs) (charging.CommandStatus, error) {
		return l.InstallCertificate(ctx, id, a.CertType, a.CertPEM)
	}}

// InstallCertificate implements charging.SecurityCommander.
func (r *Router) InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (charging.CommandStatus, error) {
	return route(ctx, r, opInstallCertificate, chargerID, certArgs{certType, certPEM})
}

type certTypesArgs struct {
	CertTypes []string `json:"certTypes"`
}

var opGetInstalledCertificateIDs = op[certTypesArgs, charging.InstalledCertificates]{name: "GetInstalledCertificateIDs",
	call: func(ctx context.Context, l Local, id string, a certTypesArgs) (charging.InstalledCertificates, error) {
		return l.GetInstalledCertificateIDs(ctx, id, a.CertTypes)
	}}

// GetInstalledCertificateIDs implements charging.SecurityCommander.
func (r *Router) GetInstalledCertificateIDs(ctx context.Context, chargerID string, certTypes []string) (charging.InstalledCertificates, error) {
	return route(ctx, r, opGetInstalledCertificateIDs, chargerID, certTypesArgs{certTypes})
}

var opDeleteCertificate = op[charging.CertificateHashData, charging.CommandStatus]{name: "DeleteCertificate",
	call: func(ctx context.Context, l Local, id string, a charging.CertificateHashData) (charging.CommandStatus, error) {
		return l.DeleteCertificate(ctx, id, a)
	}}

// DeleteCertificate implements charging.SecurityCommander.
func (r *Router) DeleteCertificate(ctx context.Context, chargerID string, h charging.CertificateHashData) (charging.CommandStatus, error) {
	return route(ctx, r, opDeleteCertificate, chargerID, h)
}

var opExtendedTriggerMessage = op[triggerArgs, charging.CommandStatus]{name: "ExtendedTriggerMessage",
	call: func(ctx context.Context, l Local, id string, a triggerArgs) (charging.CommandStatus, error) {
		return l.ExtendedTriggerMessage(ctx, id, a.Message, a.ConnectorID)
	}}

// ExtendedTriggerMessage implements charging.SecurityCommander.
func (r *Router) ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	return route(ctx, r, opExtendedTriggerMessage, chargerID, triggerArgs{message, connectorID})
}

// logArgs carries LogRequest.Location, which LogRequest keeps out of JSON
// (it holds a token).
type logArgs struct {
	Request  charging.LogRequest `json:"request"`
	Location string              `json:"location"`
}

var opGetLog = op[logArgs, charging.LogResult]{name: "GetLog",
	call: func(ctx context.Context, l Local, id string, a logArgs) (charging.LogResult, error) {
		req := a.Request
		req.Location = a.Location
		return l.GetLog(ctx, id, req)
	}}

// GetLog implements charging.SecurityCommander.
func (r *Router) GetLog(ctx context.Context, chargerID string, lr charging.LogRequest) (charging.LogResult, error) {
	return route(ctx, r, opGetLog, chargerID, logArgs{lr, lr.Location})
}

type signedFirmwareArgs struct {
	Update charging.FirmwareUpdate `json:"update"`
	Signed charging.SignedFirmware `json:"signed"`
}

var opSignedUpdateFirmware = op[signedFirmwareArgs, charging.CommandStatus]{name: "SignedUpdateFirmware",
	call: func(ctx context.Context, l Local, id string, a signedFirmwareArgs) (charging.CommandStatus, error) {
		return l.SignedUpdateFirmware(ctx, id, a.Update, a.Signed)
	}}

// SignedUpdateFirmware implements charging.SecurityCommander.
func (r *Router) SignedUpdateFirmware(ctx context.Context, chargerID string, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.CommandStatus, error) {
	return route(ctx, r, opSignedUpdateFirmware, chargerID, signedFirmwareArgs{u, s})
}

// Disconnect.

type reasonArgs struct {
	Reason string `json:"reason"`
}

var opDisconnect = op[reasonArgs, bool]{name: "Disconnect",
	call: func(_ context.Context, l Local, id string, a reasonArgs) (bool, error) {
		return l.Disconnect(id, a.Reason), nil
	}}

// Disconnect closes the charger's connection on whichever node holds it
// (csms uses it when a charger is deleted or rejected). It reports whether
// a node held it; it waits RequestTimeout at most.
func (r *Router) Disconnect(chargerID, reason string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.RequestTimeout)
	defer cancel()
	ok, err := route(ctx, r, opDisconnect, chargerID, reasonArgs{reason})
	if err != nil && charging.ErrorCode(err) != charging.EUNAVAILABLE {
		r.log.Warn("cluster: disconnect", "charger", chargerID, "err", err)
	}
	return err == nil && ok
}
