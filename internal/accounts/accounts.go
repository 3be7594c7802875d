// Package accounts is how people prove who they are: users and their roles,
// sign-up and sign-in (argon2id passwords, rate-limited), sign-in tokens,
// API keys for the operator's backends, the first-run admin, single sign-on
// through OIDC, drivers' id tags and the audit log.
//
// Tokens and keys are 32 random bytes; only their SHA-256 is stored, so a
// copy of the database signs nobody in. Passwords are argon2id hashes.
// Nothing here logs a password, a token or a key.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"net/mail"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
)

// Defaults for Config.
const (
	DefaultStaffTokenTTL  = 12 * time.Hour
	DefaultDriverTokenTTL = 30 * 24 * time.Hour
	// Sign-in failures allowed per account and per address in the window.
	DefaultAccountFailures = 5
	DefaultAccountWindow   = 15 * time.Minute
	DefaultAddressFailures = 30
	DefaultAddressWindow   = 10 * time.Minute
	// Sign-ups allowed per address in the window (each costs an argon2id hash).
	DefaultSignupsPerAddress = 20
	DefaultSignupWindow      = time.Hour
)

// BootstrapKeyName names the API key written to <data>/admin-token on first run.
const BootstrapKeyName = "admin-token"

// Config tunes a Service. The zero value is usable: driver sign-up closed,
// default token lifetimes and limits.
type Config struct {
	// DriverSignup lets anyone create a driver account.
	DriverSignup bool
	// Params are the argon2id parameters for new hashes (zero: auth.DefaultParams).
	Params                        auth.Params
	StaffTokenTTL, DriverTokenTTL time.Duration
	AccountFailures               int
	AccountWindow                 time.Duration
	AddressFailures               int
	AddressWindow                 time.Duration
	// OIDC, when set, lets staff sign in through the operator's identity provider.
	OIDC *auth.OIDC
	// Now is the clock (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Service manages accounts on a store.
type Service struct {
	store     charging.Store
	cfg       Config
	log       *slog.Logger
	byAccount *auth.Limiter
	byAddress *auth.Limiter
	signups   *auth.Limiter // sign-ups per address

	// hashSlots bound the argon2id work running at once: each hash takes
	// about 20 MB and 30 ms, so a burst of sign-ins queues here instead of
	// taking the memory of the machine.
	hashSlots chan struct{}

	touchMu sync.Mutex
	touched map[string]time.Time // API key id -> last recorded use
}

// New returns a Service on store.
func New(store charging.Store, cfg Config) *Service {
	if cfg.Params == (auth.Params{}) {
		cfg.Params = auth.DefaultParams
	}
	if cfg.StaffTokenTTL <= 0 {
		cfg.StaffTokenTTL = DefaultStaffTokenTTL
	}
	if cfg.DriverTokenTTL <= 0 {
		cfg.DriverTokenTTL = DefaultDriverTokenTTL
	}
	if cfg.AccountFailures <= 0 {
		cfg.AccountFailures = DefaultAccountFailures
	}
	if cfg.AccountWindow <= 0 {
		cfg.AccountWindow = DefaultAccountWindow
	}
	if cfg.AddressFailures <= 0 {
		cfg.AddressFailures = DefaultAddressFailures
	}
	if cfg.AddressWindow <= 0 {
		cfg.AddressWindow = DefaultAddressWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store:     store,
		cfg:       cfg,
		log:       cfg.Logger,
		byAccount: auth.NewLimiter(cfg.AccountFailures, cfg.AccountWindow),
		byAddress: auth.NewLimiter(cfg.AddressFailures, cfg.AddressWindow),
		signups:   auth.NewLimiter(DefaultSignupsPerAddress, DefaultSignupWindow),
		touched:   map[string]time.Time{},
		hashSlots: make(chan struct{}, max(2, 2*runtime.GOMAXPROCS(0))),
	}
}

func (s *Service) hash(password string) (string, error) {
	s.hashSlots <- struct{}{}
	defer func() { <-s.hashSlots }()
	return auth.HashPassword(password, s.cfg.Params)
}

func (s *Service) verify(password, phc string) (bool, error) {
	s.hashSlots <- struct{}{}
	defer func() { <-s.hashSlots }()
	return auth.VerifyPassword(password, phc)
}

func (s *Service) dummyVerify() {
	s.hashSlots <- struct{}{}
	defer func() { <-s.hashSlots }()
	auth.DummyVerify(s.cfg.Params)
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// SignupOpen reports whether drivers may sign up.
func (s *Service) SignupOpen() bool { return s.cfg.DriverSignup }

// OIDCEnabled reports whether single sign-on is configured.
func (s *Service) OIDCEnabled() bool { return s.cfg.OIDC != nil }

// RetryError is a refusal for too many attempts; After says when to retry.
type RetryError struct {
	Err   *charging.Error
	After time.Duration
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// Session is a new sign-in: the token (shown once) and when it expires.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// User is a user as the API shows it, with their id tags.
type User struct {
	charging.User
	IDTags []string `json:"idTags"`
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random, URL-safe id of 16 characters.
func newID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}

// newAppIDTag returns a driver's app id tag: "J" and 16 base32 characters
// (80 random bits), within OCPP's 20-character IdToken.
func newAppIDTag() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "J" + idEncoding.EncodeToString(b[:])
}

func unauthenticated(format string, args ...any) error {
	return charging.Errorf(charging.EUNAUTHENTICATED, format, args...)
}

// Authenticate returns the principal a bearer credential (a sign-in token
// or an API key) stands for. Expired, revoked or unknown credentials and
// disabled users are EUNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, credential string) (charging.Principal, error) {
	now := s.now()
	switch {
	case strings.HasPrefix(credential, auth.TokenPrefix):
		hash := auth.HashToken(credential)
		t, u, err := s.store.GetToken(ctx, hash)
		if charging.ErrorCode(err) == charging.ENOTFOUND {
			return charging.Principal{}, unauthenticated("the token is not valid (signed out or revoked)")
		}
		if err != nil {
			return charging.Principal{}, err
		}
		if !now.Before(t.ExpiresAt) {
			return charging.Principal{}, unauthenticated("the token expired; sign in again")
		}
		if u.Disabled {
			return charging.Principal{}, unauthenticated("the account is disabled")
		}
		return charging.Principal{Kind: charging.ActorUser, ID: u.ID, Name: u.Email, Role: u.Role, UserID: u.ID, TokenHash: hash}, nil
	case strings.HasPrefix(credential, auth.KeyPrefix):
		k, err := s.store.GetAPIKeyByHash(ctx, auth.HashToken(credential))
		if charging.ErrorCode(err) == charging.ENOTFOUND {
			return charging.Principal{}, unauthenticated("the API key is not valid (deleted or mistyped)")
		}
		if err != nil {
			return charging.Principal{}, err
		}
		if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
			return charging.Principal{}, unauthenticated("the API key expired")
		}
		s.touchKey(ctx, k.ID, now)
		return charging.Principal{Kind: charging.ActorAPIKey, ID: k.ID, Name: k.Name, Role: k.Role}, nil
	}
	return charging.Principal{}, unauthenticated("the credential is not a Joule token (jt_…) or API key (jk_…)")
}

