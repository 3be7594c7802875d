package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
)

// oidcCookie carries a single sign-on in progress (state, nonce, PKCE
// verifier) from /auth/oidc/login to /auth/oidc/callback. SameSite=Lax:
// the identity provider's redirect back is a cross-site navigation.
const oidcCookie = "joule_oidc"

func principal(r *http.Request) charging.Principal {
	p, _ := charging.PrincipalFrom(r.Context())
	return p
}

// isDriver reports whether the caller is a driver, who sees only their own.
func isDriver(r *http.Request) bool { return principal(r).Role == charging.RoleDriver }

// GET /api/v1/auth/providers: how one may sign in here.
func (s *Server) authProviders(w http.ResponseWriter, r *http.Request) {
	setup, err := s.accounts.SetupRequired(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{
		"password": true, "signup": s.accounts.SignupOpen(), "oidc": s.accounts.OIDCEnabled(), "setupRequired": setup,
	})
}

// signedInAnswer gives a browser the cookie and everyone the token.
func (s *Server) signedInAnswer(w http.ResponseWriter, r *http.Request, status int, ses accounts.Session) {
	setSessionCookie(w, r, ses)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, ses)
}

// POST /api/v1/auth/signup {email, password, name}: a driver account.
func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	var body struct{ Email, Password, Name string }
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.actorName = strings.ToLower(strings.TrimSpace(body.Email)) })
	ses, err := s.accounts.Signup(r.Context(), body.Email, body.Password, body.Name, clientAddr(r))
	if err != nil {
		retryAfter(w, err)
		s.fail(w, r, err)
		return
	}
	s.signedIn(r, ses)
	w.Header().Set("Location", "/api/v1/me")
	s.signedInAnswer(w, r, http.StatusCreated, ses)
}

// signedIn makes the new user the audit entry's actor.
func (s *Server) signedIn(r *http.Request, ses accounts.Session) {
	u := ses.User
	noteAudit(r, func(a *auditRecord) {
		a.principal = &charging.Principal{Kind: charging.ActorUser, ID: u.ID, Name: u.Email, Role: u.Role, UserID: u.ID}
		a.target = u.ID
	})
}

// POST /api/v1/auth/login {email, password}
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ Email, Password string }
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) {
		a.actorName = strings.ToLower(strings.TrimSpace(body.Email))
		a.principal = nil // a stale cookie is not who signs in
	})
	if body.Email == "" || body.Password == "" {
		s.invalid(w, r, "email and password are required")
		return
	}
	ses, err := s.accounts.Login(r.Context(), body.Email, body.Password, clientAddr(r))
	if err != nil {
		retryAfter(w, err)
		if charging.ErrorCode(err) == charging.EUNAUTHENTICATED {
			w.Header().Set("WWW-Authenticate", `Bearer realm="joule"`)
		}
		s.fail(w, r, err)
		return
	}
	s.signedIn(r, ses)
	s.signedInAnswer(w, r, http.StatusOK, ses)
}

// POST /api/v1/auth/setup {token, email, name, password}: the first
// sign-in with the admin-token file's token sets the admin's password.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	var body struct{ Token, Email, Name, Password string }
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.actorName = "admin-token"; a.principal = nil })
	ses, err := s.accounts.Setup(r.Context(), body.Token, body.Email, body.Name, body.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.signedIn(r, ses)
	s.signedInAnswer(w, r, http.StatusOK, ses)
}

