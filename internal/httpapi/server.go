package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// Defaults for Options.
const (
	DefaultStartTimeout      = 35 * time.Second
	DefaultHeartbeatInterval = 15 * time.Second
)

// MaxBodyBytes is the largest request body the API reads (1 MiB).
const MaxBodyBytes = 1 << 20

// Options configure a Server. The zero value is usable.
type Options struct {
	// Logger receives request logs (Debug) and internal errors (Error).
	// nil discards them.
	Logger *slog.Logger
	// StartTimeout bounds how long a start, a stop or a command waits for
	// the charger; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// HeartbeatInterval is how often an idle SSE stream gets a comment line,
	// so proxies keep it open; 0 means DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration
	// FilesDir is where uploaded firmware and diagnostics files are kept
	// (FilesDir/firmware, FilesDir/diagnostics); "" refuses uploads.
	FilesDir string
	// PublicURL is the base of the URLs chargers download firmware from and
	// upload diagnostics to (e.g. https://csms.example.com); "" means the
	// scheme and Host of the API request that sends the command.
	PublicURL string
	// Accounts authenticates callers and keeps users; required.
	Accounts AccountService
	// CORSOrigins are the web origins (https://app.example.com) that may
	// call the API with bearer tokens from a browser; "*" allows any.
	CORSOrigins []string
	// ReadyChecks are what /readyz checks besides the service (its
	// store): in a cluster, NATS and the cluster router.
	ReadyChecks []ReadyCheck
}

// ReadyCheck is one named readiness check of /readyz.
type ReadyCheck struct {
	Name  string // e.g. "nats"
	Check func(ctx context.Context) error
}

// Server is the app API. Create it with NewServer and serve Handler.
type Server struct {
	svc     Service
	bus     charging.EventBus
	log     *slog.Logger
	opts    Options
	handler http.Handler
	routes  []string // "METHOD /path" of every API route, for tests and the OpenAPI check
	access  []RouteAccess

	accounts AccountService

	encoded eventCache // encoded events, shared by the streams (events.go)

	shutdownOnce sync.Once
	shutdown     chan struct{} // closed by SetShuttingDown
}

// NewServer returns a Server that calls svc and streams events from bus.
// It panics without opts.Accounts: the API is never served open.
func NewServer(svc Service, bus charging.EventBus, opts Options) *Server {
	if opts.Accounts == nil {
		panic("httpapi: Options.Accounts is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	s := &Server{
		svc:      svc,
		bus:      bus,
		log:      opts.Logger,
		opts:     opts,
		accounts: opts.Accounts,
		shutdown: make(chan struct{}),
	}
	s.handler = s.logRequests(s.recoverPanics(s.cors(asAPI(s.mux()))))
	return s
}

// Handler returns the HTTP handler for /api/v1/..., /livez and /readyz.
func (s *Server) Handler() http.Handler { return s.handler }

// SetShuttingDown makes /readyz answer 503 and ends every open event
// stream (clients reconnect, elsewhere, with Last-Event-ID). Call it first
// when the process is asked to stop, before http.Server.Shutdown, which
// would otherwise wait for the streams until its deadline.
func (s *Server) SetShuttingDown() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
}

func (s *Server) shuttingDown() bool {
	select {
	case <-s.shutdown:
		return true
	default:
		return false
	}
}

// route is one path with a handler per method.
type route struct {
	path    string
	methods []methodHandler
}

type methodHandler struct {
	method string
	h      http.HandlerFunc
	access access
}

