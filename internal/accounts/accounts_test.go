package accounts_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/sqlite"
)

var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newService(t *testing.T, cfg accounts.Config) (*accounts.Service, *sqlite.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.Params == (auth.Params{}) {
		cfg.Params = cheap
	}
	return accounts.New(st, cfg), st, dir
}

func code(err error) string { return charging.ErrorCode(err) }

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	s, st, dir := newService(t, accounts.Config{})
	path, err := s.Bootstrap(ctx, dir)
	if err != nil || path != filepath.Join(dir, "admin-token") {
		t.Fatalf("Bootstrap = %q, %v; want the admin-token path", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin-token mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left behind: %v", err)
	}
	tok, err := accounts.ReadAdminToken(dir)
	if err != nil || !strings.HasPrefix(tok, auth.KeyPrefix) {
		t.Fatalf("admin token %q, %v; want a jk_ key", tok, err)
	}
	p, err := s.Authenticate(ctx, tok)
	if err != nil || p.Role != charging.RoleAdmin || p.Kind != charging.ActorAPIKey || p.Label() != "apikey:admin-token" {
		t.Fatalf("Authenticate(admin token) = %+v, %v; want the admin key", p, err)
	}
	// The store holds the key's hash only.
	keys, _ := st.ListAPIKeys(ctx, charging.APIKeyQuery{})
	if len(keys.Items) != 1 || keys.Items[0].Hash != auth.HashToken(tok) || strings.Contains(keys.Items[0].Prefix, tok) {
		t.Fatalf("stored keys = %+v, want one, hashed", keys.Items)
	}
	// A second start changes nothing.
	if path, err := s.Bootstrap(ctx, dir); err != nil || path != "" {
		t.Errorf("second Bootstrap = %q, %v; want nothing written", path, err)
	}
	if again, _ := accounts.ReadAdminToken(dir); again != tok {
		t.Error("the second start rewrote admin-token")
	}
	if need, err := s.SetupRequired(ctx); !need || err != nil {
		t.Errorf("SetupRequired = %v, %v; want true before setup", need, err)
	}
	// Setup: wrong token, weak password, then once only.
	if _, err := s.Setup(ctx, "jk_wrong", "me@example.com", "Me", "long enough password"); code(err) != charging.EUNAUTHENTICATED {
		t.Errorf("Setup with a wrong token = %v, want EUNAUTHENTICATED", err)
	}
	if _, err := s.Setup(ctx, tok, "me@example.com", "Me", "short"); code(err) != charging.EINVALID {
		t.Errorf("Setup with a short password = %v, want EINVALID", err)
	}
	ses, err := s.Setup(ctx, tok, "Me@Example.com", "Me", "long enough password")
	if err != nil || ses.User.Email != "me@example.com" || ses.User.Role != charging.RoleAdmin || !strings.HasPrefix(ses.Token, auth.TokenPrefix) {
		t.Fatalf("Setup = %+v, %v", ses, err)
	}
	if _, err := s.Setup(ctx, tok, "me@example.com", "Me", "another password!"); code(err) != charging.ECONFLICT {
		t.Errorf("second Setup = %v, want ECONFLICT", err)
	}
	if _, err := s.Login(ctx, "me@example.com", "long enough password", "10.0.0.1"); err != nil {
		t.Errorf("Login after setup: %v", err)
	}
}

func TestLoginLimits(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t, accounts.Config{DriverSignup: true, AddressFailures: 8})
	if _, err := s.Signup(ctx, "d@example.com", "long enough password", "D", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := s.Login(ctx, "d@example.com", "wrong password", "10.0.0.1"); code(err) != charging.EUNAUTHENTICATED {
			t.Fatalf("failure %d = %v", i, err)
		}
	}
	_, err := s.Login(ctx, "d@example.com", "long enough password", "10.0.0.2")
	var re *accounts.RetryError
	if code(err) != charging.ERATELIMITED || !asRetry(err, &re) || re.After < time.Second {
		t.Fatalf("login after 5 failures = %v, want ERATELIMITED with a delay", err)
	}
	// Per address: failures across accounts from one address.
	for i := 0; i < 8; i++ {
		s.Login(ctx, "x"+string(rune('a'+i))+"@example.com", "wrong password", "10.9.9.9")
	}
	if _, err := s.Login(ctx, "y@example.com", "wrong password", "10.9.9.9"); code(err) != charging.ERATELIMITED {
		t.Errorf("the address's next attempt = %v, want ERATELIMITED", err)
	}
}

func asRetry(err error, re **accounts.RetryError) bool {
	r, ok := err.(*accounts.RetryError)
	*re = r
	return ok
}

