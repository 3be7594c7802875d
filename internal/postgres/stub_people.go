package postgres

// Stubs of the people area, replaced by their implementation.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var _ = time.Now
var _ json.RawMessage
var _ context.Context

func (s *Store) AddAudit(_ context.Context, _ charging.AuditEntry) (r0 int64, r1 error) {
	return r0, notYet("AddAudit")
}

func (s *Store) AddSecurityEvent(_ context.Context, _ charging.SecurityEvent) (r0 error) {
	return notYet("AddSecurityEvent")
}

func (s *Store) CountUsers(_ context.Context) (r0 int, r1 error) {
	return r0, notYet("CountUsers")
}

func (s *Store) CreateAPIKey(_ context.Context, _ charging.APIKey) (r0 error) {
	return notYet("CreateAPIKey")
}

func (s *Store) CreateToken(_ context.Context, _ charging.AuthToken) (r0 error) {
	return notYet("CreateToken")
}

func (s *Store) CreateUser(_ context.Context, _ charging.User, _ *charging.IDTag, _ *charging.AuthToken) (r0 error) {
	return notYet("CreateUser")
}

func (s *Store) DeleteAPIKey(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteAPIKey")
}

func (s *Store) DeleteCharger(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteCharger")
}

func (s *Store) DeleteExpiredTokens(_ context.Context, _ time.Time) (r0 int, r1 error) {
	return r0, notYet("DeleteExpiredTokens")
}

func (s *Store) DeleteToken(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteToken")
}

func (s *Store) DeleteUser(_ context.Context, _ string) (r0 error) {
	return notYet("DeleteUser")
}

func (s *Store) GetAPIKeyByHash(_ context.Context, _ string) (r0 charging.APIKey, r1 error) {
	return r0, notYet("GetAPIKeyByHash")
}

func (s *Store) GetCredentials(_ context.Context, _ string) (r0 charging.Credentials, r1 error) {
	return r0, notYet("GetCredentials")
}

func (s *Store) GetToken(_ context.Context, _ string) (r0 charging.AuthToken, r1 charging.User, r2 error) {
	return r0, r1, notYet("GetToken")
}

func (s *Store) GetUser(_ context.Context, _ string) (r0 charging.User, r1 error) {
	return r0, notYet("GetUser")
}

func (s *Store) GetUserByEmail(_ context.Context, _ string) (r0 charging.User, r1 error) {
	return r0, notYet("GetUserByEmail")
}

func (s *Store) GetUserBySubject(_ context.Context, _ string) (r0 charging.User, r1 error) {
	return r0, notYet("GetUserBySubject")
}

func (s *Store) ListAPIKeys(_ context.Context, _ charging.APIKeyQuery) (r0 charging.Page[charging.APIKey], r1 error) {
	return r0, notYet("ListAPIKeys")
}

func (s *Store) ListAudit(_ context.Context, _ charging.AuditQuery) (r0 charging.Page[charging.AuditEntry], r1 error) {
	return r0, notYet("ListAudit")
}

func (s *Store) ListSecurityEvents(_ context.Context, _ charging.SecurityEventQuery) (r0 charging.Page[charging.SecurityEvent], r1 error) {
	return r0, notYet("ListSecurityEvents")
}

func (s *Store) ListUsers(_ context.Context, _ charging.UserQuery) (r0 charging.Page[charging.User], r1 error) {
	return r0, notYet("ListUsers")
}

func (s *Store) SaveChargerCredentials(_ context.Context, _ charging.Charger, _ charging.Credentials) (r0 error) {
	return notYet("SaveChargerCredentials")
}

func (s *Store) SetCredentials(_ context.Context, _ string, _ charging.Credentials) (r0 error) {
	return notYet("SetCredentials")
}

func (s *Store) TouchAPIKey(_ context.Context, _ string, _ time.Time) (r0 error) {
	return notYet("TouchAPIKey")
}

func (s *Store) UpdateUser(_ context.Context, _ charging.User, _ bool, _ *charging.AuthToken) (r0 error) {
	return notYet("UpdateUser")
}
