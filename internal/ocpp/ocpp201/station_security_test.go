package ocpp201_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

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

// TestSecurityCommandTranslation sends each security command and checks the
// 2.0.1 CALL it became and how the answer was translated back.
func TestSecurityCommandTranslation(t *testing.T) {
	s := connectStation(t, accepted())
	ctx := context.Background()
	cest := time.FixedZone("CEST", 2*3600)
	oldest, latest := time.Date(2026, 11, 1, 12, 0, 0, 0, cest), time.Date(2026, 11, 2, 12, 0, 0, 0, cest)
	retrieve, install := time.Date(2026, 11, 25, 12, 0, 0, 0, cest), time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	hash := charging.CertificateHashData{HashAlgorithm: "SHA256", IssuerNameHash: "aa", IssuerKeyHash: "bb", SerialNumber: "01"}
	for _, tc := range []struct {
		name    string
		answer  string
		do      func() (any, error)
		action  string
		payload string
		want    any
	}{
		{"set password", `{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`,
			func() (any, error) { return s.st.SetPassword(ctx, "0123456789abcdef0123") },
			"SetVariables", `{"setVariableData":[{"attributeValue":"0123456789abcdef0123","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`,
			charging.CommandStatus("Accepted")},
		{"certificate signed", `{"status":"Accepted"}`, func() (any, error) { return s.st.CertificateSigned(ctx, "PEM", "") },
			"CertificateSigned", `{"certificateChain":"PEM","certificateType":"ChargingStationCertificate"}`, charging.CommandStatus("Accepted")},
		{"certificate signed v2g", `{"status":"Rejected"}`, func() (any, error) { return s.st.CertificateSigned(ctx, "PEM", charging.CertV2G) },
			"CertificateSigned", `{"certificateChain":"PEM","certificateType":"V2GCertificate"}`, charging.CommandStatus("Rejected")},
		{"install csms root", `{"status":"Accepted"}`, func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertCentralSystemRoot, "PEM") },
			"InstallCertificate", `{"certificateType":"CSMSRootCertificate","certificate":"PEM"}`, charging.CommandStatus("Accepted")},
		{"install manufacturer root", `{"status":"Failed"}`, func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertManufacturerRoot, "PEM") },
			"InstallCertificate", `{"certificateType":"ManufacturerRootCertificate","certificate":"PEM"}`, charging.CommandStatus("Failed")},
		{"install v2g root", `{"status":"Rejected"}`, func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertV2GRoot, "PEM") },
			"InstallCertificate", `{"certificateType":"V2GRootCertificate","certificate":"PEM"}`, charging.CommandStatus("Rejected")},
		{"install mo root", `{"status":"Accepted"}`, func() (any, error) { return s.st.InstallCertificate(ctx, charging.CertMORoot, "PEM") },
			"InstallCertificate", `{"certificateType":"MORootCertificate","certificate":"PEM"}`, charging.CommandStatus("Accepted")},
		{"list all", `{"status":"Accepted","certificateHashDataChain":[
				{"certificateType":"CSMSRootCertificate","certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"01"}},
				{"certificateType":"V2GCertificateChain","certificateHashData":{"hashAlgorithm":"SHA384","issuerNameHash":"cc","issuerKeyHash":"dd","serialNumber":"02"},
				 "childCertificateHashData":[{"hashAlgorithm":"SHA384","issuerNameHash":"ee","issuerKeyHash":"ff","serialNumber":"03"}]}]}`,
			func() (any, error) { return s.st.GetInstalledCertificateIDs(ctx, nil) },
			"GetInstalledCertificateIds", `{}`,
			charging.InstalledCertificates{Status: "Accepted", Certificates: []charging.CertificateHashData{
				{HashAlgorithm: "SHA256", IssuerNameHash: "aa", IssuerKeyHash: "bb", SerialNumber: "01", CertificateType: charging.CertCentralSystemRoot},
				{HashAlgorithm: "SHA384", IssuerNameHash: "cc", IssuerKeyHash: "dd", SerialNumber: "02", CertificateType: charging.CertV2G},
				{HashAlgorithm: "SHA384", IssuerNameHash: "ee", IssuerKeyHash: "ff", SerialNumber: "03", CertificateType: charging.CertV2G}}}},
		{"list some, none found", `{"status":"NotFound"}`,
			func() (any, error) {
				return s.st.GetInstalledCertificateIDs(ctx, []string{charging.CertCentralSystemRoot, charging.CertV2G, charging.CertCentralSystemRoot})
			},
			"GetInstalledCertificateIds", `{"certificateType":["CSMSRootCertificate","V2GCertificateChain"]}`,
			charging.InstalledCertificates{Status: "NotFound", Certificates: []charging.CertificateHashData{}}},
		{"delete", `{"status":"NotFound"}`, func() (any, error) { return s.st.DeleteCertificate(ctx, hash) },
			"DeleteCertificate", `{"certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":"aa","issuerKeyHash":"bb","serialNumber":"01"}}`,
			charging.CommandStatus("NotFound")},
		{"trigger sign certificate", `{"status":"Accepted"}`, func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "SignChargePointCertificate", 0) },
			"TriggerMessage", `{"requestedMessage":"SignChargingStationCertificate"}`, charging.CommandStatus("Accepted")},
		{"trigger signed firmware status", `{"status":"Rejected"}`, func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "SignedFirmwareStatusNotification", 0) },
			"TriggerMessage", `{"requestedMessage":"FirmwareStatusNotification"}`, charging.CommandStatus("Rejected")},
		{"trigger status of an evse", `{"status":"NotImplemented"}`, func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "StatusNotification", 2) },
			"TriggerMessage", `{"requestedMessage":"StatusNotification","evse":{"id":2,"connectorId":1}}`, charging.CommandStatus("NotImplemented")},
		{"trigger a 2.0.1 name", `{"status":"Accepted"}`, func() (any, error) { return s.st.ExtendedTriggerMessage(ctx, "SignV2GCertificate", 0) },
			"TriggerMessage", `{"requestedMessage":"SignV2GCertificate"}`, charging.CommandStatus("Accepted")},
		{"get log", `{"status":"Accepted","filename":"security.log"}`,
			func() (any, error) {
				return s.st.GetLog(ctx, charging.LogRequest{LogType: "SecurityLog", RequestID: 7, Location: "https://joule.example/upload/tok",
					OldestTimestamp: &oldest, LatestTimestamp: &latest, Retries: ptr(2), RetryIntervalS: ptr(60)})
			},
			"GetLog", `{"logType":"SecurityLog","requestId":7,"retries":2,"retryInterval":60,
				"log":{"remoteLocation":"https://joule.example/upload/tok","oldestTimestamp":"2026-11-01T10:00:00Z","latestTimestamp":"2026-11-02T10:00:00Z"}}`,
			charging.LogResult{Status: "Accepted", FileName: "security.log"}},
		{"get log, nothing optional", `{"status":"Rejected"}`,
			func() (any, error) {
				return s.st.GetLog(ctx, charging.LogRequest{LogType: "DiagnosticsLog", RequestID: 8, Location: "https://joule.example/u"})
			},
			"GetLog", `{"logType":"DiagnosticsLog","requestId":8,"log":{"remoteLocation":"https://joule.example/u"}}`,
			charging.LogResult{Status: "Rejected"}},
		{"signed firmware", `{"status":"InvalidCertificate"}`,
			func() (any, error) {
				return s.st.SignedUpdateFirmware(ctx, charging.FirmwareUpdate{Location: "https://joule.example/fw/1", RetrieveDate: retrieve, Retries: ptr(3), RetryIntervalS: ptr(30)},
					charging.SignedFirmware{RequestID: 12, SigningCertificate: "CERT", Signature: "SIG", InstallDate: &install})
			},
			"UpdateFirmware", `{"requestId":12,"retries":3,"retryInterval":30,"firmware":{"location":"https://joule.example/fw/1",
				"retrieveDateTime":"2026-11-25T10:00:00Z","installDateTime":"2026-11-26T03:00:00Z","signingCertificate":"CERT","signature":"SIG"}}`,
			charging.CommandStatus("InvalidCertificate")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.reset(fixed(tc.answer))
			got, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			calls := s.calls()
			if len(calls) != 1 {
				t.Fatalf("station got %q, want one %s", calls, tc.action)
			}
			action, payload, _ := strings.Cut(calls[0], " ")
			if action != tc.action || !sameJSON(t, payload, tc.payload) {
				t.Errorf("station got %s %s, want %s %s", action, payload, tc.action, tc.payload)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answer = %s, want %s", show(got), show(tc.want))
			}
		})
	}
}

