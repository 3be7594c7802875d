package ocpp16_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// fakeEvents is a charging.StationEvents (and CommandEvents) that records
// what it was told; boots are answered from a list whose last entry repeats.
type fakeEvents struct {
	charging.StationEvents // nil: methods the tests do not use panic

	mu         sync.Mutex
	boots      []charging.RegistrationStatus
	reg        charging.RegistrationStatus // the stored registration
	csrs       []charging.CertificateRequest
	signAnswer charging.CommandStatus
	security   []charging.SecurityEvent
	jobs       []string // "log|firmware status requestId"
	answered   []charging.AnsweredCommand
	failStore  bool
}

func (f *fakeEvents) Booted(ctx context.Context, id string, info charging.BootInfo) (charging.BootResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.boots[0]
	if len(f.boots) > 1 {
		f.boots = f.boots[1:]
	}
	f.reg = st
	return charging.BootResult{Status: st, Interval: 30 * time.Second, Now: time.Now()}, nil
}

func (f *fakeEvents) Registration(ctx context.Context, id string) (charging.RegistrationStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reg, nil
}

func (f *fakeEvents) Heartbeat(ctx context.Context, id string) (time.Time, error) {
	return time.Now(), nil
}

func (f *fakeEvents) SignCertificate(ctx context.Context, id string, r charging.CertificateRequest) (charging.CommandStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failStore {
		return "", errors.New("disk full")
	}
	f.csrs = append(f.csrs, r)
	return f.signAnswer, nil
}

func (f *fakeEvents) SecurityEventReported(ctx context.Context, id string, e charging.SecurityEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failStore {
		return errors.New("disk full")
	}
	f.security = append(f.security, e)
	return nil
}

func (f *fakeEvents) LogStatus(ctx context.Context, id, status string, requestID int) error {
	return f.job("log", status, requestID)
}

func (f *fakeEvents) SignedFirmwareStatus(ctx context.Context, id, status string, requestID int) error {
	return f.job("firmware", status, requestID)
}

func (f *fakeEvents) job(kind, status string, requestID int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failStore {
		return errors.New("disk full")
	}
	f.jobs = append(f.jobs, fmt.Sprintf("%s %s %d", kind, status, requestID))
	return nil
}

func (f *fakeEvents) CommandAnswered(ctx context.Context, id string, a charging.AnsweredCommand) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answered = append(f.answered, a)
	return nil
}

func accepted() *fakeEvents {
	return &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationAccepted}, reg: charging.RegistrationAccepted}
}

// station is a Station on the Central System side of a real WebSocket and
// the charger side's connection; answer gives the charger's answer to each
// CALL, and got records them as "Action payload".
type station struct {
	st     *ocpp16.Station
	cp     *ocppj.Conn
	mu     sync.Mutex
	got    []string
	answer func(action string, payload json.RawMessage) (any, error)
}

