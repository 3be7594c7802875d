package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/accounts"
	"github.com/joule-ev/joule/internal/charging"
)

// SessionCookie is the name of the browser's sign-in cookie.
const SessionCookie = "joule_session"

// access is who may call a route. Every route in the table names one;
// the API's authorization is that table, checked before any handler runs.
// Object-level checks (a driver's own sessions) are in the handlers.
type access int

const (
	// public routes need no credentials: health, the OpenAPI document,
	// sign-up and sign-in, and the URLs chargers fetch (capability URLs).
	public access = iota
	// signedIn routes serve any role (the caller's own account).
	signedIn
	// driverRead routes serve staff and drivers; drivers see only their
	// own objects and the public view of chargers.
	driverRead
	// driverCommand routes serve admins, operators and drivers (on their
	// own objects): start and stop.
	driverCommand
	// read: admin, operator, viewer.
	read
	// write changes Joule's own records: admin, operator.
	write
	// command sends a message to a charger: admin, operator.
	command
	// admin: users, API keys, the audit log.
	admin
)

// Family is the route family access belongs to, as docs/api.md names it.
func (a access) Family() string {
	switch a {
	case public:
		return "public"
	case signedIn:
		return "account"
	case driverRead, read:
		return "read"
	case write:
		return "write"
	case driverCommand, command:
		return "command"
	case admin:
		return "admin"
	}
	return "unknown"
}

// allows reports whether role may call a route of access a.
func (a access) allows(role charging.Role) bool {
	switch a {
	case public, signedIn:
		return true
	case driverRead:
		return role.Valid()
	case driverCommand:
		return role == charging.RoleAdmin || role == charging.RoleOperator || role == charging.RoleDriver
	case read:
		return role.Staff()
	case write, command:
		return role == charging.RoleAdmin || role == charging.RoleOperator
	case admin:
		return role == charging.RoleAdmin
	}
	return false
}

// RouteAccess describes one route for tests and docs: its method and
// pattern, its family and which roles may call it.
type RouteAccess struct {
	Method, Path, Family string
	Roles                []charging.Role // nil for public routes
}

// Access lists every route with its access.
func (s *Server) Access() []RouteAccess { return slices.Clone(s.access) }

// safeMethod reports whether a method only reads.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// credential returns the caller's bearer credential and whether it came in
// the session cookie.
func credential(r *http.Request) (string, bool, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false, true // present but not ours: 401
		}
		return strings.TrimSpace(tok), false, true
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value, true, true
	}
	return "", false, false
}