// touchKey records a key's use at most once a minute, so an API key in
// use by a busy backend does not cost a write per request.
func (s *Service) touchKey(ctx context.Context, id string, now time.Time) {
	s.touchMu.Lock()
	last, ok := s.touched[id]
	if ok && now.Sub(last) < time.Minute {
		s.touchMu.Unlock()
		return
	}
	s.touched[id] = now
	s.touchMu.Unlock()
	if err := s.store.TouchAPIKey(ctx, id, now); err != nil && charging.ErrorCode(err) != charging.ENOTFOUND {
		s.log.Warn("record API key use", "key", id, "err", err)
	}
}

// normEmail checks an email address and returns it lower-cased.
func normEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", charging.Errorf(charging.EINVALID, "email is required")
	}
	if len(email) > 254 {
		return "", charging.Errorf(charging.EINVALID, "email is longer than 254 characters")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "", charging.Errorf(charging.EINVALID, "email %q is not an address like name@example.com", email)
	}
	return strings.ToLower(email), nil
}

func normName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", charging.Errorf(charging.EINVALID, "name is required")
	case utf8.RuneCountInString(name) > 100:
		return "", charging.Errorf(charging.EINVALID, "name is longer than 100 characters")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", charging.Errorf(charging.EINVALID, "name holds control characters")
	}
	return name, nil
}