func (s *station) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func (s *station) reset(answer func(string, json.RawMessage) (any, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got, s.answer = nil, answer
}

// connect connects a charger to a Station over a real WebSocket; log (nil:
// none) is the logger of the Station and of both connections.
func connect(t *testing.T, ev charging.StationEvents, log *slog.Logger) *station {
	t.Helper()
	s := &station{answer: fixed(`{"status":"Accepted"}`)}
	stc := make(chan *ocpp16.Station, 1)
	up := websocket.Upgrader{Subprotocols: []string{"ocpp1.6"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		var st *ocpp16.Station
		conn := ocppj.NewConn(ws, ocppj.Options{Dialect: ocppj.Dialect16, CallTimeout: 5 * time.Second, Logger: log,
			Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
				return st.HandleCall(ctx, action, p)
			}})
		st = ocpp16.NewStation("CP-1", conn, ev, log)
		stc <- st
		_ = conn.Serve(r.Context())
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cp, _, err := ocppj.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), []string{"ocpp1.6"}, nil, ocppj.Options{
		Dialect: ocppj.Dialect16, CallTimeout: 5 * time.Second, Logger: log,
		Handler: func(ctx context.Context, action string, p json.RawMessage) (any, error) {
			s.mu.Lock()
			s.got = append(s.got, action+" "+string(p))
			answer := s.answer
			s.mu.Unlock()
			return answer(action, p)
		}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = cp.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	s.cp, s.st = cp, <-stc
	return s
}

func fixed(resp string) func(string, json.RawMessage) (any, error) {
	return func(string, json.RawMessage) (any, error) { return json.RawMessage(resp), nil }
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func ptr[T any](v T) *T { return &v }

func code(err error) string {
	var e *ocppj.Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return ""
}

// TestSecurityCommandTranslation sends each security command and checks the
// 1.6 CALLs it became and how the answers were translated back.
func TestSecurityCommandTranslation(t *testing.T) {
	s := connect(t, accepted(), nil)
	ctx := context.Background()
	cest := time.FixedZone("CEST", 2*3600)
	oldest := time.Date(2026, 11, 1, 12, 0, 0, 0, cest)
	retrieve, install := time.Date(2026, 11, 25, 12, 0, 0, 0, cest), time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	// byType answers GetInstalledCertificateIds per type.
	byType := func(central, manufacturer string) func(string, json.RawMessage) (any, error) {
		return func(_ string, p json.RawMessage) (any, error) {
			if strings.Contains(string(p), "CentralSystemRootCertificate") {
				return json.RawMessage(central), nil
			}
			return json.RawMessage(manufacturer), nil
		}
	}
	const (
		certA = `{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"01"}`
		certB = `{"hashAlgorithm":"SHA512","issuerNameHash":"cc","issuerKeyHash":"dd","serialNumber":"02"}`
	)
	hashA := charging.CertificateHashData{HashAlgorithm: "SHA256", IssuerNameHash: "aa", IssuerKeyHash: "bb", SerialNumber: "01"}
	for _, tc := range []struct {
		name   string
		answer func(string, json.RawMessage) (any, error)
		do     func() (any, error)
		calls  []string // "Action payload", in order
		want   any
	}{
		{"set password", fixed(`{"status":"Accepted"}`), func() (any, error) { return s.st.SetPassword(ctx, "0123456789abcdef0123456789abcdef01234567") },
			[]string{`ChangeConfiguration {"key":"AuthorizationKey","value":"0123456789abcdef0123456789abcdef01234567"}`}, charging.CommandStatus("Accepted")},
		{"set password refused", fixed(`{"status":"NotSupported"}`), func() (any, error) { return s.st.SetPassword(ctx, "0123456789abcdef0123") },
			[]string{`ChangeConfiguration {"key":"AuthorizationKey","value":"0123456789abcdef0123"}`}, charging.CommandStatus("NotSupported")},
		{"certificate signed", fixed(`{"status":"Rejected"}`), func() (any, error) { return s.st.CertificateSigned(ctx, "PEM", charging.CertChargePoint) },
			[]string{`CertificateSigned {"certificateChain":"PEM"}`}, charging.CommandStatus("Rejected")},
		{"install central system root", fixed(`{"status":"Accepted"}`), func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertCentralSystemRoot, "PEM") },
			[]string{`InstallCertificate {"certificateType":"CentralSystemRootCertificate","certificate":"PEM"}`}, charging.CommandStatus("Accepted")},
		{"install manufacturer root", fixed(`{"status":"Failed"}`), func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertManufacturerRoot, "PEM") },
			[]string{`InstallCertificate {"certificateType":"ManufacturerRootCertificate","certificate":"PEM"}`}, charging.CommandStatus("Failed")},
		{"list both types", byType(`{"status":"Accepted","certificateHashData":[`+certA+`]}`, `{"status":"Accepted","certificateHashData":[`+certB+`]}`),
			func() (any, error) { return s.st.GetInstalledCertificateIDs(ctx, nil) },
			[]string{`GetInstalledCertificateIds {"certificateType":"CentralSystemRootCertificate"}`, `GetInstalledCertificateIds {"certificateType":"ManufacturerRootCertificate"}`},
			charging.InstalledCertificates{Status: "Accepted", Certificates: []charging.CertificateHashData{
				{HashAlgorithm: "SHA256", IssuerNameHash: "aa", IssuerKeyHash: "bb", SerialNumber: "01", CertificateType: charging.CertCentralSystemRoot},
				{HashAlgorithm: "SHA512", IssuerNameHash: "cc", IssuerKeyHash: "dd", SerialNumber: "02", CertificateType: charging.CertManufacturerRoot}}}},
		{"list, one type found", byType(`{"status":"NotFound"}`, `{"status":"Accepted","certificateHashData":[`+certB+`]}`),
			func() (any, error) {
				return s.st.GetInstalledCertificateIDs(ctx, []string{charging.CertManufacturerRoot, charging.CertCentralSystemRoot})
			},
			[]string{`GetInstalledCertificateIds {"certificateType":"ManufacturerRootCertificate"}`, `GetInstalledCertificateIds {"certificateType":"CentralSystemRootCertificate"}`},
			charging.InstalledCertificates{Status: "Accepted", Certificates: []charging.CertificateHashData{
				{HashAlgorithm: "SHA512", IssuerNameHash: "cc", IssuerKeyHash: "dd", SerialNumber: "02", CertificateType: charging.CertManufacturerRoot}}}},
		{"list one type, none found", fixed(`{"status":"NotFound"}`),
			func() (any, error) {
				return s.st.GetInstalledCertificateIDs(ctx, []string{charging.CertCentralSystemRoot, charging.CertCentralSystemRoot})
			},
			[]string{`GetInstalledCertificateIds {"certificateType":"CentralSystemRootCertificate"}`},
			charging.InstalledCertificates{Status: "NotFound", Certificates: []charging.CertificateHashData{}}},
		{"delete", fixed(`{"status":"Accepted"}`), func() (any, error) { return s.st.DeleteCertificate(ctx, hashA) },
			[]string{`DeleteCertificate {"certificateHashData":` + certA + `}`}, charging.CommandStatus("Accepted")},
		{"trigger sign certificate", fixed(`{"status":"Accepted"}`), func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "SignChargePointCertificate", 0) },
			[]string{`ExtendedTriggerMessage {"requestedMessage":"SignChargePointCertificate"}`}, charging.CommandStatus("Accepted")},
		{"trigger signed firmware status", fixed(`{"status":"Rejected"}`), func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "SignedFirmwareStatusNotification", 0) },
			[]string{`ExtendedTriggerMessage {"requestedMessage":"FirmwareStatusNotification"}`}, charging.CommandStatus("Rejected")},
		{"trigger status of a connector", fixed(`{"status":"NotImplemented"}`), func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "StatusNotification", 2) },
			[]string{`ExtendedTriggerMessage {"requestedMessage":"StatusNotification","connectorId":2}`}, charging.CommandStatus("NotImplemented")},
		{"get log", fixed(`{"status":"Accepted","filename":"diag.zip"}`),
			func() (any, error) {
				return s.st.GetLog(ctx, charging.LogRequest{LogType: "DiagnosticsLog", RequestID: 3, Location: "https://joule.example/u/tok",
					OldestTimestamp: &oldest, Retries: ptr(1), RetryIntervalS: ptr(10)})
			},
			[]string{`GetLog {"logType":"DiagnosticsLog","requestId":3,"retries":1,"retryInterval":10,
				"log":{"remoteLocation":"https://joule.example/u/tok","oldestTimestamp":"2026-11-01T10:00:00Z"}}`},
			charging.LogResult{Status: "Accepted", FileName: "diag.zip"}},
		{"signed firmware", fixed(`{"status":"RevokedCertificate"}`),
			func() (any, error) {
				return s.st.SignedUpdateFirmware(ctx, charging.FirmwareUpdate{Location: "https://joule.example/fw/1", RetrieveDate: retrieve},
					charging.SignedFirmware{RequestID: 12, SigningCertificate: "CERT", Signature: "SIG", InstallDate: &install})
			},
			[]string{`SignedUpdateFirmware {"requestId":12,"firmware":{"location":"https://joule.example/fw/1",
				"retrieveDateTime":"2026-11-25T10:00:00Z","installDateTime":"2026-11-26T03:00:00Z","signingCertificate":"CERT","signature":"SIG"}}`},
			charging.CommandStatus("RevokedCertificate")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.reset(tc.answer)
			got, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			calls := s.calls()
			if len(calls) != len(tc.calls) {
				t.Fatalf("charger got %q, want %q", calls, tc.calls)
			}
			for i, c := range calls {
				action, payload, _ := strings.Cut(c, " ")
				wantAction, wantPayload, _ := strings.Cut(tc.calls[i], " ")
				if action != wantAction || !sameJSON(t, payload, wantPayload) {
					t.Errorf("call %d: charger got %s, want %s", i, c, tc.calls[i])
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answer = %s, want %s", show(got), show(tc.want))
			}
		})
	}
}