// TestSetPasswordStatuses maps every SetVariableStatus of the password.
func TestSetPasswordStatuses(t *testing.T) {
	s := connectStation(t, accepted())
	for st, want := range map[string]charging.CommandStatus{
		"Accepted": "Accepted", "Rejected": "Rejected", "RebootRequired": "RebootRequired",
		"UnknownComponent": "NotSupported", "UnknownVariable": "NotSupported", "NotSupportedAttributeType": "NotSupported",
	} {
		s.reset(fixed(`{"setVariableResult":[{"attributeStatus":"` + st + `","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`))
		if got, err := s.st.SetPassword(context.Background(), "0123456789abcdef0123"); err != nil || got != want {
			t.Errorf("SetVariables answered %s: got %q, %v; want %q", st, got, err, want)
		}
	}
}

// TestSecurityNotExpressible: what 2.0.1 cannot say, or what breaks the
// schema, is EINVALID, and nothing is sent.
func TestSecurityNotExpressible(t *testing.T) {
	s := connectStation(t, accepted())
	s.reset(fixed(`{"status":"Accepted"}`))
	ctx := context.Background()
	for name, do := range map[string]func() error{
		"a root as the station's certificate": func() error {
			_, err := s.st.CertificateSigned(ctx, "PEM", charging.CertCentralSystemRoot)
			return err
		},
		"the station's certificate as a root": func() error {
			_, err := s.st.InstallCertificate(ctx, charging.CertChargePoint, "PEM")
			return err
		},
		"an unknown type to install": func() error { _, err := s.st.InstallCertificate(ctx, "CSMSRootCertificate", "PEM"); return err },
		"listing the station's certificate": func() error {
			_, err := s.st.GetInstalledCertificateIDs(ctx, []string{charging.CertManufacturerRoot, charging.CertChargePoint})
			return err
		},
		"a 1.6-only trigger": func() error {
			_, err := s.st.ExtendedTriggerMessage(ctx, "DiagnosticsStatusNotification", 0)
			return err
		},
		"an unknown trigger": func() error { _, err := s.st.ExtendedTriggerMessage(ctx, "Authorize", 0); return err },
		"an unknown hash algorithm": func() error {
			_, err := s.st.DeleteCertificate(ctx, charging.CertificateHashData{HashAlgorithm: "MD5", IssuerNameHash: "a", IssuerKeyHash: "b", SerialNumber: "c"})
			return err
		},
		"an unknown log type": func() error {
			_, err := s.st.GetLog(ctx, charging.LogRequest{LogType: "EverythingLog", RequestID: 1, Location: "https://x"})
			return err
		},
		"a password too long": func() error { _, err := s.st.SetPassword(ctx, strings.Repeat("x", 1001)); return err },
	} {
		if err := do(); charging.ErrorCode(err) != charging.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	if c := s.calls(); len(c) != 0 {
		t.Errorf("station got %q, want nothing", c)
	}
}

// TestSecurityMessages sends each security message of a station, valid and
// not, and checks what reached the domain and the answer.
func TestSecurityMessages(t *testing.T) {
	ev := accepted()
	ev.signAnswer = "Accepted"
	s := connectStation(t, ev)
	ctx := context.Background()
	for _, tc := range []struct {
		name, action, payload string
		answer                string // the CALLRESULT, or the CALLERROR code
		jobs                  []string
	}{
		{"sign certificate", "SignCertificate", `{"csr":"CSR-1"}`, `{"status":"Accepted"}`, nil},
		{"sign v2g certificate", "SignCertificate", `{"csr":"CSR-2","certificateType":"V2GCertificate"}`, `{"status":"Accepted"}`, nil},
		{"sign without csr", "SignCertificate", `{"certificateType":"V2GCertificate"}`, "OccurrenceConstraintViolation", nil},
		{"security event", "SecurityEventNotification", `{"type":"TamperDetectionActivated","timestamp":"2026-11-25T11:00:00+01:00","techInfo":"lid open"}`, `{}`, nil},
		{"security event, type too long", "SecurityEventNotification", `{"type":"` + strings.Repeat("X", 51) + `","timestamp":"2026-11-25T10:00:00Z"}`, "PropertyConstraintViolation", nil},
		{"log status", "LogStatusNotification", `{"status":"Uploading","requestId":7}`, `{}`, []string{"log Uploading 7"}},
		{"log status without request", "LogStatusNotification", `{"status":"Idle"}`, `{}`, []string{"log Idle 0"}},
		{"log status, bad status", "LogStatusNotification", `{"status":"Lost","requestId":7}`, "PropertyConstraintViolation", nil},
		{"firmware status", "FirmwareStatusNotification", `{"status":"SignatureVerified","requestId":12}`, `{}`, []string{"firmware SignatureVerified 12"}},
		{"firmware status, bad status", "FirmwareStatusNotification", `{"status":"Bricked","requestId":12}`, "PropertyConstraintViolation", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev.mu.Lock()
			ev.jobs, ev.csrs, ev.security, ev.events = nil, nil, nil, nil
			ev.mu.Unlock()
			raw, err := s.cs.Call(ctx, tc.action, json.RawMessage(tc.payload))
			if strings.HasPrefix(tc.answer, "{") {
				if err != nil || !sameJSON(t, string(raw), tc.answer) {
					t.Fatalf("%s answered %s, %v; want %s", tc.action, raw, err, tc.answer)
				}
			} else if code(err) != tc.answer {
				t.Fatalf("%s: %v, want %s", tc.action, err, tc.answer)
			}
			ev.mu.Lock()
			defer ev.mu.Unlock()
			if !reflect.DeepEqual(ev.jobs, tc.jobs) {
				t.Errorf("jobs told %q, want %q", ev.jobs, tc.jobs)
			}
			valid := strings.HasPrefix(tc.answer, "{")
			switch tc.action {
			case "SignCertificate":
				want := []charging.CertificateRequest(nil)
				if valid {
					typ := charging.CertChargePoint
					if strings.Contains(tc.payload, "V2G") {
						typ = charging.CertV2G
					}
					want = []charging.CertificateRequest{{CSR: strings.Split(tc.payload, `"`)[3], Type: typ}}
				}
				if !reflect.DeepEqual(ev.csrs, want) {
					t.Errorf("CSRs = %+v, want %+v", ev.csrs, want)
				}
			case "SecurityEventNotification":
				var want []charging.SecurityEvent
				if valid {
					want = []charging.SecurityEvent{{ChargerID: "CS-1", Source: charging.SecuritySourceCharger, Type: "TamperDetectionActivated",
						Timestamp: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), TechInfo: "lid open"}}
				}
				if !reflect.DeepEqual(ev.security, want) {
					t.Errorf("security events = %+v, want %+v", ev.security, want)
				}
				// Kept as a charger event too, with the message as sent.
				if valid && (len(ev.events) != 1 || ev.events[0].Action != "SecurityEventNotification" || ev.events[0].Kind != "TamperDetectionActivated" ||
					ev.events[0].Summary != "lid open" || !sameJSON(t, string(ev.events[0].Payload), tc.payload)) {
					t.Errorf("charger events = %+v, want the notification", ev.events)
				}
			}
			if !valid && len(ev.events) != 0 {
				t.Errorf("an invalid %s was recorded: %+v", tc.action, ev.events)
			}
		})
	}
}