func TestSignupAndCards(t *testing.T) {
	ctx := context.Background()
	s, st, _ := newService(t, accounts.Config{DriverSignup: true})
	a, err := s.Signup(ctx, "a@example.com", "long enough password", "  Alice ", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if a.User.Role != charging.RoleDriver || a.User.Name != "Alice" || len(a.User.AppIDTag) != 17 || len(a.User.IDTags) != 1 || a.User.IDTags[0] != a.User.AppIDTag {
		t.Fatalf("signed-up user = %+v, want a driver with an app id tag", a.User)
	}
	tag, err := st.GetIDTag(ctx, a.User.AppIDTag)
	if err != nil || tag.OwnerID != a.User.ID || tag.Status != charging.AuthAccepted {
		t.Fatalf("app id tag = %+v, %v", tag, err)
	}
	for _, bad := range []struct{ email, pw, name string }{
		{"not an email", "long enough password", "X"},
		{"Name <x@example.com>", "long enough password", "X"},
		{"x@example.com", "short", "X"},
		{"x@example.com", "long enough password", ""},
	} {
		if _, err := s.Signup(ctx, bad.email, bad.pw, bad.name, "10.0.0.1"); code(err) != charging.EINVALID {
			t.Errorf("Signup(%q, %q) = %v, want EINVALID", bad.email, bad.name, err)
		}
	}
	if _, err := s.Signup(ctx, "A@example.com", "long enough password", "A2", "10.0.0.1"); code(err) != charging.ECONFLICT {
		t.Errorf("second sign-up with the same email = %v, want ECONFLICT", err)
	}
	b, _ := s.Signup(ctx, "b@example.com", "long enough password", "Bob", "10.0.0.1")
	pa := charging.Principal{Kind: charging.ActorUser, ID: a.User.ID, UserID: a.User.ID, Role: charging.RoleDriver}
	pb := charging.Principal{Kind: charging.ActorUser, ID: b.User.ID, UserID: b.User.ID, Role: charging.RoleDriver}

	// Two drivers link the same new card at once: exactly one owns it.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []charging.Principal{pa, pb} {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = s.LinkIDTag(ctx, p, "RFID-1") }()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent links = %v, %v; want one success and one ECONFLICT", errs[0], errs[1])
	}
	owner := a.User.ID
	if errs[0] != nil {
		owner = b.User.ID
	}
	if got, _ := st.GetIDTag(ctx, "rfid-1"); got.OwnerID != owner {
		t.Errorf("RFID-1 owner = %q, want %q", got.OwnerID, owner)
	}
	// A card the operator manages cannot be claimed.
	st.SaveIDTag(ctx, charging.IDTag{IDTag: "FLEET-1", Status: charging.AuthAccepted})
	if _, err := s.LinkIDTag(ctx, pa, "FLEET-1"); code(err) != charging.ECONFLICT {
		t.Errorf("claiming an operator's card = %v, want ECONFLICT", err)
	}
	if _, err := s.LinkIDTag(ctx, pa, "has space"); code(err) != charging.EINVALID {
		t.Errorf("a card with a space = %v, want EINVALID", err)
	}
	// Unlinking: not another's card, not the app's own tag.
	if err := s.UnlinkIDTag(ctx, pb, a.User.AppIDTag); code(err) != charging.ENOTFOUND {
		t.Errorf("B unlinks A's tag = %v, want ENOTFOUND", err)
	}
	if err := s.UnlinkIDTag(ctx, pa, a.User.AppIDTag); code(err) != charging.ECONFLICT {
		t.Errorf("unlink the app tag = %v, want ECONFLICT", err)
	}
	if own, _ := s.OwnsIDTag(ctx, a.User.ID, a.User.AppIDTag); !own {
		t.Error("OwnsIDTag(A, A's app tag) = false")
	}
	if own, _ := s.OwnsIDTag(ctx, b.User.ID, a.User.AppIDTag); own {
		t.Error("OwnsIDTag(B, A's app tag) = true")
	}
}