// TestSecurityNotExpressible: what 1.6 cannot say, or what breaks the
// schema, is EINVALID, and nothing is sent.
func TestSecurityNotExpressible(t *testing.T) {
	s := connect(t, accepted(), nil)
	ctx := context.Background()
	for name, do := range map[string]func() error{
		"a V2G certificate":     func() error { _, err := s.st.CertificateSigned(ctx, "PEM", charging.CertV2G); return err },
		"a V2G root to install": func() error { _, err := s.st.InstallCertificate(ctx, charging.CertV2GRoot, "PEM"); return err },
		"an MO root to list": func() error {
			_, err := s.st.GetInstalledCertificateIDs(ctx, []string{charging.CertMORoot})
			return err
		},
		"a 2.0.1 trigger": func() error { _, err := s.st.ExtendedTriggerMessage(ctx, "SignV2GCertificate", 0); return err },
		"a core-profile trigger": func() error {
			_, err := s.st.ExtendedTriggerMessage(ctx, "DiagnosticsStatusNotification", 0)
			return err
		},
		"a certificate too long": func() error {
			_, err := s.st.InstallCertificate(ctx, charging.CertCentralSystemRoot, strings.Repeat("x", 5501))
			return err
		},
		"a log without a type": func() error {
			_, err := s.st.GetLog(ctx, charging.LogRequest{RequestID: 1, Location: "https://x"})
			return err
		},
	} {
		err := do()
		if charging.ErrorCode(err) != charging.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if c := s.calls(); len(c) != 0 {
		t.Errorf("charger got %q, want nothing", c)
	}
}

// TestSecurityMessages sends each security message of a charger, valid and
// not, and checks what reached the domain and the answer.
func TestSecurityMessages(t *testing.T) {
	ev := accepted()
	ev.signAnswer = "Accepted"
	s := connect(t, ev, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, action, payload string
		// answer is the CALLRESULT, or the CALLERROR code as ocppj reads
		// it (1.6's OccurenceConstraintViolation is OccurrenceConstraintViolation).
		answer   string
		csrs     []charging.CertificateRequest
		security []charging.SecurityEvent
		jobs     []string
	}{
		{"sign certificate", "SignCertificate", `{"csr":"CSR-1"}`, `{"status":"Accepted"}`,
			[]charging.CertificateRequest{{CSR: "CSR-1", Type: charging.CertChargePoint}}, nil, nil},
		{"sign without csr", "SignCertificate", `{}`, "OccurrenceConstraintViolation", nil, nil, nil},
		{"security event", "SecurityEventNotification", `{"type":"SettingSystemTime","timestamp":"2026-11-25T11:00:00+01:00","techInfo":"ntp"}`, `{}`, nil,
			[]charging.SecurityEvent{{ChargerID: "CP-1", Source: charging.SecuritySourceCharger, Type: "SettingSystemTime",
				Timestamp: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), TechInfo: "ntp"}}, nil},
		{"security event without time", "SecurityEventNotification", `{"type":"SettingSystemTime"}`, "OccurrenceConstraintViolation", nil, nil, nil},
		{"log status", "LogStatusNotification", `{"status":"Uploaded","requestId":3}`, `{}`, nil, nil, []string{"log Uploaded 3"}},
		{"log status without request", "LogStatusNotification", `{"status":"Idle"}`, `{}`, nil, nil, []string{"log Idle 0"}},
		{"log status, bad status", "LogStatusNotification", `{"status":"Lost"}`, "PropertyConstraintViolation", nil, nil, nil},
		{"signed firmware status", "SignedFirmwareStatusNotification", `{"status":"InvalidSignature","requestId":12}`, `{}`, nil, nil, []string{"firmware InvalidSignature 12"}},
		{"signed firmware status, bad status", "SignedFirmwareStatusNotification", `{"status":"Bricked","requestId":12}`, "PropertyConstraintViolation", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev.mu.Lock()
			ev.jobs, ev.csrs, ev.security = nil, nil, nil
			ev.mu.Unlock()
			raw, err := s.cp.Call(ctx, tc.action, json.RawMessage(tc.payload))
			if strings.HasPrefix(tc.answer, "{") {
				if err != nil || !sameJSON(t, string(raw), tc.answer) {
					t.Fatalf("%s answered %s, %v; want %s", tc.action, raw, err, tc.answer)
				}
			} else if code(err) != tc.answer {
				t.Fatalf("%s: %v, want %s", tc.action, err, tc.answer)
			}
			ev.mu.Lock()
			defer ev.mu.Unlock()
			if !reflect.DeepEqual(ev.csrs, tc.csrs) || !reflect.DeepEqual(ev.security, tc.security) || !reflect.DeepEqual(ev.jobs, tc.jobs) {
				t.Errorf("told CSRs %+v, security events %+v, jobs %q; want %+v, %+v, %q", ev.csrs, ev.security, ev.jobs, tc.csrs, tc.security, tc.jobs)
			}
		})
	}
}

