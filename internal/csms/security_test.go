package csms_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/csms"
	"github.com/joule-ev/joule/internal/inmem"
	"github.com/joule-ev/joule/internal/sqlite"
)

// newSecurityService returns a service over a real SQLite store with no
// charger, under the registration policy.
func newSecurityService(t *testing.T, policy string) (*csms.Service, *sqlite.Store, *fakeCommander) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cmd := &fakeCommander{offline: true}
	svc := csms.New(store, inmem.NewBus(), cmd, nil, nil, csms.Config{Registration: policy, MaxPendingChargers: 2, ClientCertOrg: "ACME"})
	return svc, store, cmd
}

func basic(id, user string, pw []byte) charging.ConnectAttempt {
	return charging.ConnectAttempt{ChargerID: id, RemoteAddr: "192.0.2.1:4000", BasicAuth: true, Username: user, Password: pw}
}

func clientCert(t *testing.T, cn, org string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAdmitMatrix checks Admit for each configured profile against each
// kind of presented credentials (the TLS layer's own refusals — TLS 1.1,
// expired or unknown-CA certificates — are tested end to end in node).
func TestAdmitMatrix(t *testing.T) {
	svc, _, _ := newSecurityService(t, charging.RegistrationClosed)
	ctx := context.Background()
	pws := map[int]string{}
	for p := 0; p <= 3; p++ {
		id := []string{"P0", "P1", "P2", "P3"}[p]
		_, pw, err := svc.RegisterCharger(ctx, charging.ChargerRegistration{ID: id, SecurityProfile: p})
		must(t, err)
		if (pw != "") != (p == 1 || p == 2) {
			t.Fatalf("profile %d: generated password %q; want one for profiles 1 and 2 only", p, pw)
		}
		pws[p] = pw
	}
	raw1, _ := hex.DecodeString(pws[1])
	tlsOn := func(a charging.ConnectAttempt) charging.ConnectAttempt { a.TLS, a.TLSVersion = true, 0x0303; return a }
	withCert := func(cn, org string) charging.ConnectAttempt {
		a := tlsOn(charging.ConnectAttempt{ChargerID: "P3"})
		a.ClientCert = clientCert(t, cn, org)
		return a
	}
	for _, tc := range []struct {
		name string
		a    charging.ConnectAttempt
		want string // error code, "" admitted
	}{
		{"profile 0, nothing", charging.ConnectAttempt{ChargerID: "P0"}, ""},
		{"profile 1, nothing", charging.ConnectAttempt{ChargerID: "P1"}, charging.EUNAUTHENTICATED},
		{"profile 1, wrong password", basic("P1", "P1", []byte(charging.NewPassword())), charging.EUNAUTHENTICATED},
		{"profile 1, right password (hex)", basic("P1", "P1", []byte(pws[1])), ""},
		{"profile 1, right password (raw bytes, TC_085)", basic("P1", "P1", raw1), ""},
		{"profile 1, wrong username", basic("P1", "P2", []byte(pws[1])), charging.EUNAUTHENTICATED},
		{"profile 1, another charger's password", basic("P1", "P1", []byte(pws[2])), charging.EUNAUTHENTICATED},
		{"profile 2, right password over plain ws", basic("P2", "P2", []byte(pws[2])), charging.EFORBIDDEN},
		{"profile 2, right password over TLS", tlsOn(basic("P2", "P2", []byte(pws[2]))), ""},
		{"profile 2, wrong password over TLS", tlsOn(basic("P2", "P2", []byte(pws[1]))), charging.EUNAUTHENTICATED},
		{"profile 3, no certificate", tlsOn(charging.ConnectAttempt{ChargerID: "P3"}), charging.EFORBIDDEN},
		{"profile 3, Basic instead of a certificate", tlsOn(basic("P3", "P3", []byte(pws[1]))), charging.EFORBIDDEN},
		{"profile 3, certificate of another charger", withCert("P1", "ACME"), charging.EFORBIDDEN},
		{"profile 3, certificate of another organisation", withCert("P3", "Evil"), charging.EFORBIDDEN},
		{"profile 3, right certificate", withCert("P3", "ACME"), ""},
		{"unknown charger, closed registration", charging.ConnectAttempt{ChargerID: "NEW"}, charging.ENOTFOUND},
	} {
		got, err := svc.Admit(ctx, tc.a)
		if code := charging.ErrorCode(err); code != tc.want {
			t.Errorf("%s: Admit = %+v, %v; want code %q", tc.name, got, err, tc.want)
			continue
		}
		if err == nil && (!got.Known || !got.Trusted || got.Profile != map[string]int{"P0": 0, "P1": 1, "P2": 2, "P3": 3}[tc.a.ChargerID]) {
			t.Errorf("%s: Admitted = %+v, want known, trusted, at its profile", tc.name, got)
		}
	}

	// After a connection at profile 2 the charger may not go back to 1
	// (A05.FR.09) unless the operator says so.
	c, err := svc.GetCharger(ctx, "P2")
	must(t, err)
	if c.MinSecurityProfile != 2 {
		t.Fatalf("minSecurityProfile after a profile 2 connection = %d, want 2", c.MinSecurityProfile)
	}
	_, err = svc.SetSecurityProfile(ctx, "P2", 1, false)
	wantCode(t, err, charging.ECONFLICT)
	c, err = svc.SetSecurityProfile(ctx, "P2", 1, true)
	must(t, err)
	if c.SecurityProfile != 1 || c.MinSecurityProfile != 1 {
		t.Fatalf("after an allowed downgrade: %+v", c)
	}
	// Profile 1 needs a password: P0 has none.
	_, err = svc.SetSecurityProfile(ctx, "P0", 1, false)
	wantCode(t, err, charging.ECONFLICT)
}

func TestRegistrationPolicies(t *testing.T) {
	ctx := context.Background()
	t.Run("open", func(t *testing.T) {
		svc, _, _ := newSecurityService(t, charging.RegistrationOpen)
		a, err := svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW"})
		must(t, err)
		if a.Known || a.Trusted || a.Profile != 0 {
			t.Fatalf("open: %+v, want an unknown stranger at profile 0", a)
		}
		must(t, svc.Connected(ctx, "NEW", charging.OCPP16))
		res, err := svc.Booted(ctx, "NEW", charging.BootInfo{Vendor: "V", Model: "M"})
		must(t, err)
		c, err := svc.GetCharger(ctx, "NEW")
		must(t, err)
		if res.Status != charging.RegistrationAccepted || c.Admission != charging.AdmissionAccepted || c.SecurityProfile != 0 {
			t.Fatalf("open: boot %s, charger %+v; want Accepted at profile 0", res.Status, c)
		}
	})
	t.Run("approve", func(t *testing.T) {
		svc, _, _ := newSecurityService(t, charging.RegistrationApprove)
		for _, id := range []string{"NEW-1", "NEW-2"} {
			_, err := svc.Admit(ctx, charging.ConnectAttempt{ChargerID: id})
			must(t, err)
			must(t, svc.Connected(ctx, id, charging.OCPP16))
			res, err := svc.Booted(ctx, id, charging.BootInfo{Vendor: "V", Model: "M"})
			must(t, err)
			if res.Status != charging.RegistrationPending {
				t.Fatalf("approve: boot = %s, want Pending", res.Status)
			}
		}
		// MaxPendingChargers is 2: a third stranger waits outside.
		_, err := svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW-3"})
		wantCode(t, err, charging.EUNAVAILABLE)
		page, err := svc.ListChargers(ctx, charging.ChargerQuery{Admission: charging.AdmissionPending})
		must(t, err)
		if len(page.Items) != 2 {
			t.Fatalf("pending chargers = %d, want 2", len(page.Items))
		}
		// Accepting gives a password and profile 1 (trust on first use).
		c, pw, err := svc.AcceptCharger(ctx, "NEW-1")
		must(t, err)
		if c.Admission != charging.AdmissionAccepted || c.SecurityProfile != 1 || pw == nil || pw.Delivery != charging.DeliveryOffline {
			t.Fatalf("accept: %+v, %+v; want Accepted, profile 1, a password not delivered (offline)", c, pw)
		}
		_, err = svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW-1"})
		wantCode(t, err, charging.EUNAUTHENTICATED)
		a, err := svc.Admit(ctx, basic("NEW-1", "NEW-1", []byte(pw.Password)))
		must(t, err)
		if !a.Trusted || a.Profile != 1 {
			t.Fatalf("after accept: %+v", a)
		}
		must(t, svc.Connected(ctx, "NEW-1", charging.OCPP16))
		res, err := svc.Booted(ctx, "NEW-1", charging.BootInfo{Vendor: "V", Model: "M"})
		must(t, err)
		if res.Status != charging.RegistrationAccepted {
			t.Fatalf("boot after accept = %s", res.Status)
		}
		// One slot is free again; rejecting refuses the charger for good.
		_, err = svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW-3"})
		must(t, err)
		_, err = svc.RejectCharger(ctx, "NEW-2")
		must(t, err)
		_, err = svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW-2"})
		wantCode(t, err, charging.EFORBIDDEN)
		// Deleting frees the id.
		must(t, svc.DeleteCharger(ctx, "NEW-2"))
		_, err = svc.GetCharger(ctx, "NEW-2")
		wantCode(t, err, charging.ENOTFOUND)
		_, err = svc.Admit(ctx, charging.ConnectAttempt{ChargerID: "NEW-2"})
		must(t, err)
	})
}

func TestPasswordRotation(t *testing.T) {
	svc, store, _ := newSecurityService(t, charging.RegistrationClosed)
	ctx := context.Background()
	_, old, err := svc.RegisterCharger(ctx, charging.ChargerRegistration{ID: "CP", SecurityProfile: 1})
	must(t, err)
	res, err := svc.SetChargerPassword(ctx, "CP", "")
	must(t, err)
	if res.Password == old || res.Delivery != charging.DeliveryOffline {
		t.Fatalf("rotation = %+v, want a new password, not delivered (offline)", res)
	}
	c, err := svc.GetCharger(ctx, "CP")
	must(t, err)
	if !c.PasswordPending {
		t.Fatal("passwordPending is not set after a rotation")
	}
	// Both work until the charger uses the new one (A01, TC_073) ...
	_, err = svc.Admit(ctx, basic("CP", "CP", []byte(old)))
	must(t, err)
	_, err = svc.Admit(ctx, basic("CP", "CP", []byte(res.Password)))
	must(t, err)
	// ... then only the new one.
	_, err = svc.Admit(ctx, basic("CP", "CP", []byte(old)))
	wantCode(t, err, charging.EUNAUTHENTICATED)
	c, err = svc.GetCharger(ctx, "CP")
	must(t, err)
	if c.PasswordPending {
		t.Fatal("passwordPending is still set after the charger used the new password")
	}
	creds, err := store.GetCredentials(ctx, "CP")
	must(t, err)
	if creds.NextPassword != "" || !charging.CheckPassword(creds.Password, []byte(res.Password)) {
		t.Fatalf("credentials after promotion: %+v", creds)
	}
	// An operator-chosen password is validated and not sent.
	_, err = svc.SetChargerPassword(ctx, "CP", "short")
	wantCode(t, err, charging.EINVALID)
	chosen, err := svc.SetChargerPassword(ctx, "CP", "correct-horse-battery-42")
	must(t, err)
	if chosen.Delivery != charging.DeliveryNotSent {
		t.Fatalf("chosen password delivery = %q, want notSent", chosen.Delivery)
	}
	// Joule's own security events were recorded (in the background).
	deadline := time.Now().Add(5 * time.Second)
	for {
		page, err := svc.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: "CP", Type: charging.SecPasswordUsed})
		must(t, err)
		if len(page.Items) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("security events = %+v, want one %s", page.Items, charging.SecPasswordUsed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSecretsAreNotConfiguration(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.ChangeConfiguration(ctx, "CP-1", "AuthorizationKey", "00112233445566778899aabbccddeeff")
	wantCode(t, err, charging.EINVALID)
	_, err = f.svc.SetDesiredSetting(ctx, "CP-1", "AuthorizationKey", "00112233445566778899aabbccddeeff")
	wantCode(t, err, charging.EINVALID)
	_, err = f.svc.Command(ctx, "CP-1", "ChangeConfiguration", json.RawMessage(`{"key":"AuthorizationKey","value":"00112233445566778899aabbccddeeff"}`))
	wantCode(t, err, charging.EINVALID)
	_, err = f.svc.Command(ctx, "CP-1", "SetVariables", json.RawMessage(`{"setVariableData":[{"component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"},"attributeValue":"x"}]}`))
	wantCode(t, err, charging.EINVALID)
}

// TestSecurityEventsOfUnknownCharger: the events of an id that is not
// registered (a refused stranger) are listed by that id, not refused as
// not found.
func TestSecurityEventsOfUnknownCharger(t *testing.T) {
	svc, _, _ := newSecurityService(t, charging.RegistrationClosed)
	ctx := context.Background()
	svc.SecurityEvent(charging.SecurityEvent{ChargerID: "STRANGER", Type: charging.SecUnknownCharger, Remote: "192.0.2.7:4000"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		page, err := svc.ListSecurityEvents(ctx, charging.SecurityEventQuery{ChargerID: "STRANGER"})
		must(t, err)
		if len(page.Items) == 1 && page.Items[0].Type == charging.SecUnknownCharger {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("security events of STRANGER = %+v, want one %s", page.Items, charging.SecUnknownCharger)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSecurityEventFloodIsSampled(t *testing.T) {
	svc, _, _ := newSecurityService(t, charging.RegistrationOpen)
	ctx := context.Background()
	for range 500 {
		must(t, svc.SecurityEventReported(ctx, "CP", charging.SecurityEvent{Type: "InvalidMessages", TechInfo: "x"}))
	}
	page, err := svc.ListSecurityEvents(ctx, charging.SecurityEventQuery{})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Source != charging.SecuritySourceCharger || page.Items[0].Count != 1 {
		t.Fatalf("500 events in one window stored as %+v, want one record", page.Items)
	}
}
