package node_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/pki"
	"github.com/joule-ev/joule/internal/sim"
)

// secureNode is a node with a TLS listener (profiles 2 and 3) and a plain
// one (profiles 0 and 1), Joule's own CA, and every log line kept.
type secureNode struct {
	API   string // http:// base on the plain listener
	Plain string // ws://host:port/ocpp
	TLS   string // wss://host:port/ocpp
	CA    *pki.CA
	Roots *x509.CertPool
	logs  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startSecureNode(t *testing.T, cfg node.Config) *secureNode {
	t.Helper()
	cfg.Data = t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(cfg.Data, "ca")) // the node loads the same CA
	if err != nil {
		t.Fatal(err)
	}
	for _, kt := range []string{pki.KeyRSA, pki.KeyECDSA} {
		certPEM, keyPEM, err := ca.IssueServerCert([]string{"127.0.0.1"}, kt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSCertificates = append(cfg.TLSCertificates, c)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PlainListener = plain
	n := &secureNode{API: "http://" + plain.Addr().String(), Plain: "ws://" + plain.Addr().String() + "/ocpp",
		TLS: "wss://" + ln.Addr().String() + "/ocpp", CA: ca, Roots: ca.Pool(), logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	nodeData.Store(plain.Addr().String(), cfg.Data)
	checkAnswers(t, plain.Addr().String())
	go func() { done <- node.Run(ctx, cfg, ln, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("node.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("node did not stop within 30s")
		}
	})
	eventually(t, 10*time.Second, "node up", func() bool {
		resp, err := http.Get(n.API + "/livez")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return n
}

// register creates a charger through the API and returns its password.
func (n *secureNode) register(t *testing.T, id string, profile int) string {
	t.Helper()
	var out struct {
		Password string `json:"password"`
	}
	if code, _ := call(t, http.MethodPost, n.API+"/api/v1/chargers", map[string]any{"id": id, "securityProfile": profile}, &out); code != http.StatusCreated {
		t.Fatalf("register %s: %d", id, code)
	}
	return out.Password
}

// attempt is one way of presenting oneself at the upgrade.
type attempt struct {
	url      string
	user     string
	password []byte // nil: no Authorization header
	tls      *tls.Config
}

// dial tries the upgrade and returns the HTTP status (101 when it
// succeeded; the connection is closed again) or "tls" when the TLS
// handshake failed.
func dial(t *testing.T, a attempt) string {
	t.Helper()
	hdr := http.Header{}
	if a.password != nil {
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(append([]byte(a.user+":"), a.password...)))
	}
	d := websocket.Dialer{TLSClientConfig: a.tls, Subprotocols: []string{"ocpp1.6"}, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial(a.url, hdr)
	if err == nil {
		ws.Close()
		return "101"
	}
	if resp != nil {
		return http.StatusText(resp.StatusCode)
	}
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	if errors.As(err, &recordErr) || errors.As(err, &alert) || strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "remote error") || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset") {
		return "tls"
	}
	t.Fatalf("dial %s: %v", a.url, err)
	return ""
}

// TestChargerSecurityMatrix is the issue's matrix end to end: each
// configured profile against each way of presenting credentials, through
// the real listeners (TLS and plain), with the outcome the specs ask for.
func TestChargerSecurityMatrix(t *testing.T) {
	n := startSecureNode(t, node.Config{ChargerRegistration: charging.RegistrationClosed})
	pw := map[string]string{}
	for i, id := range []string{"P0", "P1", "P2", "P3"} {
		pw[id] = n.register(t, id, i)
	}
	raw1, _ := hex.DecodeString(pw["P1"])
	now := time.Now()
	clientTLS := func(cn string, notBefore, notAfter time.Time, ca *pki.CA) *tls.Config {
		certPEM, keyPEM, err := ca.IssueClientCert(cn, "ACME", pki.KeyECDSA, notBefore, notAfter)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return &tls.Config{RootCAs: n.Roots, Certificates: []tls.Certificate{c}}
	}
	otherCA, err := pki.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	roots := &tls.Config{RootCAs: n.Roots}
	tls11 := &tls.Config{RootCAs: n.Roots, MaxVersion: tls.VersionTLS11}
	valid := clientTLS("P3", now.Add(-time.Hour), now.Add(time.Hour), n.CA)

	const ok, unauth, forbidden, handshake = "101", "Unauthorized", "Forbidden", "tls"
	cells := []struct {
		name string
		a    attempt
		want string
	}{
		{"profile 0, plain ws, nothing", attempt{url: n.Plain + "/P0"}, ok},
		{"profile 1, nothing", attempt{url: n.Plain + "/P1"}, unauth},
		{"profile 1, wrong password", attempt{url: n.Plain + "/P1", user: "P1", password: []byte(pw["P2"])}, unauth},
		{"profile 1, right password", attempt{url: n.Plain + "/P1", user: "P1", password: []byte(pw["P1"])}, ok},
		{"profile 1, right password as raw bytes (TC_085)", attempt{url: n.Plain + "/P1", user: "P1", password: raw1}, ok},
		{"profile 1, wrong username", attempt{url: n.Plain + "/P1", user: "P2", password: []byte(pw["P1"])}, unauth},
		{"profile 2, plain ws", attempt{url: n.Plain + "/P2", user: "P2", password: []byte(pw["P2"])}, forbidden},
		{"profile 2, nothing", attempt{url: n.TLS + "/P2", tls: roots}, unauth},
		{"profile 2, wrong password", attempt{url: n.TLS + "/P2", user: "P2", password: []byte(pw["P1"]), tls: roots}, unauth},
		{"profile 2, wrong username", attempt{url: n.TLS + "/P2", user: "P1", password: []byte(pw["P2"]), tls: roots}, unauth},
		{"profile 2, TLS 1.1", attempt{url: n.TLS + "/P2", user: "P2", password: []byte(pw["P2"]), tls: tls11}, handshake},
		{"profile 2, right password", attempt{url: n.TLS + "/P2", user: "P2", password: []byte(pw["P2"]), tls: roots}, ok},
		{"profile 3, no certificate", attempt{url: n.TLS + "/P3", tls: roots}, forbidden},
		{"profile 3, Basic auth instead of a certificate", attempt{url: n.TLS + "/P3", user: "P3", password: []byte(pw["P2"]), tls: roots}, forbidden},
		{"profile 3, plain ws", attempt{url: n.Plain + "/P3"}, forbidden},
		{"profile 3, expired certificate", attempt{url: n.TLS + "/P3", tls: clientTLS("P3", now.Add(-48*time.Hour), now.Add(-24*time.Hour), n.CA)}, handshake},
		{"profile 3, certificate of another CA", attempt{url: n.TLS + "/P3", tls: clientTLS("P3", now.Add(-time.Hour), now.Add(time.Hour), otherCA)}, handshake},
		{"profile 3, certificate of another charger (CN)", attempt{url: n.TLS + "/P3", tls: clientTLS("P1", now.Add(-time.Hour), now.Add(time.Hour), n.CA)}, forbidden},
		{"profile 3, valid certificate", attempt{url: n.TLS + "/P3", tls: valid}, ok},
		{"unknown charger, closed registration", attempt{url: n.Plain + "/NEW"}, "Not Found"},
	}
	for _, c := range cells {
		got := dial(t, c.a)
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		if got == ok {
			// Wait for the connection's end, so the next cell is not a replacement.
			id := c.a.url[strings.LastIndexByte(c.a.url, '/')+1:]
			eventually(t, 5*time.Second, id+" offline", func() bool {
				var ch charging.Charger
				call(t, http.MethodGet, n.API+"/api/v1/chargers/"+id, nil, &ch)
				return !ch.Online
			})
		}
	}

	// After a connection at profile 2 there is no way back to 1 (A05.FR.09).
	var ch charging.Charger
	call(t, http.MethodGet, n.API+"/api/v1/chargers/P2", nil, &ch)
	if ch.MinSecurityProfile != 2 {
		t.Fatalf("P2 minSecurityProfile = %d, want 2", ch.MinSecurityProfile)
	}
	if code, _ := call(t, http.MethodPatch, n.API+"/api/v1/chargers/P2", map[string]any{"securityProfile": 1}, nil); code != http.StatusConflict {
		t.Fatalf("downgrade P2 to 1: %d, want 409", code)
	}

	// Joule recorded its own refusals as security events.
	var evs struct {
		Items []charging.SecurityEvent `json:"items"`
	}
	call(t, http.MethodGet, n.API+"/api/v1/security-events?source=joule&limit=100", nil, &evs)
	seen := map[string]bool{}
	for _, e := range evs.Items {
		seen[e.ChargerID+" "+e.Type] = true
	}
	for _, want := range []string{"P1 " + charging.SecFailedAuth, "P2 " + charging.SecProfileMismatch} {
		if !seen[want] {
			t.Errorf("no security event %q among %v", want, seen)
		}
	}

	// No password appears in any log line or API answer after the one
	// that created it.
	checkNoSecret(t, n, pw, "P0", "P1", "P2", "P3")
}

// checkNoSecret greps the node's log and its API answers for passwords.
func checkNoSecret(t *testing.T, n *secureNode, pw map[string]string, ids ...string) {
	t.Helper()
	var answers strings.Builder
	get := func(path string) {
		req, _ := http.NewRequest(http.MethodGet, n.API+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		answers.WriteString(b.String())
	}
	get("/api/v1/chargers")
	get("/api/v1/security-events")
	for _, id := range ids {
		for _, p := range []string{"", "/commands", "/configuration", "/security-events", "/charger-events"} {
			get("/api/v1/chargers/" + id + p)
		}
	}
	logs := n.logs.String()
	if !strings.Contains(logs, "charger connected") || !strings.Contains(answers.String(), `"securityProfile"`) {
		t.Fatal("the log or the API answers are empty: nothing was checked")
	}
	for id, p := range pw {
		if p == "" {
			continue
		}
		if strings.Contains(logs, p) {
			t.Errorf("the log holds %s's password", id)
		}
		if strings.Contains(answers.String(), p) {
			t.Errorf("an API answer holds %s's password", id)
		}
	}
}

// TestPasswordRotationAndCertificate follows a profile 2 charger (the
// simulator, over TLS) through a password rotation and a certificate
// signed by Joule's CA, then up to profile 3 with that certificate.
func TestPasswordRotationAndCertificate(t *testing.T) {
	n := startSecureNode(t, node.Config{ChargerRegistration: charging.RegistrationClosed})
	old := n.register(t, "ROT", charging.ProfileTLS)
	ch, _ := startSimAt(t, sim.Config{ID: "ROT", URL: n.TLS, Connectors: 1, SecurityProfile: charging.ProfileTLS,
		Password: old, RootCAs: n.Roots}, n.API)

	var res charging.PasswordResult
	if code, _ := call(t, http.MethodPost, n.API+"/api/v1/chargers/ROT/password", map[string]any{}, &res); code != http.StatusOK {
		t.Fatalf("rotate: %d", code)
	}
	if res.Delivery != "Accepted" || res.Password == old {
		t.Fatalf("rotation = delivery %q, want the charger to accept a new password", res.Delivery)
	}
	// The charger reconnects with the new password, which retires the old one.
	eventually(t, 10*time.Second, "the new password in use", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, n.API+"/api/v1/chargers/ROT", nil, &c)
		return ch.Password() == res.Password && !c.PasswordPending && c.Online
	})
	roots := &tls.Config{RootCAs: n.Roots}
	if got := dial(t, attempt{url: n.TLS + "/ROT", user: "ROT", password: []byte(old), tls: roots}); got != "Unauthorized" {
		t.Fatalf("the old password after the charger used the new one: %s, want Unauthorized", got)
	}

	// A certificate signed through SignCertificate/CertificateSigned.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cert, err := ch.RequestCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "ROT" {
		t.Fatalf("signed certificate CN = %q, want ROT", cert.Subject.CommonName)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: n.Roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("the signed certificate does not verify against Joule's CA: %v", err)
	}
	// Up to profile 3: Joule first, then the charger's own setting.
	if code, _ := call(t, http.MethodPatch, n.API+"/api/v1/chargers/ROT", map[string]any{"securityProfile": 3}, nil); code != http.StatusOK {
		t.Fatalf("raise ROT to profile 3: %d", code)
	}
	if code, _ := call(t, http.MethodPost, n.API+"/api/v1/chargers/ROT/configuration", map[string]any{"key": "SecurityProfile", "value": "3"}, nil); code != http.StatusOK {
		t.Fatalf("ChangeConfiguration SecurityProfile 3: %d", code)
	}
	eventually(t, 10*time.Second, "ROT connected at profile 3", func() bool {
		var c charging.Charger
		call(t, http.MethodGet, n.API+"/api/v1/chargers/ROT", nil, &c)
		return ch.SecurityProfile() == 3 && c.MinSecurityProfile == 3 && c.Online
	})
	// And a password no longer gets in.
	if got := dial(t, attempt{url: n.TLS + "/ROT", user: "ROT", password: []byte(res.Password), tls: roots}); got != "Forbidden" {
		t.Fatalf("a password for a profile 3 charger: %s, want Forbidden", got)
	}
	checkNoSecret(t, n, map[string]string{"old": old, "new": res.Password}, "ROT")
}