// TestSignCertificateRejected: the domain's refusal is the answer.
func TestSignCertificateRejected(t *testing.T) {
	ev := accepted()
	ev.signAnswer = "Rejected"
	s := connect(t, ev, nil)
	raw, err := s.cp.Call(context.Background(), "SignCertificate", json.RawMessage(`{"csr":"CSR"}`))
	if err != nil || !sameJSON(t, string(raw), `{"status":"Rejected"}`) {
		t.Errorf("SignCertificate answered %s, %v; want Rejected", raw, err)
	}
}

// TestSecurityMessagesNotStored: what the store failed is not acknowledged.
func TestSecurityMessagesNotStored(t *testing.T) {
	ev := accepted()
	ev.failStore = true
	s := connect(t, ev, nil)
	for action, payload := range map[string]string{
		"SignCertificate":                  `{"csr":"CSR"}`,
		"SecurityEventNotification":        `{"type":"StartupOfTheDevice","timestamp":"2026-11-25T10:00:00Z"}`,
		"LogStatusNotification":            `{"status":"Uploaded","requestId":1}`,
		"SignedFirmwareStatusNotification": `{"status":"Installed","requestId":1}`,
	} {
		if _, err := s.cp.Call(context.Background(), action, json.RawMessage(payload)); code(err) != "InternalError" {
			t.Errorf("%s the store failed: %v, want InternalError", action, err)
		}
	}
}

