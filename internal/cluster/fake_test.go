package cluster

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/joule-ev/joule/internal/charging"
)

// fakeLocal is a gateway stand-in: it records every call and answers what
// the test's answer function says (zero values without one).
type fakeLocal struct {
	mu        sync.Mutex
	connected map[string]bool
	calls     []fakeCall
	answer    func(ctx context.Context, method, chargerID string, args []any) (any, error)
}

type fakeCall struct {
	Method    string
	ChargerID string
	Args      []any
}

var _ Local = (*fakeLocal)(nil)

func newFake() *fakeLocal { return &fakeLocal{connected: map[string]bool{}} }

func (f *fakeLocal) connect(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.connected[id] = true
	}
}

func (f *fakeLocal) setAnswer(a func(ctx context.Context, method, chargerID string, args []any) (any, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = a
}

// callsOf returns the recorded calls, or only those of method when given.
func (f *fakeLocal) callsOf(method string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeLocal) do(ctx context.Context, method, id string, args ...any) (any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{method, id, args})
	connected, answer := f.connected[id], f.answer
	f.mu.Unlock()
	if !connected {
		return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s is offline", id)
	}
	if answer == nil {
		return nil, nil
	}
	return answer(ctx, method, id, args)
}

func ret[T any](v any, err error) (T, error) {
	t, _ := v.(T)
	return t, err
}

func (f *fakeLocal) Connected(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected[id]
}

// Disconnect answers the test's bool if it gives one; else it disconnects.
func (f *fakeLocal) Disconnect(id, reason string) bool {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{"Disconnect", id, []any{reason}})
	was, answer := f.connected[id], f.answer
	f.mu.Unlock()
	if answer != nil {
		if v, err := answer(context.Background(), "Disconnect", id, []any{reason}); err == nil {
			if b, ok := v.(bool); ok {
				return b
			}
		}
	}
	f.mu.Lock()
	delete(f.connected, id)
	f.mu.Unlock()
	return was
}

func (f *fakeLocal) RemoteStart(ctx context.Context, id string, r charging.RemoteStart) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "RemoteStart", id, r))
}
func (f *fakeLocal) RemoteStop(ctx context.Context, id, tx string) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "RemoteStop", id, tx))
}
func (f *fakeLocal) Command(ctx context.Context, id, action string, payload json.RawMessage) (charging.CommandResult, error) {
	return ret[charging.CommandResult](f.do(ctx, "Command", id, action, payload))
}
func (f *fakeLocal) TransactionStatus(ctx context.Context, id, tx string) (charging.TransactionStatus, error) {
	return ret[charging.TransactionStatus](f.do(ctx, "TransactionStatus", id, tx))
}
func (f *fakeLocal) Reset(ctx context.Context, id string, hard bool) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "Reset", id, hard))
}
func (f *fakeLocal) UnlockConnector(ctx context.Context, id string, c int) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "UnlockConnector", id, c))
}
func (f *fakeLocal) ChangeAvailability(ctx context.Context, id string, c int, op bool) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "ChangeAvailability", id, c, op))
}
func (f *fakeLocal) GetConfiguration(ctx context.Context, id string, keys []string) (charging.ConfigurationReport, error) {
	return ret[charging.ConfigurationReport](f.do(ctx, "GetConfiguration", id, keys))
}
func (f *fakeLocal) ChangeConfiguration(ctx context.Context, id, key, value string) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "ChangeConfiguration", id, key, value))
}
func (f *fakeLocal) TriggerMessage(ctx context.Context, id, msg string, c int) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "TriggerMessage", id, msg, c))
}
func (f *fakeLocal) ReserveNow(ctx context.Context, id string, r charging.Reservation) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "ReserveNow", id, r))
}
func (f *fakeLocal) CancelReservation(ctx context.Context, id string, rid int) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "CancelReservation", id, rid))
}
func (f *fakeLocal) SetChargingProfile(ctx context.Context, id string, c int, p charging.ChargingProfile) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "SetChargingProfile", id, c, p))
}
func (f *fakeLocal) ClearChargingProfile(ctx context.Context, id string, pf charging.ProfileFilter) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "ClearChargingProfile", id, pf))
}
func (f *fakeLocal) GetCompositeSchedule(ctx context.Context, id string, c, d int, unit string) (charging.CompositeSchedule, error) {
	return ret[charging.CompositeSchedule](f.do(ctx, "GetCompositeSchedule", id, c, d, unit))
}
func (f *fakeLocal) SendLocalList(ctx context.Context, id string, u charging.LocalListUpdate) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "SendLocalList", id, u))
}
func (f *fakeLocal) GetLocalListVersion(ctx context.Context, id string) (int, error) {
	return ret[int](f.do(ctx, "GetLocalListVersion", id))
}
func (f *fakeLocal) UpdateFirmware(ctx context.Context, id string, u charging.FirmwareUpdate) error {
	_, err := f.do(ctx, "UpdateFirmware", id, u)
	return err
}
func (f *fakeLocal) GetDiagnostics(ctx context.Context, id string, d charging.DiagnosticsRequest) (string, error) {
	return ret[string](f.do(ctx, "GetDiagnostics", id, d))
}
func (f *fakeLocal) SetPassword(ctx context.Context, id, pw string) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "SetPassword", id, pw))
}
func (f *fakeLocal) CertificateSigned(ctx context.Context, id, chain, typ string) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "CertificateSigned", id, chain, typ))
}
func (f *fakeLocal) InstallCertificate(ctx context.Context, id, typ, pem string) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "InstallCertificate", id, typ, pem))
}
func (f *fakeLocal) GetInstalledCertificateIDs(ctx context.Context, id string, types []string) (charging.InstalledCertificates, error) {
	return ret[charging.InstalledCertificates](f.do(ctx, "GetInstalledCertificateIDs", id, types))
}
func (f *fakeLocal) DeleteCertificate(ctx context.Context, id string, h charging.CertificateHashData) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "DeleteCertificate", id, h))
}
func (f *fakeLocal) ExtendedTriggerMessage(ctx context.Context, id, msg string, c int) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "ExtendedTriggerMessage", id, msg, c))
}
func (f *fakeLocal) GetLog(ctx context.Context, id string, r charging.LogRequest) (charging.LogResult, error) {
	return ret[charging.LogResult](f.do(ctx, "GetLog", id, r))
}
func (f *fakeLocal) SignedUpdateFirmware(ctx context.Context, id string, u charging.FirmwareUpdate, s charging.SignedFirmware) (charging.CommandStatus, error) {
	return ret[charging.CommandStatus](f.do(ctx, "SignedUpdateFirmware", id, u, s))
}
