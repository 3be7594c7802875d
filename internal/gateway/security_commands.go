package gateway

import (
	"context"

	"github.com/joule-ev/joule/internal/charging"
)

// SecurityCommands is what a Station implements to take Joule's
// certificate- and credential-management commands
// (charging.SecurityCommander without the charger id). ocpp16.Station and
// ocpp201.Station implement it. A Station that does not makes every one of
// them answer EINVALID; one whose OCPP version lacks a use case or a
// certificate type returns charging.EINVALID from that method.
type SecurityCommands interface {
	SetPassword(ctx context.Context, password string) (charging.CommandStatus, error)
	CertificateSigned(ctx context.Context, chainPEM, certType string) (charging.CommandStatus, error)
	InstallCertificate(ctx context.Context, certType, certPEM string) (charging.CommandStatus, error)
	GetInstalledCertificateIDs(ctx context.Context, certTypes []string) (charging.InstalledCertificates, error)
	DeleteCertificate(ctx context.Context, h charging.CertificateHashData) (charging.CommandStatus, error)
	ExtendedTriggerMessage(ctx context.Context, message string, connectorID int) (charging.CommandStatus, error)
	GetLog(ctx context.Context, r charging.LogRequest) (charging.LogResult, error)
	SignedUpdateFirmware(ctx context.Context, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.CommandStatus, error)
}

var _ charging.SecurityCommander = (*Gateway)(nil)

// securityCommands returns the charger's connection as SecurityCommands.
func (g *Gateway) securityCommands(chargerID string) (SecurityCommands, error) {
	c, err := g.lookup(chargerID)
	if err != nil {
		return nil, err
	}
	sc, ok := c.station.(SecurityCommands)
	if !ok {
		return nil, charging.Errorf(charging.EINVALID, "charger %s's OCPP version does not support security commands", chargerID)
	}
	return sc, nil
}

// SetPassword implements charging.SecurityCommander.
func (g *Gateway) SetPassword(ctx context.Context, chargerID, password string) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.SetPassword(ctx, password)
}

// CertificateSigned implements charging.SecurityCommander.
func (g *Gateway) CertificateSigned(ctx context.Context, chargerID, chainPEM, certType string) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.CertificateSigned(ctx, chainPEM, certType)
}

// InstallCertificate implements charging.SecurityCommander.
func (g *Gateway) InstallCertificate(ctx context.Context, chargerID, certType, certPEM string) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.InstallCertificate(ctx, certType, certPEM)
}

// GetInstalledCertificateIDs implements charging.SecurityCommander.
func (g *Gateway) GetInstalledCertificateIDs(ctx context.Context, chargerID string, certTypes []string) (charging.InstalledCertificates, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return charging.InstalledCertificates{}, err
	}
	return sc.GetInstalledCertificateIDs(ctx, certTypes)
}

// DeleteCertificate implements charging.SecurityCommander.
func (g *Gateway) DeleteCertificate(ctx context.Context, chargerID string, h charging.CertificateHashData) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.DeleteCertificate(ctx, h)
}

// ExtendedTriggerMessage implements charging.SecurityCommander.
func (g *Gateway) ExtendedTriggerMessage(ctx context.Context, chargerID, message string, connectorID int) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.ExtendedTriggerMessage(ctx, message, connectorID)
}

// GetLog implements charging.SecurityCommander.
func (g *Gateway) GetLog(ctx context.Context, chargerID string, r charging.LogRequest) (charging.LogResult, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return charging.LogResult{}, err
	}
	return sc.GetLog(ctx, r)
}

// SignedUpdateFirmware implements charging.SecurityCommander.
func (g *Gateway) SignedUpdateFirmware(ctx context.Context, chargerID string, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.CommandStatus, error) {
	sc, err := g.securityCommands(chargerID)
	if err != nil {
		return "", err
	}
	return sc.SignedUpdateFirmware(ctx, u, s)
}
