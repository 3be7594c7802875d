package httpapi

import (
	"context"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
)

// AccountService is what the API needs to know who calls and what they
// own; accounts.Service implements it.
type AccountService interface {
	// Authenticate returns who a bearer credential (token or API key)
	// stands for; anything else is EUNAUTHENTICATED.
	Authenticate(ctx context.Context, credential string) (charging.Principal, error)

	SignupOpen() bool
	OIDCEnabled() bool
	SetupRequired(ctx context.Context) (bool, error)
	Signup(ctx context.Context, email, password, name, addr string) (accounts.Session, error)
	Login(ctx context.Context, email, password, addr string) (accounts.Session, error)
	Setup(ctx context.Context, token, email, name, password string) (accounts.Session, error)
	Logout(ctx context.Context, p charging.Principal) error
	OIDCBegin(returnTo string) (authURL, cookie string, err error)
	OIDCFinish(ctx context.Context, cookie, state, code string) (accounts.Session, string, error)

	Me(ctx context.Context, p charging.Principal) (accounts.User, error)
	UpdateMe(ctx context.Context, p charging.Principal, m accounts.MeUpdate) (accounts.User, *accounts.Session, error)
	LinkIDTag(ctx context.Context, p charging.Principal, idTag string) (charging.IDTag, error)
	UnlinkIDTag(ctx context.Context, p charging.Principal, idTag string) error
	OwnsIDTag(ctx context.Context, userID, idTag string) (bool, error)
	AppIDTag(ctx context.Context, userID string) (string, error)

	CreateUser(ctx context.Context, n accounts.NewUser) (accounts.User, error)
	GetUser(ctx context.Context, id string) (accounts.User, error)
	ListUsers(ctx context.Context, q charging.UserQuery) (charging.Page[charging.User], error)
	UpdateUser(ctx context.Context, id string, up accounts.UserUpdate) (accounts.User, error)
	DeleteUser(ctx context.Context, id string) error

	CreateAPIKey(ctx context.Context, n accounts.NewAPIKey, createdBy string) (accounts.CreatedAPIKey, error)
	ListAPIKeys(ctx context.Context, q charging.APIKeyQuery) (charging.Page[charging.APIKey], error)
	DeleteAPIKey(ctx context.Context, id string) error

	Audit(ctx context.Context, e charging.AuditEntry) error
	ListAudit(ctx context.Context, q charging.AuditQuery) (charging.Page[charging.AuditEntry], error)
}

var _ AccountService = (*accounts.Service)(nil)