// guard wraps a route's handler with authentication, the cross-site checks
// for cookies, the role check and the audit record.
func (s *Server) guard(method, pattern string, a access, h http.HandlerFunc) http.HandlerFunc {
	action := method + " " + pattern
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		rec := &auditRecord{action: action}
		var p charging.Principal
		authed := false
		if tok, cookie, present := credential(r); present {
			var err error
			if tok != "" {
				p, err = s.accounts.Authenticate(ctx, tok)
			} else {
				err = charging.Errorf(charging.EUNAUTHENTICATED, "the Authorization header must be \"Bearer <token or API key>\"")
			}
			switch {
			case err == nil:
				p.Cookie = cookie
				authed = true
			case charging.ErrorCode(err) != charging.EUNAUTHENTICATED:
				s.fail(w, r, err)
				return
			case a != public || !cookie:
				// A stale cookie on a public route (sign-in) is ignored;
				// anything else with a bad credential is refused.
				if cookie {
					clearSessionCookie(w, r)
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="joule", error="invalid_token"`)
				s.problem(w, r, http.StatusUnauthorized, charging.EUNAUTHENTICATED, charging.ErrorMessage(err))
				return
			}
		}
		if !authed && a != public {
			w.Header().Set("WWW-Authenticate", `Bearer realm="joule"`)
			s.problem(w, r, http.StatusUnauthorized, charging.EUNAUTHENTICATED,
				"sign in: send Authorization: Bearer <token or API key>, or the session cookie")
			return
		}
		if authed {
			ctx = context.WithValue(ctx, credentialKey{}, credentialOf(r))
			rec.principal = &p
			ctx = charging.WithPrincipal(ctx, p)
			ctx = charging.WithRequestedBy(ctx, p.Label())
		}
		ctx = withAudit(ctx, rec)
		r = r.WithContext(ctx)
		if !safeMethod(r.Method) {
			aw := &auditWriter{ResponseWriter: w, s: s, r: r, rec: rec}
			w = aw
			defer aw.finish()
		}
		if authed && p.Cookie && !safeMethod(r.Method) {
			if err := s.sameOrigin(r); err != nil {
				s.problem(w, r, http.StatusForbidden, charging.EFORBIDDEN, err.Error())
				return
			}
		}
		if authed && !a.allows(p.Role) {
			s.problem(w, r, http.StatusForbidden, charging.EFORBIDDEN,
				"role "+string(p.Role)+" may not call "+action)
			return
		}
		h(w, r)
	}
}

type credentialKey struct{}

func credentialOf(r *http.Request) string {
	tok, _, _ := credential(r)
	return tok
}

// stillSignedIn re-checks the credential a long-lived request (an event
// stream) came with: a sign-out, a disabled user, a changed role or a
// deleted key ends it.
func (s *Server) stillSignedIn(r *http.Request) bool {
	tok, _ := r.Context().Value(credentialKey{}).(string)
	if tok == "" {
		return false
	}
	p, err := s.accounts.Authenticate(r.Context(), tok)
	return err == nil && p.Role == principal(r).Role
}

// sameOrigin refuses a cookie-authenticated write that a browser sent
// from another site, or that is not JSON (a form or text/plain POST can
// be sent cross-site without a preflight).
func (s *Server) sameOrigin(r *http.Request) error {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return errors.New("cross-site request refused: a request signed in with the session cookie must come from Joule's own pages (Sec-Fetch-Site: " + site + ")")
	}
	if o := r.Header.Get("Origin"); o != "" && !s.ownOrigin(r, o) {
		return errors.New("cross-origin request refused: a request signed in with the session cookie must come from Joule's own pages (Origin: " + o + ")")
	}
	if r.ContentLength != 0 || r.Header.Get("Transfer-Encoding") != "" || r.Header.Get("Content-Type") != "" {
		ct := r.Header.Get("Content-Type")
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		if mt != "application/json" {
			return errors.New("a request signed in with the session cookie must send a JSON body (Content-Type: application/json), not " + quote(ct))
		}
	}
	return nil
}

// ownOrigin reports whether origin is Joule's own: the request's scheme
// and Host, or PublicURL's.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if strings.EqualFold(origin, scheme+"://"+r.Host) {
		return true
	}
	if s.opts.PublicURL != "" {
		if u, err := url.Parse(s.opts.PublicURL); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
			return true
		}
	}
	return false
}

// cors answers preflights and marks answers for the origins in
// Options.CORSOrigins. Those origins call the API with bearer tokens; the
// session cookie (SameSite=Strict) never goes cross-site, and credentials
// are not allowed.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		allowed := slices.ContainsFunc(s.opts.CORSOrigins, func(o string) bool { return o == "*" || strings.EqualFold(o, origin) })
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		h := w.Header()
		h.Add("Vary", "Origin")
		if !allowed {
			if preflight {
				s.problem(w, r, http.StatusForbidden, charging.EFORBIDDEN, "origin "+origin+" may not call this API (--cors-origins)")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Location, Retry-After, WWW-Authenticate, Link")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Last-Event-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the caller's IP address (the connection's peer).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// setSessionCookie gives a browser the sign-in cookie: HttpOnly,
// SameSite=Strict, Secure over TLS, as long-lived as the token.
func setSessionCookie(w http.ResponseWriter, r *http.Request, ses accounts.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: ses.Token, Path: "/",
		Expires: ses.ExpiresAt, MaxAge: max(1, int(time.Until(ses.ExpiresAt).Seconds())),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// retryAfter sets Retry-After for a rate-limited answer.
func retryAfter(w http.ResponseWriter, err error) {
	var re *accounts.RetryError
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(int((re.After+999_999_999)/1_000_000_000)))
	}
}