// newToken makes a sign-in token for u, not yet stored: the caller writes
// it with the user (CreateUser, UpdateUser), so a sign-in is one write.
func (s *Service) newToken(u charging.User) (string, charging.AuthToken, error) {
	tok, hash, err := auth.NewToken(auth.TokenPrefix)
	if err != nil {
		return "", charging.AuthToken{}, err
	}
	now := s.now()
	ttl := s.cfg.StaffTokenTTL
	if u.Role == charging.RoleDriver {
		ttl = s.cfg.DriverTokenTTL
	}
	return tok, charging.AuthToken{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}, nil
}

// signIn stores u's changes, ending their sessions when revoke is set,
// together with a new sign-in token, in one write, and returns the session.
func (s *Service) signIn(ctx context.Context, u charging.User, revoke bool) (Session, error) {
	tok, t, err := s.newToken(u)
	if err != nil {
		return Session{}, err
	}
	if err := s.store.UpdateUser(ctx, u, revoke, &t); err != nil {
		if charging.ErrorCode(err) == charging.ECONFLICT {
			return Session{}, charging.Errorf(charging.ECONFLICT, "an account with email %s already exists", u.Email)
		}
		return Session{}, err
	}
	return s.session(ctx, u, tok, t)
}

func (s *Service) session(ctx context.Context, u charging.User, tok string, t charging.AuthToken) (Session, error) {
	view, err := s.view(ctx, u)
	if err != nil {
		return Session{}, err
	}
	return Session{Token: tok, ExpiresAt: t.ExpiresAt, User: view}, nil
}

// view adds a user's id tags.
func (s *Service) view(ctx context.Context, u charging.User) (User, error) {
	v := User{User: u, IDTags: []string{}}
	if u.Role != charging.RoleDriver && u.AppIDTag == "" {
		return v, nil
	}
	cursor := ""
	for {
		p, err := s.store.ListIDTags(ctx, charging.IDTagQuery{OwnerID: u.ID, Cursor: cursor, Limit: 1000})
		if err != nil {
			return User{}, err
		}
		for _, t := range p.Items {
			v.IDTags = append(v.IDTags, t.IDTag)
		}
		if cursor = p.NextCursor; cursor == "" {
			return v, nil
		}
	}
}

// Signup creates a driver account with an app id tag and signs it in.
// Sign-ups are counted per address (addr).
func (s *Service) Signup(ctx context.Context, email, password, name, addr string) (Session, error) {
	if !s.cfg.DriverSignup {
		return Session{}, charging.Errorf(charging.EFORBIDDEN, "driver sign-up is closed on this Joule; ask the operator for an account")
	}
	now := s.now()
	if ok, after := s.signups.Allow(addr, now); !ok {
		return Session{}, &RetryError{charging.Errorf(charging.ERATELIMITED, "too many sign-ups from this address; try again in %s", roundUp(after)), after}
	}
	s.signups.Fail(addr, now)
	u, err := s.newUser(email, name, charging.RoleDriver, password)
	if err != nil {
		return Session{}, err
	}
	return s.createUser(ctx, &u, true)
}

// newUser checks the fields of a new user and hashes the password.
func (s *Service) newUser(email, name string, role charging.Role, password string) (charging.User, error) {
	email, err := normEmail(email)
	if err != nil {
		return charging.User{}, err
	}
	if name, err = normName(name); err != nil {
		return charging.User{}, err
	}
	if !role.Valid() {
		return charging.User{}, charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", role)
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return charging.User{}, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return charging.User{}, err
	}
	now := s.now()
	return charging.User{ID: newID(), Email: email, Name: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}, nil
}

// createUser stores u: a driver gets an app id tag, and with signIn the
// user gets a sign-in token, in the same write. The session is returned
// only with signIn.
func (s *Service) createUser(ctx context.Context, u *charging.User, signIn bool) (Session, error) {
	var tag *charging.IDTag
	if u.Role == charging.RoleDriver {
		u.AppIDTag = newAppIDTag()
		tag = &charging.IDTag{IDTag: u.AppIDTag, Status: charging.AuthAccepted, OwnerID: u.ID, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt}
	}
	var tok string
	var t *charging.AuthToken
	if signIn {
		tk, at, err := s.newToken(*u)
		if err != nil {
			return Session{}, err
		}
		tok, t = tk, &at
	}
	err := s.store.CreateUser(ctx, *u, tag, t)
	if charging.ErrorCode(err) == charging.ECONFLICT {
		return Session{}, charging.Errorf(charging.ECONFLICT, "an account with email %s already exists", u.Email)
	}
	if err != nil || !signIn {
		return Session{}, err
	}
	return s.session(ctx, *u, tok, *t)
}

