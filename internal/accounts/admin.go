package accounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/auth"
	"github.com/joule-ev/joule/internal/charging"
)

// NewUser is an administrator's request to create a user.
type NewUser struct {
	Email    string        `json:"email"`
	Name     string        `json:"name"`
	Role     charging.Role `json:"role"`
	Password string        `json:"password"`
}

// CreateUser creates a user of any role (an administrator's call).
func (s *Service) CreateUser(ctx context.Context, n NewUser) (User, error) {
	u, err := s.newUser(n.Email, n.Name, n.Role, n.Password)
	if err != nil {
		return User{}, err
	}
	if _, err := s.createUser(ctx, &u, false); err != nil {
		return User{}, err
	}
	return s.view(ctx, u)
}

// GetUser returns a user with their id tags.
func (s *Service) GetUser(ctx context.Context, id string) (User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	return s.view(ctx, u)
}

// ListUsers lists users by email.
func (s *Service) ListUsers(ctx context.Context, q charging.UserQuery) (charging.Page[charging.User], error) {
	return s.store.ListUsers(ctx, q)
}

// UserUpdate is an administrator's change to a user; nil fields stay.
type UserUpdate struct {
	Email    *string        `json:"email"`
	Name     *string        `json:"name"`
	Role     *charging.Role `json:"role"`
	Disabled *bool          `json:"disabled"`
	Password *string        `json:"password"`
	// DriverGroup puts the user in a driver group (tariffs assigned to
	// the group apply to them); "" takes them out of it.
	DriverGroup *string `json:"driverGroup"`
}

// UpdateUser changes a user. Disabling a user, changing their role or
// password ends their sign-in sessions at once. The last enabled admin
// cannot be disabled, demoted or deleted.
func (s *Service) UpdateUser(ctx context.Context, id string, up UserUpdate) (User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	revoke := false
	if up.Email != nil {
		if u.Email, err = normEmail(*up.Email); err != nil {
			return User{}, err
		}
	}
	if up.Name != nil {
		if u.Name, err = normName(*up.Name); err != nil {
			return User{}, err
		}
	}
	losesAdmin := false
	if up.Role != nil && *up.Role != u.Role {
		if !up.Role.Valid() {
			return User{}, charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer, driver", *up.Role)
		}
		losesAdmin = u.Role == charging.RoleAdmin
		u.Role, revoke = *up.Role, true
		if u.Role == charging.RoleDriver && u.AppIDTag == "" {
			return User{}, charging.Errorf(charging.EINVALID, "a staff account cannot become a driver; create a driver account instead")
		}
	}
	if up.Disabled != nil && *up.Disabled != u.Disabled {
		losesAdmin = losesAdmin || (*up.Disabled && u.Role == charging.RoleAdmin)
		u.Disabled = *up.Disabled
		revoke = revoke || u.Disabled
	}
	if up.DriverGroup != nil {
		g, ok := charging.NormalizeDriverGroup(*up.DriverGroup)
		if !ok && g != "" {
			return User{}, charging.Errorf(charging.EINVALID, "driverGroup must be 1 to %d of a-z, 0-9, '_' and '-' (e.g. members), or empty for none, got %q", charging.MaxDriverGroup, *up.DriverGroup)
		}
		u.DriverGroup = g
	}
	if up.Password != nil {
		if err := auth.CheckPasswordPolicy(*up.Password); err != nil {
			return User{}, err
		}
		if u.PasswordHash, err = s.hash(*up.Password); err != nil {
			return User{}, err
		}
		revoke = true
	}
	if losesAdmin {
		if err := s.keepAnAdmin(ctx, u.ID); err != nil {
			return User{}, err
		}
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, u, revoke, nil); err != nil {
		if charging.ErrorCode(err) == charging.ECONFLICT {
			return User{}, charging.Errorf(charging.ECONFLICT, "an account with email %s already exists", u.Email)
		}
		return User{}, err
	}
	return s.view(ctx, u)
}

// keepAnAdmin refuses a change that would leave no enabled admin but the
// user with id except.
func (s *Service) keepAnAdmin(ctx context.Context, except string) error {
	cursor := ""
	for {
		p, err := s.store.ListUsers(ctx, charging.UserQuery{Role: charging.RoleAdmin, Cursor: cursor, Limit: 1000})
		if err != nil {
			return err
		}
		for _, u := range p.Items {
			if u.ID != except && !u.Disabled {
				return nil
			}
		}
		if cursor = p.NextCursor; cursor == "" {
			return charging.Errorf(charging.ECONFLICT, "this is the last enabled admin; make another admin first")
		}
	}
}

