package charging

import (
	"context"
	"time"
)

// ERATELIMITED means too many attempts: wait and try again (HTTP 429).
const ERATELIMITED = "rate_limited"

// Role is what a person or an API key may do.
//
//   - admin: everything, including users, API keys and the audit log;
//   - operator: runs the fleet (reads, writes, commands to chargers);
//   - viewer: reads the fleet, changes nothing;
//   - driver: the public view of chargers, and their own sessions, cards
//     and events only.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleViewer   Role = "viewer"
	RoleDriver   Role = "driver"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleOperator, RoleViewer, RoleDriver}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleViewer, RoleDriver:
		return true
	}
	return false
}

// Staff reports whether r belongs to the operator's team (not a driver).
func (r Role) Staff() bool { return r == RoleAdmin || r == RoleOperator || r == RoleViewer }

// User is a person who signs in: the operator's staff or a driver.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"` // unique, stored lower-case
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// Disabled users cannot sign in and their tokens stop working at once.
	Disabled bool `json:"disabled"`
	// PasswordHash is an argon2id PHC string; "" means no password is set
	// (the first-run admin before setup, or a single-sign-on user).
	PasswordHash string `json:"-"`
	// Subject is "<issuer> <sub>" for a user who signs in through OIDC.
	Subject string `json:"-"`
	// AppIDTag is the id tag Joule generated for a driver at sign-up; the
	// app starts sessions with it.
	AppIDTag string `json:"appIdTag,omitempty"`
	// DriverGroup is the driver group the user belongs to ("" for none),
	// e.g. members: tariffs assigned to the group apply to them
	// (ResolveTariff). Lower case, 1 to 64 of a-z, 0-9, '_' and '-'.
	DriverGroup string     `json:"driverGroup,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	LastLoginAt *time.Time `json:"lastLoginAt,omitempty"`
}

// AuthToken is a sign-in session. Only the SHA-256 of the token is stored.
type AuthToken struct {
	Hash      string // hex SHA-256 of the token
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// APIKey is a credential for the operator's own backends. Only the SHA-256
// of the key is stored; the key itself is shown once, at creation.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Hash       string     `json:"-"`
	Prefix     string     `json:"prefix"` // the key's first characters, to recognise it
	CreatedBy  string     `json:"createdBy,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// Audit outcomes.
const (
	OutcomeSuccess  = "success"  // the call did what was asked (2xx, 3xx)
	OutcomeDenied   = "denied"   // authentication or authorization refused it (401, 403, 429)
	OutcomeRejected = "rejected" // the request was wrong or conflicted (other 4xx)
	OutcomeError    = "error"    // Joule failed (5xx)
)

// Actor kinds.
const (
	ActorUser      = "user"
	ActorAPIKey    = "apikey"
	ActorAnonymous = "anonymous"
	ActorSystem    = "system"
)

// AuditEntry records one state-changing call: who, what, when, from where
// and the outcome.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorKind  string    `json:"actorKind"` // ActorUser, ActorAPIKey, ActorAnonymous, ActorSystem
	ActorID    string    `json:"actorId,omitempty"`
	ActorName  string    `json:"actorName,omitempty"` // email or key name at the time
	Role       Role      `json:"role,omitempty"`
	Action     string    `json:"action"`           // the route, e.g. "POST /api/v1/chargers/{id}/reset", or an event such as "auth.login"
	Target     string    `json:"target,omitempty"` // the object: a charger, session, user id
	RemoteAddr string    `json:"remoteAddr,omitempty"`
	Status     int       `json:"status,omitempty"` // the HTTP status answered
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail,omitempty"`
}

// UserQuery selects users, ordered by email.
type UserQuery struct {
	Role   Role // "" matches every role
	Cursor string
	Limit  int // 0 means 100
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	ActorID string
	Action  string // a prefix of the action
	Target  string
	Outcome string
	Since   time.Time // zero: no lower bound
	Until   time.Time // zero: no upper bound (exclusive)
	Cursor  string
	Limit   int // 0 means 100
}

// AccountStore keeps users, sign-in tokens, API keys and the audit log.
// Missing records are ENOTFOUND; a second user with the same email, subject
// or app id tag is ECONFLICT.
type AccountStore interface {
	// CreateUser inserts the user; when tag is not nil its id tag is
	// inserted in the same transaction, owned by the user (a driver's app
	// tag), and when token is not nil so is that sign-in token (a sign-up
	// signs in). An existing tag is ECONFLICT; a failure writes nothing.
	CreateUser(ctx context.Context, u User, tag *IDTag, token *AuthToken) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	GetUserBySubject(ctx context.Context, subject string) (User, error)
	// UpdateUser overwrites the user's fields. When revokeTokens is set,
	// every sign-in token of the user is deleted in the same transaction
	// (a disabled account, a changed password or role); then token, when
	// not nil, is inserted (a sign-in: its last-login time and its token
	// are one write).
	UpdateUser(ctx context.Context, u User, revokeTokens bool, token *AuthToken) error
	// DeleteUser deletes the user and their tokens; their id tags lose
	// their owner and are blocked, their sessions keep the owner's id.
	DeleteUser(ctx context.Context, id string) error
	ListUsers(ctx context.Context, q UserQuery) (Page[User], error)
	CountUsers(ctx context.Context) (int, error)

	CreateToken(ctx context.Context, t AuthToken) error
	// GetToken returns the token with that hash and its user.
	GetToken(ctx context.Context, hash string) (AuthToken, User, error)
	DeleteToken(ctx context.Context, hash string) error
	// DeleteExpiredTokens removes tokens that expired before now.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context, q APIKeyQuery) (Page[APIKey], error)
	DeleteAPIKey(ctx context.Context, id string) error
	// TouchAPIKey sets the key's last-used time.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	AddAudit(ctx context.Context, e AuditEntry) (int64, error)
	ListAudit(ctx context.Context, q AuditQuery) (Page[AuditEntry], error)
}

// APIKeyQuery selects API keys, newest first.
type APIKeyQuery struct {
	Cursor string
	Limit  int // 0 means 100
}

// Principal is who makes a call: a signed-in user or an API key.
type Principal struct {
	Kind   string // ActorUser or ActorAPIKey
	ID     string // the user's or the key's id
	Name   string // the user's email or the key's name
	Role   Role
	UserID string // the user's id; "" for an API key
	// TokenHash is the hash of the sign-in token the call came with ("" for
	// API keys and cookies-less calls); signing out deletes it.
	TokenHash string
	// Cookie reports that the credential came in the session cookie (so the
	// call must pass the browser's cross-site checks).
	Cookie bool
}

// Label names the principal in the command history's requestedBy and in
// logs: "user:<email>" or "apikey:<name>".
func (p Principal) Label() string {
	if p.Kind == "" {
		return ActorAnonymous
	}
	return p.Kind + ":" + p.Name
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