// Login checks an email and password and signs the user in. Failures are
// counted per account and per address; past the limit the answer is
// ERATELIMITED (a *RetryError) until the window moves on.
func (s *Service) Login(ctx context.Context, email, password, addr string) (Session, error) {
	now := s.now()
	key := strings.ToLower(strings.TrimSpace(email))
	if ok, after := s.byAddress.Allow(addr, now); !ok {
		return Session{}, &RetryError{charging.Errorf(charging.ERATELIMITED, "too many failed sign-ins from this address; try again in %s", roundUp(after)), after}
	}
	if ok, after := s.byAccount.Allow(key, now); !ok {
		return Session{}, &RetryError{charging.Errorf(charging.ERATELIMITED, "too many failed sign-ins for this account; try again in %s", roundUp(after)), after}
	}
	wrong := func() (Session, error) {
		s.byAddress.Fail(addr, now)
		s.byAccount.Fail(key, now)
		return Session{}, unauthenticated("email or password is wrong")
	}
	u, err := s.store.GetUserByEmail(ctx, key)
	if charging.ErrorCode(err) == charging.ENOTFOUND || (err == nil && u.PasswordHash == "") {
		s.dummyVerify() // the same time as a real check: no account discovery by timing
		return wrong()
	}
	if err != nil {
		return Session{}, err
	}
	ok, err := s.verify(password, u.PasswordHash)
	if err != nil {
		return Session{}, fmt.Errorf("accounts: user %s: %w", u.ID, err)
	}
	if !ok {
		return wrong()
	}
	if u.Disabled {
		return Session{}, charging.Errorf(charging.EFORBIDDEN, "this account is disabled; ask an administrator")
	}
	s.byAccount.Reset(key)
	u.LastLoginAt = &now
	if auth.NeedsRehash(u.PasswordHash, s.cfg.Params) {
		if h, err := s.hash(password); err == nil {
			u.PasswordHash = h
		}
	}
	return s.signIn(ctx, u, false)
}

func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}

// Logout ends the sign-in session of a token (by its hash).
func (s *Service) Logout(ctx context.Context, p charging.Principal) error {
	if p.TokenHash == "" {
		return nil
	}
	err := s.store.DeleteToken(ctx, p.TokenHash)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return nil
	}
	return err
}

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context, p charging.Principal) (User, error) {
	if p.UserID == "" {
		return User{}, charging.Errorf(charging.EFORBIDDEN, "an API key is not a user; /me needs a signed-in user")
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return User{}, err
	}
	return s.view(ctx, u)
}

// MeUpdate is what a user may change about themselves.
type MeUpdate struct {
	Name            *string `json:"name"`
	Password        *string `json:"password"`
	CurrentPassword string  `json:"currentPassword"`
}

// UpdateMe changes the user's name or password. A new password needs the
// current one (when the user has one), ends every other sign-in session
// and returns a new one for the caller.
func (s *Service) UpdateMe(ctx context.Context, p charging.Principal, m MeUpdate) (User, *Session, error) {
	if p.UserID == "" {
		return User{}, nil, charging.Errorf(charging.EFORBIDDEN, "an API key is not a user; /me needs a signed-in user")
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return User{}, nil, err
	}
	if m.Name != nil {
		if u.Name, err = normName(*m.Name); err != nil {
			return User{}, nil, err
		}
	}
	revoke := false
	if m.Password != nil {
		if u.PasswordHash != "" {
			ok, err := s.verify(m.CurrentPassword, u.PasswordHash)
			if err != nil {
				return User{}, nil, fmt.Errorf("accounts: user %s: %w", u.ID, err)
			}
			if !ok {
				return User{}, nil, charging.Errorf(charging.EFORBIDDEN, "currentPassword is wrong")
			}
		}
		if err := auth.CheckPasswordPolicy(*m.Password); err != nil {
			return User{}, nil, err
		}
		if u.PasswordHash, err = s.hash(*m.Password); err != nil {
			return User{}, nil, err
		}
		revoke = true
	}
	u.UpdatedAt = s.now()
	if revoke {
		// The other sessions end and this caller gets a new one, in one write.
		ses, err := s.signIn(ctx, u, true)
		if err != nil {
			return User{}, nil, err
		}
		return ses.User, &ses, nil
	}
	if err := s.store.UpdateUser(ctx, u, false, nil); err != nil {
		return User{}, nil, err
	}
	v, err := s.view(ctx, u)
	return v, nil, err
}