func (s *Server) mux() *http.ServeMux {
	routes := []route{
		{"/livez", []methodHandler{{http.MethodGet, s.livez, public}}},
		{"/readyz", []methodHandler{{http.MethodGet, s.readyz, public}}},
		{"/api/v1/openapi.yaml", []methodHandler{{http.MethodGet, s.openAPI, public}}},
		{"/api/v1/chargers", []methodHandler{{http.MethodGet, s.listChargers, driverRead}, {http.MethodPost, s.registerCharger, write}}},
		{"/api/v1/chargers/{id}", []methodHandler{{http.MethodGet, s.getCharger, driverRead}, {http.MethodPatch, s.patchCharger, write}, {http.MethodDelete, s.deleteCharger, write}}},
		{"/api/v1/chargers/{id}/variables", []methodHandler{{http.MethodGet, s.listVariables, read}}},
		{"/api/v1/chargers/{id}/charger-events", []methodHandler{{http.MethodGet, s.listChargerEvents, read}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}", []methodHandler{{http.MethodPatch, s.updateConnector, write}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/start", []methodHandler{{http.MethodPost, s.startSession, driverCommand}}},
		{"/api/v1/chargers/{id}/commands/{action}", []methodHandler{{http.MethodPost, s.command, command}}},
		{"/api/v1/sites", []methodHandler{{http.MethodGet, s.listSites, driverRead}, {http.MethodPost, s.createSite, write}}},
		{"/api/v1/tariffs", []methodHandler{{http.MethodGet, s.listTariffs, driverRead}, {http.MethodPost, s.createTariff, write}}},
		{"/api/v1/tariffs/{id}", []methodHandler{{http.MethodGet, s.getTariff, driverRead}, {http.MethodPut, s.putTariff, write}, {http.MethodDelete, s.deleteTariff, write}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/tariff", []methodHandler{{http.MethodGet, s.connectorTariff, driverRead}}},
		{"/api/v1/sites/{id}", []methodHandler{{http.MethodGet, s.getSite, driverRead}, {http.MethodPatch, s.patchSite, write}, {http.MethodDelete, s.deleteSite, write}}},
		// Smart charging (smart.go).
		{"/api/v1/sites/{id}/grid-limit", []methodHandler{{http.MethodPut, s.putGridLimit, write}, {http.MethodDelete, s.deleteGridLimit, write}}},
		{"/api/v1/sites/{id}/load", []methodHandler{{http.MethodGet, s.siteLoad, read}}},
		{"/api/v1/sites/{id}/load/history", []methodHandler{{http.MethodGet, s.siteLoadHistory, read}}},
		{"/api/v1/sites/{id}/meter", []methodHandler{{http.MethodPost, s.pushSiteMeter, write}}},
		{"/api/v1/sessions", []methodHandler{{http.MethodGet, s.listSessions, driverRead}}},
		{"/api/v1/sessions.csv", []methodHandler{{http.MethodGet, s.exportSessions, driverRead}}},
		{"/api/v1/sessions/{id}", []methodHandler{{http.MethodGet, s.getSession, driverRead}, {http.MethodPatch, s.patchSession, write}}},
		{"/api/v1/sessions/{id}/stop", []methodHandler{{http.MethodPost, s.stopSession, driverCommand}}},
		{"/api/v1/sessions/{id}/close", []methodHandler{{http.MethodPost, s.closeSession, write}}},
		{"/api/v1/sessions/{id}/meter-values", []methodHandler{{http.MethodGet, s.listMeterValues, driverRead}}},
		{"/api/v1/stats/sessions", []methodHandler{{http.MethodGet, s.sessionTotals, driverRead}}},
		{"/api/v1/sessions/{id}/receipt", []methodHandler{{http.MethodGet, s.getReceipt, driverRead}}},
		{"/api/v1/sessions/{id}/receipt.html", []methodHandler{{http.MethodGet, s.getReceiptHTML, driverRead}}},
		{"/api/v1/sessions/{id}/refund", []methodHandler{{http.MethodPost, s.refundSession, write}}},
		{"/api/v1/events", []methodHandler{{http.MethodGet, s.events, driverRead}}},
		{"/api/v1/stats/power", []methodHandler{{http.MethodGet, s.powerStats, read}}},
		{"/api/v1/reports/usage", []methodHandler{{http.MethodGet, s.usageReport, read}}}, // reports.go
		{"/api/v1/reports/summary", []methodHandler{{http.MethodGet, s.reportSummary, read}}},
		// Station management (station.go).
		{"/api/v1/id-tags", []methodHandler{{http.MethodGet, s.listIDTags, read}, {http.MethodPost, s.saveIDTags, write}}},
		{"/api/v1/id-tags/{idTag}", []methodHandler{{http.MethodGet, s.getIDTag, read}, {http.MethodDelete, s.deleteIDTag, write}}},
		{"/api/v1/chargers/{id}/commands", []methodHandler{{http.MethodGet, s.listCommands, read}}},
		{"/api/v1/chargers/{id}/reset", []methodHandler{{http.MethodPost, s.reset, command}}},
		{"/api/v1/chargers/{id}/trigger", []methodHandler{{http.MethodPost, s.trigger, command}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/unlock", []methodHandler{{http.MethodPost, s.unlock, command}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/availability", []methodHandler{{http.MethodPost, s.availability, command}}},
		{"/api/v1/chargers/{id}/configuration", []methodHandler{{http.MethodGet, s.getConfiguration, read}, {http.MethodPost, s.changeConfiguration, command}}},
		{"/api/v1/chargers/{id}/configuration/read", []methodHandler{{http.MethodPost, s.readConfiguration, command}}},
		{"/api/v1/chargers/{id}/desired-configuration", []methodHandler{{http.MethodGet, s.listDesired, read}}},
		{"/api/v1/chargers/{id}/desired-configuration/{key}", []methodHandler{{http.MethodPut, s.putDesired, write}, {http.MethodDelete, s.deleteDesired, write}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/reservations", []methodHandler{{http.MethodPost, s.reserve, command}}},
		{"/api/v1/reservations", []methodHandler{{http.MethodGet, s.listReservations, read}}},
		{"/api/v1/reservations/{id}", []methodHandler{{http.MethodGet, s.getReservation, read}}},
		{"/api/v1/reservations/{id}/cancel", []methodHandler{{http.MethodPost, s.cancelReservation, command}}},
		{"/api/v1/charging-profiles", []methodHandler{{http.MethodGet, s.listChargingProfiles, read}, {http.MethodPost, s.saveChargingProfile, write}}},
		{"/api/v1/charging-profiles/{id}", []methodHandler{{http.MethodGet, s.getChargingProfile, read}}},
		{"/api/v1/chargers/{id}/charging-profiles", []methodHandler{{http.MethodGet, s.listInstalledProfiles, read}}},
		{"/api/v1/chargers/{id}/charging-profiles/clear", []methodHandler{{http.MethodPost, s.clearChargingProfiles, command}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/charging-profiles", []methodHandler{{http.MethodPost, s.applyChargingProfile, command}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/composite-schedule", []methodHandler{{http.MethodGet, s.compositeSchedule, command}}},
		// Local list and firmware (maintenance.go).
		{"/api/v1/local-list", []methodHandler{{http.MethodGet, s.listLocalListVersions, read}}},
		{"/api/v1/chargers/{id}/local-list", []methodHandler{{http.MethodPost, s.sendLocalList, command}}},
		{"/api/v1/chargers/{id}/local-list/version", []methodHandler{{http.MethodGet, s.localListVersion, command}}},
		{"/api/v1/firmware", []methodHandler{{http.MethodGet, s.listFirmware, read}, {http.MethodPost, s.uploadFirmware, write}}},
		{"/api/v1/firmware/{id}/download", []methodHandler{{http.MethodGet, s.downloadFirmware, public}}},
		{"/api/v1/chargers/{id}/firmware-updates", []methodHandler{{http.MethodGet, s.listFirmwareJobs, read}, {http.MethodPost, s.updateFirmware, command}}},
		{"/api/v1/chargers/{id}/diagnostics", []methodHandler{{http.MethodGet, s.listDiagnosticsJobs, read}, {http.MethodPost, s.requestDiagnostics, command}}},
		{"/api/v1/diagnostics-uploads/{token}", []methodHandler{{http.MethodPut, s.uploadDiagnostics, public}, {http.MethodPost, s.uploadDiagnostics, public}}},
		{"/api/v1/diagnostics/{jobId}/file", []methodHandler{{http.MethodGet, s.downloadDiagnostics, read}}},
		{"/api/v1/chargers/{id}/logs", []methodHandler{{http.MethodGet, s.listLogs, read}, {http.MethodPost, s.requestLog, command}}},
		// Charger identity and certificates (security.go).
		{"/api/v1/chargers/{id}/password", []methodHandler{{http.MethodPost, s.setChargerPassword, write}}},
		{"/api/v1/chargers/{id}/accept", []methodHandler{{http.MethodPost, s.acceptCharger, write}}},
		{"/api/v1/chargers/{id}/reject", []methodHandler{{http.MethodPost, s.rejectCharger, write}}},
		{"/api/v1/chargers/{id}/security-events", []methodHandler{{http.MethodGet, s.listChargerSecurityEvents, read}}},
		{"/api/v1/security-events", []methodHandler{{http.MethodGet, s.listSecurityEvents, read}}},
		{"/api/v1/chargers/{id}/certificates", []methodHandler{{http.MethodGet, s.listCertificates, read}, {http.MethodPost, s.installCertificate, command}}},
		{"/api/v1/chargers/{id}/certificates/delete", []methodHandler{{http.MethodPost, s.deleteCertificate, command}}},
		{"/api/v1/chargers/{id}/certificates/renew", []methodHandler{{http.MethodPost, s.renewCertificate, command}}},
		{"/api/v1/chargers/{id}/extended-trigger", []methodHandler{{http.MethodPost, s.extendedTrigger, command}}},
		{"/api/v1/pki/ca.pem", []methodHandler{{http.MethodGet, s.caCertificate, public}}},
		// People: sign-up, sign-in, accounts, API keys, audit (accounts.go).
		{"/api/v1/auth/providers", []methodHandler{{http.MethodGet, s.authProviders, public}}},
		{"/api/v1/auth/signup", []methodHandler{{http.MethodPost, s.signup, public}}},
		{"/api/v1/auth/login", []methodHandler{{http.MethodPost, s.login, public}}},
		{"/api/v1/auth/setup", []methodHandler{{http.MethodPost, s.setup, public}}},
		{"/api/v1/auth/logout", []methodHandler{{http.MethodPost, s.logout, public}}},
		{"/api/v1/auth/oidc/login", []methodHandler{{http.MethodGet, s.oidcLogin, public}}},
		{"/api/v1/auth/oidc/callback", []methodHandler{{http.MethodGet, s.oidcCallback, public}}},
		{"/api/v1/me", []methodHandler{{http.MethodGet, s.me, signedIn}, {http.MethodPatch, s.updateMe, signedIn}}},
		{"/api/v1/me/id-tags", []methodHandler{{http.MethodPost, s.linkIDTag, signedIn}}},
		{"/api/v1/me/id-tags/{idTag}", []methodHandler{{http.MethodDelete, s.unlinkIDTag, signedIn}}},
		// Wallets and saved cards (payments.go).
		{"/api/v1/me/wallet", []methodHandler{{http.MethodGet, s.myWallet, signedIn}}},
		{"/api/v1/me/wallet/entries", []methodHandler{{http.MethodGet, s.myWalletEntries, signedIn}}},
		{"/api/v1/me/payment-methods", []methodHandler{{http.MethodGet, s.listPaymentMethods, signedIn}, {http.MethodPost, s.savePaymentMethod, signedIn}}},
		{"/api/v1/me/payment-methods/{id}", []methodHandler{{http.MethodDelete, s.deletePaymentMethod, signedIn}}},
		{"/api/v1/users/{id}/wallet", []methodHandler{{http.MethodGet, s.userWallet, write}}},
		{"/api/v1/users/{id}/wallet/entries", []methodHandler{{http.MethodGet, s.userWalletEntries, write}, {http.MethodPost, s.addWalletEntry, write}}},
		{"/api/v1/users", []methodHandler{{http.MethodGet, s.listUsers, admin}, {http.MethodPost, s.createUser, admin}}},
		{"/api/v1/users/{id}", []methodHandler{{http.MethodGet, s.getUser, admin}, {http.MethodPatch, s.updateUser, admin}, {http.MethodDelete, s.deleteUser, admin}}},
		{"/api/v1/api-keys", []methodHandler{{http.MethodGet, s.listAPIKeys, admin}, {http.MethodPost, s.createAPIKey, admin}}},
		{"/api/v1/api-keys/{id}", []methodHandler{{http.MethodDelete, s.deleteAPIKey, admin}}},
		{"/api/v1/audit", []methodHandler{{http.MethodGet, s.listAudit, admin}}},
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		var allow []string
		for _, m := range r.methods {
			mux.HandleFunc(m.method+" "+r.path, s.guard(m.method, r.path, m.access, m.h))
			s.routes = append(s.routes, m.method+" "+r.path)
			ra := RouteAccess{Method: m.method, Path: r.path, Family: m.access.Family()}
			if m.access != public {
				for _, role := range charging.Roles {
					if m.access.allows(role) {
						ra.Roles = append(ra.Roles, role)
					}
				}
			}
			s.access = append(s.access, ra)
			allow = append(allow, m.method)
			if m.method == http.MethodGet {
				allow = append(allow, http.MethodHead) // ServeMux routes HEAD to GET patterns
			}
		}
		// The same path without a method matches every other method: answer
		// 405 as a problem instead of ServeMux's plain-text one.
		mux.HandleFunc(r.path, s.methodNotAllowed(strings.Join(allow, ", ")))
	}
	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.problem(w, r, http.StatusNotFound, charging.ENOTFOUND, "no route for "+r.Method+" "+r.URL.Path)
}

func (s *Server) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		s.problem(w, r, http.StatusMethodNotAllowed, codeMethodNotAllowed,
			"method "+r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+allow)
	}
}