// POST /api/v1/auth/logout: ends the session of the token or cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if p, ok := charging.PrincipalFrom(r.Context()); ok {
		if err := s.accounts.Logout(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	clearSessionCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/auth/oidc/login?returnTo=/operator: to the identity provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	authURL, cookie, err := s.accounts.OIDCBegin(r.URL.Query().Get("returnTo"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: cookie, Path: "/api/v1/auth/oidc/",
		MaxAge: 600, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
}

// GET /api/v1/auth/oidc/callback?code=&state=: back from the provider.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/api/v1/auth/oidc/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if e := q.Get("error"); e != "" {
		s.problem(w, r, http.StatusUnauthorized, charging.EUNAUTHENTICATED, "the identity provider refused the sign-in: "+e)
		return
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil || c.Value == "" {
		s.problem(w, r, http.StatusUnauthorized, charging.EUNAUTHENTICATED, "no sign-in in progress in this browser; start again at /api/v1/auth/oidc/login")
		return
	}
	ses, returnTo, err := s.accounts.OIDCFinish(r.Context(), c.Value, q.Get("state"), q.Get("code"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setSessionCookie(w, r, ses)
	w.Header().Set("Cache-Control", "no-store")
	if returnTo == "" || returnTo == "/" {
		returnTo = "/operator"
	}
	http.Redirect(w, r, returnTo, http.StatusFound)
}

// GET /api/v1/me
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	u, err := s.accounts.Me(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// PATCH /api/v1/me {name, password, currentPassword}
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var body accounts.MeUpdate
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	p := principal(r)
	u, ses, err := s.accounts.UpdateMe(r.Context(), p, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ses != nil {
		// Every sign-in ended with the old password; this browser gets a
		// new one. A bearer caller signs in again.
		if p.Cookie {
			setSessionCookie(w, r, *ses)
		}
		noteAudit(r, func(a *auditRecord) { a.detail = "password changed; other sessions ended" })
	}
	writeJSON(w, http.StatusOK, u)
}

// POST /api/v1/me/id-tags {idTag}: link an RFID card.
func (s *Server) linkIDTag(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDTag string `json:"idTag"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	t, err := s.accounts.LinkIDTag(r.Context(), principal(r), body.IDTag)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.target = t.IDTag })
	w.Header().Set("Location", "/api/v1/me")
	writeJSON(w, http.StatusCreated, t)
}

// DELETE /api/v1/me/id-tags/{idTag}
func (s *Server) unlinkIDTag(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.UnlinkIDTag(r.Context(), principal(r), r.PathValue("idTag")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/users?role=&cursor=&limit=
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uq := charging.UserQuery{Role: charging.Role(q.Get("role")), Cursor: q.Get("cursor")}
	if uq.Role != "" && !uq.Role.Valid() {
		s.invalid(w, r, "role must be admin, operator, viewer or driver, got "+quote(string(uq.Role)))
		return
	}
	var err error
	if uq.Limit, err = queryLimit(q); err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.accounts.ListUsers(r.Context(), uq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// POST /api/v1/users {email, name, role, password}
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var body accounts.NewUser
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	u, err := s.accounts.CreateUser(r.Context(), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.target = u.ID; a.detail = "role " + string(u.Role) })
	w.Header().Set("Location", "/api/v1/users/"+url.PathEscape(u.ID))
	writeJSON(w, http.StatusCreated, u)
}

// GET /api/v1/users/{id}
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.accounts.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// PATCH /api/v1/users/{id} {email, name, role, disabled, password, driverGroup}
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var body accounts.UserUpdate
	if err := decodeSecretJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	u, err := s.accounts.UpdateUser(r.Context(), r.PathValue("id"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var what []string
	if body.Role != nil {
		what = append(what, "role "+string(*body.Role))
	}
	if body.Disabled != nil {
		what = append(what, map[bool]string{true: "disabled", false: "enabled"}[*body.Disabled])
	}
	if body.Password != nil {
		what = append(what, "password set")
	}
	if body.DriverGroup != nil {
		what = append(what, "driver group "+quote(u.DriverGroup))
	}
	noteAudit(r, func(a *auditRecord) { a.detail = strings.Join(what, ", ") })
	writeJSON(w, http.StatusOK, u)
}

// DELETE /api/v1/users/{id}
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.DeleteUser(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/api-keys
func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kq := charging.APIKeyQuery{Cursor: q.Get("cursor")}
	var err error
	if kq.Limit, err = queryLimit(q); err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.accounts.ListAPIKeys(r.Context(), kq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}

// POST /api/v1/api-keys {name, role, expiresAt}: the key is in this
// answer only.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name      string        `json:"name"`
		Role      charging.Role `json:"role"`
		ExpiresAt *string       `json:"expiresAt"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	exp, err := bodyTime("expiresAt", body.ExpiresAt)
	if err != nil {
		s.reject(w, r, err)
		return
	}
	k, err := s.accounts.CreateAPIKey(r.Context(), accounts.NewAPIKey{Name: body.Name, Role: body.Role, ExpiresAt: exp}, principal(r).Label())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	noteAudit(r, func(a *auditRecord) { a.target = k.ID; a.detail = "role " + string(k.Role) })
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", "/api/v1/api-keys/"+url.PathEscape(k.ID))
	writeJSON(w, http.StatusCreated, k)
}

// DELETE /api/v1/api-keys/{id}
func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.DeleteAPIKey(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// GET /api/v1/audit?actorId=&action=&target=&outcome=&since=&until=&cursor=&limit=
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	aq := charging.AuditQuery{ActorID: q.Get("actorId"), Action: q.Get("action"), Target: q.Get("target"),
		Outcome: q.Get("outcome"), Cursor: q.Get("cursor")}
	switch aq.Outcome {
	case "", charging.OutcomeSuccess, charging.OutcomeDenied, charging.OutcomeRejected, charging.OutcomeError:
	default:
		s.invalid(w, r, "outcome must be success, denied, rejected or error, got "+quote(aq.Outcome))
		return
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"since", &aq.Since}, {"until", &aq.Until}} {
		if v := q.Get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				s.invalid(w, r, f.name+" must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got "+quote(v))
				return
			}
			*f.dst = t.UTC()
		}
	}
	var err error
	if aq.Limit, err = queryLimit(q); err != nil {
		s.reject(w, r, err)
		return
	}
	p, err := s.accounts.ListAudit(r.Context(), aq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toPage(p))
}
