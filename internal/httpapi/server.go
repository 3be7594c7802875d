package httpapi

import (
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
}

// Server is the app API. Create it with NewServer and serve Handler.
type Server struct {
	svc     Service
	bus     charging.EventBus
	log     *slog.Logger
	opts    Options
	handler http.Handler
	routes  []string // "METHOD /path" of every API route, for tests and the OpenAPI check

	shutdownOnce sync.Once
	shutdown     chan struct{} // closed by SetShuttingDown
}

// NewServer returns a Server that calls svc and streams events from bus.
func NewServer(svc Service, bus charging.EventBus, opts Options) *Server {
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
		shutdown: make(chan struct{}),
	}
	s.handler = s.logRequests(s.recoverPanics(asAPI(s.mux())))
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
}

func (s *Server) mux() *http.ServeMux {
	routes := []route{
		{"/livez", []methodHandler{{http.MethodGet, s.livez}}},
		{"/readyz", []methodHandler{{http.MethodGet, s.readyz}}},
		{"/api/v1/openapi.yaml", []methodHandler{{http.MethodGet, s.openAPI}}},
		{"/api/v1/chargers", []methodHandler{{http.MethodGet, s.listChargers}, {http.MethodPost, s.registerCharger}}},
		{"/api/v1/chargers/{id}", []methodHandler{{http.MethodGet, s.getCharger}, {http.MethodPatch, s.patchCharger}, {http.MethodDelete, s.deleteCharger}}},
		{"/api/v1/chargers/{id}/variables", []methodHandler{{http.MethodGet, s.listVariables}}},
		{"/api/v1/chargers/{id}/charger-events", []methodHandler{{http.MethodGet, s.listChargerEvents}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}", []methodHandler{{http.MethodPatch, s.updateConnector}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/start", []methodHandler{{http.MethodPost, s.startSession}}},
		{"/api/v1/chargers/{id}/commands/{action}", []methodHandler{{http.MethodPost, s.command}}},
		{"/api/v1/sessions", []methodHandler{{http.MethodGet, s.listSessions}}},
		{"/api/v1/sessions.csv", []methodHandler{{http.MethodGet, s.exportSessions}}},
		{"/api/v1/sessions/{id}", []methodHandler{{http.MethodGet, s.getSession}}},
		{"/api/v1/sessions/{id}/stop", []methodHandler{{http.MethodPost, s.stopSession}}},
		{"/api/v1/sessions/{id}/meter-values", []methodHandler{{http.MethodGet, s.listMeterValues}}},
		{"/api/v1/events", []methodHandler{{http.MethodGet, s.events}}},
		// Station management (station.go).
		{"/api/v1/id-tags", []methodHandler{{http.MethodGet, s.listIDTags}, {http.MethodPost, s.saveIDTags}}},
		{"/api/v1/id-tags/{idTag}", []methodHandler{{http.MethodGet, s.getIDTag}, {http.MethodDelete, s.deleteIDTag}}},
		{"/api/v1/chargers/{id}/commands", []methodHandler{{http.MethodGet, s.listCommands}}},
		{"/api/v1/chargers/{id}/reset", []methodHandler{{http.MethodPost, s.reset}}},
		{"/api/v1/chargers/{id}/trigger", []methodHandler{{http.MethodPost, s.trigger}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/unlock", []methodHandler{{http.MethodPost, s.unlock}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/availability", []methodHandler{{http.MethodPost, s.availability}}},
		{"/api/v1/chargers/{id}/configuration", []methodHandler{{http.MethodGet, s.getConfiguration}, {http.MethodPost, s.changeConfiguration}}},
		{"/api/v1/chargers/{id}/configuration/read", []methodHandler{{http.MethodPost, s.readConfiguration}}},
		{"/api/v1/chargers/{id}/desired-configuration", []methodHandler{{http.MethodGet, s.listDesired}}},
		{"/api/v1/chargers/{id}/desired-configuration/{key}", []methodHandler{{http.MethodPut, s.putDesired}, {http.MethodDelete, s.deleteDesired}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/reservations", []methodHandler{{http.MethodPost, s.reserve}}},
		{"/api/v1/reservations", []methodHandler{{http.MethodGet, s.listReservations}}},
		{"/api/v1/reservations/{id}", []methodHandler{{http.MethodGet, s.getReservation}}},
		{"/api/v1/reservations/{id}/cancel", []methodHandler{{http.MethodPost, s.cancelReservation}}},
		{"/api/v1/charging-profiles", []methodHandler{{http.MethodGet, s.listChargingProfiles}, {http.MethodPost, s.saveChargingProfile}}},
		{"/api/v1/charging-profiles/{id}", []methodHandler{{http.MethodGet, s.getChargingProfile}}},
		{"/api/v1/chargers/{id}/charging-profiles", []methodHandler{{http.MethodGet, s.listInstalledProfiles}}},
		{"/api/v1/chargers/{id}/charging-profiles/clear", []methodHandler{{http.MethodPost, s.clearChargingProfiles}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/charging-profiles", []methodHandler{{http.MethodPost, s.applyChargingProfile}}},
		{"/api/v1/chargers/{id}/connectors/{connectorId}/composite-schedule", []methodHandler{{http.MethodGet, s.compositeSchedule}}},
		// Local list and firmware (maintenance.go).
		{"/api/v1/local-list", []methodHandler{{http.MethodGet, s.listLocalListVersions}}},
		{"/api/v1/chargers/{id}/local-list", []methodHandler{{http.MethodPost, s.sendLocalList}}},
		{"/api/v1/chargers/{id}/local-list/version", []methodHandler{{http.MethodGet, s.localListVersion}}},
		{"/api/v1/firmware", []methodHandler{{http.MethodGet, s.listFirmware}, {http.MethodPost, s.uploadFirmware}}},
		{"/api/v1/firmware/{id}/download", []methodHandler{{http.MethodGet, s.downloadFirmware}}},
		{"/api/v1/chargers/{id}/firmware-updates", []methodHandler{{http.MethodGet, s.listFirmwareJobs}, {http.MethodPost, s.updateFirmware}}},
		{"/api/v1/chargers/{id}/diagnostics", []methodHandler{{http.MethodGet, s.listDiagnosticsJobs}, {http.MethodPost, s.requestDiagnostics}}},
		{"/api/v1/diagnostics-uploads/{token}", []methodHandler{{http.MethodPut, s.uploadDiagnostics}, {http.MethodPost, s.uploadDiagnostics}}},
		{"/api/v1/diagnostics/{jobId}/file", []methodHandler{{http.MethodGet, s.downloadDiagnostics}}},
		{"/api/v1/chargers/{id}/logs", []methodHandler{{http.MethodGet, s.listLogs}, {http.MethodPost, s.requestLog}}},
		// Charger identity and certificates (security.go).
		{"/api/v1/chargers/{id}/password", []methodHandler{{http.MethodPost, s.setChargerPassword}}},
		{"/api/v1/chargers/{id}/accept", []methodHandler{{http.MethodPost, s.acceptCharger}}},
		{"/api/v1/chargers/{id}/reject", []methodHandler{{http.MethodPost, s.rejectCharger}}},
		{"/api/v1/chargers/{id}/security-events", []methodHandler{{http.MethodGet, s.listChargerSecurityEvents}}},
		{"/api/v1/security-events", []methodHandler{{http.MethodGet, s.listSecurityEvents}}},
		{"/api/v1/chargers/{id}/certificates", []methodHandler{{http.MethodGet, s.listCertificates}, {http.MethodPost, s.installCertificate}}},
		{"/api/v1/chargers/{id}/certificates/delete", []methodHandler{{http.MethodPost, s.deleteCertificate}}},
		{"/api/v1/chargers/{id}/certificates/renew", []methodHandler{{http.MethodPost, s.renewCertificate}}},
		{"/api/v1/chargers/{id}/extended-trigger", []methodHandler{{http.MethodPost, s.extendedTrigger}}},
		{"/api/v1/pki/ca.pem", []methodHandler{{http.MethodGet, s.caCertificate}}},
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		var allow []string
		for _, m := range r.methods {
			mux.HandleFunc(m.method+" "+r.path, m.h)
			s.routes = append(s.routes, m.method+" "+r.path)
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