// DeleteUser deletes a user; their cards are blocked and unlinked, their
// sessions stay in the history.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == charging.RoleAdmin && !u.Disabled {
		if err := s.keepAnAdmin(ctx, u.ID); err != nil {
			return err
		}
	}
	return s.store.DeleteUser(ctx, id)
}

// NewAPIKey is a request for an API key.
type NewAPIKey struct {
	Name      string        `json:"name"`
	Role      charging.Role `json:"role"`
	ExpiresAt *time.Time    `json:"expiresAt"`
}

// CreatedAPIKey is a new key with its secret, which is shown only now.
type CreatedAPIKey struct {
	charging.APIKey
	Key string `json:"key"`
}

// CreateAPIKey creates a key for the operator's backends: a staff role,
// stored hashed; the key is in the answer only.
func (s *Service) CreateAPIKey(ctx context.Context, n NewAPIKey, createdBy string) (CreatedAPIKey, error) {
	name, err := normName(n.Name)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	if !n.Role.Staff() {
		return CreatedAPIKey{}, charging.Errorf(charging.EINVALID, "role %q is not one of admin, operator, viewer (API keys are for the operator's backends)", n.Role)
	}
	now := s.now()
	if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
		return CreatedAPIKey{}, charging.Errorf(charging.EINVALID, "expiresAt is in the past")
	}
	key, hash, err := auth.NewToken(auth.KeyPrefix)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	k := charging.APIKey{ID: newID(), Name: name, Role: n.Role, Hash: hash, Prefix: auth.Prefix(key),
		CreatedBy: createdBy, CreatedAt: now, ExpiresAt: utcPtr(n.ExpiresAt)}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{APIKey: k, Key: key}, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ListAPIKeys lists keys, newest first (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, q charging.APIKeyQuery) (charging.Page[charging.APIKey], error) {
	return s.store.ListAPIKeys(ctx, q)
}

// DeleteAPIKey revokes a key at once.
func (s *Service) DeleteAPIKey(ctx context.Context, id string) error {
	return s.store.DeleteAPIKey(ctx, id)
}

// Bootstrap prepares a new Joule: when the store has no user, it creates
// an admin without a password and an admin API key, and writes the key to
// <dir>/admin-token (mode 0600). It returns the file's path when it wrote
// one. The admin sets their password by signing in once with the token
// (Setup).
func (s *Service) Bootstrap(ctx context.Context, dir string) (string, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
	}
	path := filepath.Join(dir, "admin-token")
	key, hash, err := auth.NewToken(auth.KeyPrefix)
	if err != nil {
		return "", err
	}
	// The file first (under a temporary name), the records next, the name
	// last: a crash leaves either nothing or a usable token.
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("accounts: write admin token: %w", err)
	}
	_, werr := f.WriteString(key + "\n")
	serr := f.Sync()
	if cerr := f.Close(); werr == nil && serr == nil {
		werr = cerr
	} else if werr == nil {
		werr = serr
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("accounts: write admin token: %w", werr)
	}
	now := s.now()
	admin := charging.User{ID: newID(), Email: "admin@localhost", Name: "Administrator", Role: charging.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateUser(ctx, admin, nil, nil); err != nil {
		os.Remove(tmp)
		return "", err
	}
	k := charging.APIKey{ID: newID(), Name: BootstrapKeyName, Role: charging.RoleAdmin, Hash: hash,
		Prefix: auth.Prefix(key), CreatedBy: "first run", CreatedAt: now}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("accounts: write admin token: %w", err)
	}
	return path, nil
}