// CheckIDTag validates an id tag as OCPP's IdToken: 1 to 20 printable
// ASCII characters.
func CheckIDTag(idTag string) error {
	if idTag == "" || len(idTag) > 20 {
		return charging.Errorf(charging.EINVALID, "idTag must be 1 to 20 characters (OCPP IdToken)")
	}
	for i := 0; i < len(idTag); i++ {
		if c := idTag[i]; c <= 0x20 || c >= 0x7f {
			return charging.Errorf(charging.EINVALID, "idTag %q holds a character that is not printable ASCII", idTag)
		}
	}
	return nil
}

// LinkIDTag links an RFID card to a driver. A card that is already known
// (someone else's, or one the operator manages) is ECONFLICT: only an
// operator can hand it over.
func (s *Service) LinkIDTag(ctx context.Context, p charging.Principal, idTag string) (charging.IDTag, error) {
	if p.UserID == "" {
		return charging.IDTag{}, charging.Errorf(charging.EFORBIDDEN, "an API key is not a user; link cards to a user")
	}
	idTag = strings.TrimSpace(idTag)
	if err := CheckIDTag(idTag); err != nil {
		return charging.IDTag{}, err
	}
	now := s.now()
	t := charging.IDTag{IDTag: idTag, Status: charging.AuthAccepted, OwnerID: p.UserID, CreatedAt: now, UpdatedAt: now}
	err := s.store.CreateIDTag(ctx, t)
	if charging.ErrorCode(err) == charging.ECONFLICT {
		prev, gerr := s.store.GetIDTag(ctx, idTag)
		if gerr == nil && prev.OwnerID == p.UserID {
			return prev, nil // linked already: the same answer again
		}
		return charging.IDTag{}, charging.Errorf(charging.ECONFLICT, "card %s is already registered; ask the operator to link it to your account", idTag)
	}
	if err != nil {
		return charging.IDTag{}, err
	}
	return t, nil
}

// UnlinkIDTag removes one of the driver's cards. The app's own id tag
// stays; another user's card is ENOTFOUND.
func (s *Service) UnlinkIDTag(ctx context.Context, p charging.Principal, idTag string) error {
	t, err := s.store.GetIDTag(ctx, idTag)
	if err != nil || t.OwnerID != p.UserID || p.UserID == "" {
		return charging.Errorf(charging.ENOTFOUND, "you have no card %s", idTag)
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if strings.EqualFold(u.AppIDTag, t.IDTag) {
		return charging.Errorf(charging.ECONFLICT, "%s is the app's own id tag; it cannot be removed", idTag)
	}
	return s.store.DeleteIDTag(ctx, t.IDTag)
}

// OwnsIDTag reports whether the user owns the id tag.
func (s *Service) OwnsIDTag(ctx context.Context, userID, idTag string) (bool, error) {
	t, err := s.store.GetIDTag(ctx, idTag)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return userID != "" && t.OwnerID == userID, nil
}

// AppIDTag returns the id tag a driver's app starts sessions with.
func (s *Service) AppIDTag(ctx context.Context, userID string) (string, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.AppIDTag == "" {
		return "", charging.Errorf(charging.EINVALID, "your account has no app id tag; give idTag")
	}
	return u.AppIDTag, nil
}

// Audit records an audit entry. A failure is returned: the caller decides
// whether the call may go on without its record.
func (s *Service) Audit(ctx context.Context, e charging.AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := s.store.AddAudit(ctx, e)
	return err
}

// ListAudit lists audit entries, newest first.
func (s *Service) ListAudit(ctx context.Context, q charging.AuditQuery) (charging.Page[charging.AuditEntry], error) {
	return s.store.ListAudit(ctx, q)
}

// Run deletes expired sign-in tokens every hour until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.store.DeleteExpiredTokens(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("delete expired sign-in tokens", "err", err)
		} else if n > 0 {
			s.log.Debug("deleted expired sign-in tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