// TestSignCertificateRejected: the domain's refusal is the answer.
func TestSignCertificateRejected(t *testing.T) {
	ev := accepted()
	ev.signAnswer = "Rejected"
	s := connectStation(t, ev)
	raw, err := s.cs.Call(context.Background(), "SignCertificate", json.RawMessage(`{"csr":"CSR"}`))
	if err != nil || !sameJSON(t, string(raw), `{"status":"Rejected"}`) {
		t.Errorf("SignCertificate answered %s, %v; want Rejected", raw, err)
	}
}

// TestSecurityMessagesNotStored: what the store failed is not acknowledged.
func TestSecurityMessagesNotStored(t *testing.T) {
	ev := accepted()
	ev.failStore = true
	s := connectStation(t, ev)
	for action, payload := range map[string]string{
		"SignCertificate":            `{"csr":"CSR"}`,
		"SecurityEventNotification":  `{"type":"StartupOfTheDevice","timestamp":"2026-11-25T10:00:00Z"}`,
		"LogStatusNotification":      `{"status":"Uploaded","requestId":1}`,
		"FirmwareStatusNotification": `{"status":"Installed","requestId":1}`,
	} {
		if _, err := s.cs.Call(context.Background(), action, json.RawMessage(payload)); code(err) != "InternalError" {
			t.Errorf("%s the store failed: %v, want InternalError", action, err)
		}
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.events) != 0 {
		t.Errorf("charger events = %+v, want none (the security event was not stored)", ev.events)
	}
}