// SetupRequired reports whether the first-run admin has not set a password yet.
func (s *Service) SetupRequired(ctx context.Context) (bool, error) {
	_, err := s.setupAdmin(ctx)
	if charging.ErrorCode(err) == charging.ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// setupAdmin returns the first-run admin while they have no password.
func (s *Service) setupAdmin(ctx context.Context) (charging.User, error) {
	u, err := s.store.GetUserByEmail(ctx, "admin@localhost")
	if err != nil {
		return charging.User{}, err
	}
	if u.Role != charging.RoleAdmin || u.PasswordHash != "" || u.Subject != "" {
		return charging.User{}, charging.Errorf(charging.ENOTFOUND, "no first-run admin waits for a password")
	}
	return u, nil
}

// Setup is the first sign-in: the admin-token written on first run
// proves the caller is the operator; the admin gets their email, name and
// password and is signed in. It works once: afterwards the admin signs in
// with the password (the token stays an admin API key until deleted).
func (s *Service) Setup(ctx context.Context, token, email, name, password string) (Session, error) {
	token = strings.TrimSpace(token)
	k, err := s.store.GetAPIKeyByHash(ctx, auth.HashToken(token))
	if err != nil || k.Name != BootstrapKeyName || k.Role != charging.RoleAdmin || !strings.HasPrefix(token, auth.KeyPrefix) {
		if err != nil && charging.ErrorCode(err) != charging.ENOTFOUND {
			return Session{}, err
		}
		return Session{}, unauthenticated("this is not the admin token from the data directory's admin-token file")
	}
	u, err := s.setupAdmin(ctx)
	if err != nil {
		if charging.ErrorCode(err) != charging.ENOTFOUND {
			return Session{}, err
		}
		return Session{}, charging.Errorf(charging.ECONFLICT, "the admin has set a password already; sign in with email and password")
	}
	if u.Email, err = normEmail(email); err != nil {
		return Session{}, err
	}
	if u.Name, err = normName(name); err != nil {
		return Session{}, err
	}
	if err := auth.CheckPasswordPolicy(password); err != nil {
		return Session{}, err
	}
	if u.PasswordHash, err = s.hash(password); err != nil {
		return Session{}, err
	}
	now := s.now()
	u.UpdatedAt, u.LastLoginAt = now, &now
	return s.signIn(ctx, u, true)
}

// OIDCBegin starts a single sign-on: the identity provider's URL and the
// value of the short-lived cookie that Finish needs.
func (s *Service) OIDCBegin(returnTo string) (authURL, cookie string, err error) {
	if s.cfg.OIDC == nil {
		return "", "", charging.Errorf(charging.ENOTFOUND, "single sign-on is not configured (--oidc-issuer)")
	}
	return s.cfg.OIDC.Begin(returnTo)
}

// OIDCFinish completes a single sign-on and signs the user in: a user
// with that identity, else a staff user with that email (now linked to
// the identity), else a new user. The role comes from the provider's
// claims at every sign-in.
func (s *Service) OIDCFinish(ctx context.Context, cookie, state, code string) (Session, string, error) {
	if s.cfg.OIDC == nil {
		return Session{}, "", charging.Errorf(charging.ENOTFOUND, "single sign-on is not configured (--oidc-issuer)")
	}
	id, err := s.cfg.OIDC.Finish(ctx, cookie, state, code)
	if err != nil {
		return Session{}, "", err
	}
	email, err := normEmail(id.Email)
	if err != nil {
		return Session{}, "", charging.Errorf(charging.EUNAUTHENTICATED, "the identity provider gave no usable email")
	}
	name := id.Name
	if n, err := normName(name); err == nil {
		name = n
	} else {
		name = email
	}
	now := s.now()
	u, err := s.store.GetUserBySubject(ctx, id.Subject)
	switch {
	case err == nil:
	case charging.ErrorCode(err) != charging.ENOTFOUND:
		return Session{}, "", err
	default:
		u, err = s.store.GetUserByEmail(ctx, email)
		switch {
		case err == nil:
			if u.Subject != "" || u.Role == charging.RoleDriver {
				return Session{}, "", charging.Errorf(charging.ECONFLICT, "the account %s is linked to another sign-in; ask an administrator", email)
			}
		case charging.ErrorCode(err) == charging.ENOTFOUND:
			// A new user: created and signed in in one write.
			u = charging.User{ID: newID(), Email: email, Name: name, Role: id.Role, Subject: id.Subject, CreatedAt: now, UpdatedAt: now, LastLoginAt: &now}
			ses, err := s.createUser(ctx, &u, true)
			return ses, id.ReturnTo, err
		default:
			return Session{}, "", err
		}
	}
	if u.Disabled {
		return Session{}, "", charging.Errorf(charging.EFORBIDDEN, "this account is disabled; ask an administrator")
	}
	revoke := u.Role != id.Role
	u.Subject, u.Role, u.Name, u.Email = id.Subject, id.Role, name, email
	u.UpdatedAt, u.LastLoginAt = now, &now
	ses, err := s.signIn(ctx, u, revoke)
	return ses, id.ReturnTo, err
}

// ReadAdminToken reads <dir>/admin-token (for tests and tools on the same
// machine).
func ReadAdminToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("accounts: no admin-token in %s (it is written on the first run only)", dir)
	}
	return strings.TrimSpace(string(b)), err
}