func TestUsersAndKeys(t *testing.T) {
	ctx := context.Background()
	s, _, dir := newService(t, accounts.Config{})
	s.Bootstrap(ctx, dir)
	tok, _ := accounts.ReadAdminToken(dir)
	op, err := s.CreateUser(ctx, accounts.NewUser{Email: "op@example.com", Name: "Op", Role: charging.RoleOperator, Password: "long enough password"})
	if err != nil || op.AppIDTag != "" {
		t.Fatalf("CreateUser operator = %+v, %v; want no app tag for staff", op, err)
	}
	if _, err := s.CreateUser(ctx, accounts.NewUser{Email: "x@example.com", Name: "X", Role: "root", Password: "long enough password"}); code(err) != charging.EINVALID {
		t.Errorf("unknown role = %v, want EINVALID", err)
	}
	ses, err := s.Login(ctx, "op@example.com", "long enough password", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// A role change ends the user's sessions.
	role := charging.RoleViewer
	if _, err := s.UpdateUser(ctx, op.ID, accounts.UserUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, ses.Token); code(err) != charging.EUNAUTHENTICATED {
		t.Errorf("token after a role change = %v, want EUNAUTHENTICATED", err)
	}
	driver := charging.RoleDriver
	if _, err := s.UpdateUser(ctx, op.ID, accounts.UserUpdate{Role: &driver}); code(err) != charging.EINVALID {
		t.Errorf("staff to driver = %v, want EINVALID", err)
	}
	// The first-run admin is the last admin: not deletable.
	p, _ := s.Authenticate(ctx, tok)
	var adminID string
	users, _ := s.ListUsers(ctx, charging.UserQuery{Role: charging.RoleAdmin})
	adminID = users.Items[0].ID
	if err := s.DeleteUser(ctx, adminID); code(err) != charging.ECONFLICT {
		t.Errorf("delete the last admin = %v, want ECONFLICT", err)
	}
	// API keys: staff roles only, expiry honoured.
	if _, err := s.CreateAPIKey(ctx, accounts.NewAPIKey{Name: "k", Role: charging.RoleDriver}, p.Label()); code(err) != charging.EINVALID {
		t.Errorf("driver key = %v, want EINVALID", err)
	}
	past := time.Now().Add(-time.Hour)
	if _, err := s.CreateAPIKey(ctx, accounts.NewAPIKey{Name: "k", Role: charging.RoleViewer, ExpiresAt: &past}, p.Label()); code(err) != charging.EINVALID {
		t.Errorf("expired key = %v, want EINVALID", err)
	}
	soon := time.Now().Add(time.Hour)
	k, err := s.CreateAPIKey(ctx, accounts.NewAPIKey{Name: "billing", Role: charging.RoleViewer, ExpiresAt: &soon}, p.Label())
	if err != nil || k.CreatedBy != "apikey:admin-token" || k.Prefix != auth.Prefix(k.Key) {
		t.Fatalf("CreateAPIKey = %+v, %v", k, err)
	}
	kp, err := s.Authenticate(ctx, k.Key)
	if err != nil || kp.Role != charging.RoleViewer || kp.Label() != "apikey:billing" {
		t.Fatalf("Authenticate(key) = %+v, %v", kp, err)
	}
	if _, err := s.Authenticate(ctx, "jk_"+strings.Repeat("A", 43)); code(err) != charging.EUNAUTHENTICATED {
		t.Errorf("unknown key = %v, want EUNAUTHENTICATED", err)
	}
	if _, err := s.Authenticate(ctx, "Basic something"); code(err) != charging.EUNAUTHENTICATED {
		t.Errorf("not a Joule credential = %v, want EUNAUTHENTICATED", err)
	}
}

// TestTokenExpiry: a token past its lifetime is refused.
func TestTokenExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, _, _ := newService(t, accounts.Config{DriverSignup: true, Now: clock, DriverTokenTTL: time.Hour})
	ses, err := s.Signup(ctx, "d@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil || !ses.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("Signup = %+v, %v; want a token for an hour", ses, err)
	}
	if _, err := s.Authenticate(ctx, ses.Token); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := s.Authenticate(ctx, ses.Token); code(err) != charging.EUNAUTHENTICATED {
		t.Errorf("token at its expiry = %v, want EUNAUTHENTICATED", err)
	}
}

// BenchmarkAuthenticate is the cost every API request pays for its credential.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "joule.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := accounts.New(st, accounts.Config{DriverSignup: true, Params: cheap})
	if _, err := s.Bootstrap(ctx, dir); err != nil {
		b.Fatal(err)
	}
	key, _ := accounts.ReadAdminToken(dir)
	ses, err := s.Signup(ctx, "d@example.com", "long enough password", "D", "10.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, cred string }{{"token", ses.Token}, {"apikey", key}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Authenticate(ctx, c.cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLogin is a sign-in with the real argon2id parameters.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "joule.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := accounts.New(st, accounts.Config{DriverSignup: true, AddressFailures: 1 << 30, AccountFailures: 1 << 30})
	if _, err := s.Signup(ctx, "d@example.com", "long enough password", "D", "10.0.0.1"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Login(ctx, "d@example.com", "long enough password", "10.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}