// TestBootRegistration: Registration is the answer to the last boot on the
// connection, not the registration stored earlier.
func TestBootRegistration(t *testing.T) {
	const boot = `{"reason":"PowerUp","chargingStation":{"vendorName":"V","model":"M"}}`
	ev := &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationPending, charging.RegistrationAccepted}, reg: charging.RegistrationAccepted}
	s := connectStation(t, ev)
	s.reset(fixed(`{"status":"Accepted"}`))
	ctx := context.Background()
	if _, err := s.cs.Call(ctx, "Heartbeat", json.RawMessage(`{}`)); err != nil {
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
		if _, err := s.cs.Call(ctx, "BootNotification", json.RawMessage(boot)); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if got := s.st.Registration(); got != want {
			t.Errorf("Registration after a %s boot = %q", want, got)
		}
	}
}

// TestPendingTakesCommands: a Pending station is refused its own CALLs but
// still takes the CSMS's (B02: the CSMS may configure it while Pending).
func TestPendingTakesCommands(t *testing.T) {
	ev := &fakeEvents{boots: []charging.RegistrationStatus{charging.RegistrationPending}, reg: charging.RegistrationPending}
	s := connectStation(t, ev)
	s.reset(func(action string, p json.RawMessage) (any, error) {
		if action == "SetVariables" {
			return json.RawMessage(`{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`), nil
		}
		return json.RawMessage(`{"status":"Accepted"}`), nil
	})
	ctx := context.Background()
	if _, err := s.cs.Call(ctx, "BootNotification", json.RawMessage(`{"reason":"PowerUp","chargingStation":{"vendorName":"V","model":"M"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cs.Call(ctx, "SecurityEventNotification", json.RawMessage(`{"type":"StartupOfTheDevice","timestamp":"2026-11-25T10:00:00Z"}`)); code(err) != "SecurityError" {
		t.Errorf("SecurityEventNotification while Pending: %v, want SecurityError", err)
	}
	if st, err := s.st.SetPassword(ctx, "0123456789abcdef0123"); err != nil || st != "Accepted" {
		t.Errorf("SetPassword to a Pending station = %q, %v; want Accepted", st, err)
	}
	if st, err := s.st.TriggerMessage(ctx, "BootNotification", 0); err != nil || st != "Accepted" {
		t.Errorf("TriggerMessage to a Pending station = %q, %v; want Accepted", st, err)
	}
}

// TestPasswordNeverLogged sends a password, answered and refused, with
// every log line of the Station and both connections kept, at debug level.
func TestPasswordNeverLogged(t *testing.T) {
	const pw = "s3cr3t-0123456789abcdef"
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ev := &cmdEvents{fakeEvents: accepted()}
	s := connectStationLog(t, ev, log)
	ctx := context.Background()
	s.reset(fixed(`{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`))
	if _, err := s.st.SetPassword(ctx, pw); err != nil {
		t.Fatal(err)
	}
	s.reset(func(string, json.RawMessage) (any, error) { return nil, ocppj.Errorf(ocppj.InternalError, "no") })
	if _, err := s.st.SetPassword(ctx, pw); charging.ErrorCode(err) != charging.EREJECTED {
		t.Errorf("SetPassword answered with a CALLERROR: %v, want EREJECTED", err)
	}
	s.reset(fixed(`{"setVariableResult":[{"attributeStatus":"Bogus","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`))
	if _, err := s.st.Command(ctx, "SetVariables", json.RawMessage(`{"setVariableData":[{"attributeValue":"`+pw+`","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}`)); err != nil {
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

// TestGenericPasswordNotBooked: a password set with a generic SetVariables
// is not reported to the domain as a configuration value; the other
// variables of the same request are.
func TestGenericPasswordNotBooked(t *testing.T) {
	ev := &cmdEvents{fakeEvents: accepted()}
	s := connectStation(t, ev)
	s.reset(fixed(`{"setVariableResult":[{"attributeStatus":"Accepted","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}},
		{"attributeStatus":"Accepted","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`))
	res, err := s.st.Command(context.Background(), "SetVariables", json.RawMessage(`{"setVariableData":[
		{"attributeValue":"0123456789abcdef0123","component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}},
		{"attributeValue":"30","component":{"name":"SampledDataCtrlr"},"variable":{"name":"TxUpdatedInterval"}}]}`))
	if err != nil || res.Status != charging.ResultAnswered {
		t.Fatalf("Command = %+v, %v", res, err)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	want := []charging.AnsweredCommand{{Action: "ChangeConfiguration", Status: "Accepted", Key: "SampledDataCtrlr.TxUpdatedInterval", Value: "30"}}
	if !reflect.DeepEqual(ev.answered, want) {
		t.Errorf("answered = %s, want %s", show(ev.answered), show(want))
	}
}