// TestBootRegistration: Registration is the answer to the last boot on the
// connection, not the registration stored earlier.
func TestBootRegistration(t *testing.T) {
	const boot = `{"chargePointVendor":"V","chargePointModel":"M"}`
	ev := &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationPending, charging.RegistrationAccepted}, reg: charging.RegistrationAccepted}
	s := connect(t, ev, nil)
	ctx := context.Background()
	if _, err := s.cp.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if got := s.st.Registration(); got != "" {
		t.Errorf("Registration before a boot = %q, want \"\" (even though the stored one is Accepted)", got)
	}
	for _, want := range []charging.RegistrationStatus{charging.RegistrationPending, charging.RegistrationAccepted} {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // read while the boot is handled: -race checks the guard
			defer wg.Done()
			_ = s.st.Registration()
		}()
		if _, err := s.cp.Call(ctx, "BootNotification", json.RawMessage(boot)); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if got := s.st.Registration(); got != want {
			t.Errorf("Registration after a %s boot = %q", want, got)
		}
	}
}

// TestPendingTakesCommands: a Pending charger is refused its own CALLs but
// still takes the Central System's (§4.2: while Pending it answers them).
func TestPendingTakesCommands(t *testing.T) {
	ev := &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationPending}, reg: charging.RegistrationPending}
	s := connect(t, ev, nil)
	ctx := context.Background()
	if _, err := s.cp.Call(ctx, "BootNotification", json.RawMessage(`{"chargePointVendor":"V","chargePointModel":"M"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cp.Call(ctx, "SecurityEventNotification", json.RawMessage(`{"type":"StartupOfTheDevice","timestamp":"2026-11-25T10:00:00Z"}`)); code(err) != "SecurityError" {
		t.Errorf("SecurityEventNotification while Pending: %v, want SecurityError", err)
	}
	if st, err := s.st.SetPassword(ctx, "0123456789abcdef0123"); err != nil || st != "Accepted" {
		t.Errorf("SetPassword to a Pending charger = %q, %v; want Accepted", st, err)
	}
	if st, err := s.st.ExtendedTriggerMessage(ctx, "BootNotification", 0); err != nil || st != "Accepted" {
		t.Errorf("ExtendedTriggerMessage to a Pending charger = %q, %v; want Accepted", st, err)
	}
}

// TestPasswordNeverLogged sends a password, answered and refused, with
// every log line of the Station and both connections kept, at debug level.
func TestPasswordNeverLogged(t *testing.T) {
	const pw = "5ec12e70123456789abcdef0123456789abcdef0"
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := connect(t, accepted(), log)
	ctx := context.Background()
	s.reset(fixed(`{"status":"Accepted"}`))
	if _, err := s.st.SetPassword(ctx, pw); err != nil {
		t.Fatal(err)
	}
	s.reset(func(string, json.RawMessage) (any, error) { return nil, ocppj.Errorf(ocppj.InternalError, "no") })
	if _, err := s.st.SetPassword(ctx, pw); charging.ErrorCode(err) != charging.EREJECTED {
		t.Errorf("SetPassword answered with a CALLERROR: %v, want EREJECTED", err)
	}
	s.reset(fixed(`{"status":"Bogus"}`))
	if _, err := s.st.Command(ctx, "ChangeConfiguration", json.RawMessage(`{"key":"AuthorizationKey","value":"`+pw+`"}`)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if buf.Len() == 0 {
		t.Fatal("nothing was logged: the test does not see the logs")
	}
	if strings.Contains(buf.String(), pw) {
		t.Errorf("the password is in the log:\n%s", buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestGenericPasswordNotBooked: a password set with a generic
// ChangeConfiguration is not reported to the domain as a configuration
// value; another key is.
func TestGenericPasswordNotBooked(t *testing.T) {
	ev := accepted()
	s := connect(t, ev, nil)
	ctx := context.Background()
	for _, key := range []string{"AuthorizationKey", "authorizationkey", "HeartbeatInterval"} {
		if res, err := s.st.Command(ctx, "ChangeConfiguration", json.RawMessage(`{"key":"`+key+`","value":"0123456789abcdef0123"}`)); err != nil || res.Status != charging.ResultAnswered {
			t.Fatalf("Command = %+v, %v", res, err)
		}
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	want := []charging.AnsweredCommand{{Action: "ChangeConfiguration", Status: "Accepted", Key: "HeartbeatInterval", Value: "0123456789abcdef0123"}}
	if !reflect.DeepEqual(ev.answered, want) {
		t.Errorf("answered = %s, want %s", show(ev.answered), show(want))
	}
}
