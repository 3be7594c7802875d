package soapcs

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/gateway"
	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
	"github.com/joule-ev/joule/internal/ocpp/soap"
	"github.com/joule-ev/joule/internal/ocpp/soap/soapjson"
)

// Addresses records where a SOAP charger's own service listens, so that
// Joule can call it (csms.Service.SOAPChargerSeen).
type Addresses interface {
	SOAPChargerSeen(ctx context.Context, chargerID, address string) error
}

// Sessions lists sessions; the server asks it whether a transaction runs
// on a 1.5 connector that reports Occupied.
type Sessions interface {
	ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error)
}

// Attacher makes an online SOAP charger's Station the one Joule's
// commands for it go to (*gateway.Gateway; gateway/soap.go).
type Attacher interface {
	AttachSOAP(chargerID string, st gateway.Station) bool
	DetachSOAP(chargerID string, st gateway.Station)
	// AttachedSOAP reports whether st is still the charger's entry: an
	// operator's Disconnect, another node's claim or a WebSocket
	// connection of the same charger removes it.
	AttachedSOAP(chargerID string, st gateway.Station) bool
}

// Options configure a Server. Events is required.
type Options struct {
	Events charging.StationEvents
	// Admit applies the OCPP-J admission rules to a request that speaks
	// for chargerID (gateway.Gateway.AdmitHTTP); when it returns false it
	// has answered. nil admits every request.
	Admit func(w http.ResponseWriter, r *http.Request, chargerID string) bool
	// Addresses records the charger's wsa:From; nil records nothing.
	Addresses Addresses
	// Sessions resolves 1.5's Occupied; nil maps it to Preparing always.
	Sessions Sessions
	Logger   *slog.Logger
	// MaxBytes bounds an envelope (soap.DefaultMaxBytes if <= 0).
	MaxBytes int64
	// Silence is how long a charger that this server heard from may stay
	// silent before Run marks it offline: its heartbeats stopped (default
	// DefaultSilence: two 5-minute heartbeat intervals and a minute).
	Silence time.Duration

	// Attacher takes the Station of each charger this server marks
	// online and can call (it sent its address as wsa:From), until Run
	// marks it offline; nil: SOAP chargers get no commands.
	Attacher Attacher
	// HTTP calls the chargers' services (TLS settings for https
	// addresses); nil: http.DefaultClient.
	HTTP *http.Client
	// CallTimeout bounds each command once sent, as the gateway's
	// CallTimeout does over OCPP-J (default soap.DefaultTimeout).
	CallTimeout time.Duration
	// Observer is told each command's outcome and duration (metrics).
	Observer ocppj.Observer
}

// DefaultSilence is Options.Silence's default.
const DefaultSilence = 11 * time.Minute

// Server is the central-system service at POST /ocpp/soap.
type Server struct {
	opts    Options
	log     *slog.Logger
	refresh time.Duration // onlineRefresh; shorter in tests

	mu sync.Mutex
	// chargers keeps one adapter per charger, so that the registration a
	// BootNotification set gates the next messages as on a connection,
	// with the caller its commands go out by. It holds admitted chargers
	// only. Guarded by mu.
	chargers map[string]*charger
	// heard holds when this server last heard from each charger;
	// addresses the service address last recorded for each. Guarded by mu.
	heard     map[string]time.Time
	addresses map[string]string
}

// NewServer returns the service.
func NewServer(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Silence <= 0 {
		opts.Silence = DefaultSilence
	}
	return &Server{opts: opts, log: log, refresh: onlineRefresh, chargers: map[string]*charger{},
		heard: map[string]time.Time{}, addresses: map[string]string{}}
}

// charger is what the server keeps of one charger: its adapter, which
// answers its messages and takes Joule's commands, and the caller that
// sends them to its service.
type charger struct {
	station *ocpp16.Station
	caller  *Caller
	// attached: the Station was handed to Options.Attacher and not taken
	// back by this server. The gateway may have let go of it since (an
	// operator's Disconnect, an OCPP-J connection of the same charger, a
	// cluster node that heard the charger later): the next time the
	// charger is marked online attaches it again.
	attached bool
}

// ServeHTTP answers one envelope. Every failure before the domain ran is a
// fault with nothing stored: the envelope, the operation and the body are
// checked, and the charger admitted, before any event is recorded.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	msg, o, req, f := soapjson.ReadRequest(r, soap.CentralSystem, s.opts.MaxBytes, nil)
	if f != nil {
		relates := ""
		if msg != nil {
			relates = msg.MessageID
		}
		s.fault(w, f, relates, msg)
		return
	}
	ns := msg.Body.Space
	if msg.From != "" && msg.From != soap.Anonymous {
		// Joule will call the charger at its wsa:From: an address it
		// cannot call is refused before anything is stored.
		if err := charging.ValidSOAPAddress(msg.From); err != nil {
			s.fault(w, &soap.Fault{Code: soap.CodeSender, Subcodes: []xml.Name{{Space: soap.NSAddressing, Local: soap.SubcodeInvalidAddressingHeader}},
				Reason: "wsa:From: " + charging.ErrorMessage(err)}, msg.MessageID, msg)
			return
		}
	}
	id := msg.ChargeBoxIdentity
	if s.opts.Admit != nil && !s.opts.Admit(w, r, id) {
		return
	}
	ctx := r.Context()
	payload, err := soapjson.ToJSON(ctx, req, func(ctx context.Context, connectorID int) (bool, error) {
		return s.occupied(ctx, id, connectorID)
	})
	if err != nil {
		// A 1.5 value 1.6 (and so the domain) cannot hold, such as an
		// info text longer than 1.6 allows, is the charger's to fix.
		f, internal := soapjson.RequestJSONFault(ns, err)
		if internal {
			s.log.Error("soap: converting a request", "charger", id, "operation", msg.Operation, "err", err)
		}
		s.fault(w, f, msg.MessageID, msg)
		return
	}
	if err := s.seen(ctx, id, msg); err != nil {
		s.fault(w, soapjson.CallErrorFault(ns, err), msg.MessageID, msg)
		return
	}
	out, err := s.charger(id, msg.Version).station.HandleCall(ctx, msg.Operation, payload)
	if err != nil {
		s.fault(w, soapjson.CallErrorFault(ns, err), msg.MessageID, msg)
		return
	}
	resp, err := soapjson.Response(o, out)
	if err != nil {
		s.fault(w, soap.ReceiverFault(ns, soap.SubcodeInternalError, "internal error"), msg.MessageID, msg)
		s.log.Error("soap: converting a response", "charger", id, "operation", msg.Operation, "err", err)
		return
	}
	if err := soap.WriteResponse(w, msg.Reply(resp)); err != nil {
		s.log.Warn("soap: writing a response", "charger", id, "operation", msg.Operation, "err", err)
	}
}

// onlineRefresh is how long a charger may be silent before its next
// message marks it online again (Connected) rather than only seen: Run,
// or in a cluster the leader's presence pass (node.reconcilePresence),
// marks a silent SOAP charger offline, and the next message after such a
// silence must undo that.
const onlineRefresh = time.Minute

// Run marks offline, until ctx ends, the chargers this server heard from
// whose messages stopped for Options.Silence: a SOAP charger has no
// connection whose end says so. Their next message marks them online again.
func (s *Server) Run(ctx context.Context) {
	every := min(s.opts.Silence/4, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.expire(ctx, time.Now())
		}
	}
}

// expire marks offline the chargers silent since before now less Silence.
func (s *Server) expire(ctx context.Context, now time.Time) {
	var silent []string
	s.mu.Lock()
	for id, last := range s.heard {
		if now.Sub(last) > s.opts.Silence {
			silent = append(silent, id)
			delete(s.heard, id)
		}
	}
	s.mu.Unlock()
	for _, id := range silent {
		s.log.Info("SOAP charger silent: offline", "charger", id, "silence", s.opts.Silence.String())
		// Detached first: the domain keeps a charger online that the
		// commander still reports connected.
		s.detach(id)
		if err := s.opts.Events.Disconnected(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Error("mark a silent SOAP charger offline", "charger", id, "err", err)
		}
	}
}

// seen records the charger's presence and its service address. A SOAP
// charger has no connection: it is marked online (Connected) at every
// BootNotification, the first time this server hears from it, after a
// silence of onlineRefresh, and when it speaks another OCPP version than
// before; every other message counts as a sign of life, as a heartbeat
// does. Connected drops the charger's cached live sessions, which only
// costs the next meter report a read. Run marks a charger offline when its
// messages stop.
//
// When it is marked online, a charger whose address is known is attached
// (Options.Attacher) before Connected, so that commands find it once the
// domain says it is online; one that has not sent an address yet is
// attached by the first message that carries one.
func (s *Server) seen(ctx context.Context, id string, msg *soap.Message) error {
	version := charging.OCPP16S
	if msg.Version == soap.V15 {
		version = charging.OCPP15S
	}
	boot := msg.Operation == "BootNotification"
	from := msg.From
	if from == soap.Anonymous {
		from = ""
	}
	now := time.Now()
	s.mu.Lock()
	last, heard := s.heard[id]
	ch := s.chargers[id]
	switched := ch != nil && ch.caller.Version() != msg.Version
	s.mu.Unlock()
	// After a silence the charger may have been marked offline meanwhile
	// (see onlineRefresh), unless its Station is still attached here: an
	// attached charger is online, and a heartbeat need not announce it
	// again.
	stale := now.Sub(last) > s.refresh && !(ch != nil && !switched && s.holds(id, ch))
	if boot || !heard || switched || stale {
		attached := s.attach(id, msg.Version, from)
		if err := s.opts.Events.Connected(ctx, id, version); err != nil {
			if attached {
				s.detach(id)
			}
			return err
		}
	} else {
		if from != "" {
			s.addressSeen(id, msg.Version, from)
		}
		if msg.Operation != "Heartbeat" { // Heartbeat records this itself
			if _, err := s.opts.Events.Heartbeat(ctx, id); err != nil {
				return err
			}
		}
	}
	s.mu.Lock()
	s.heard[id] = now
	s.mu.Unlock()
	return s.recordAddress(ctx, id, msg.From, boot)
}

// recordAddress stores the charger's wsa:From when a message other than
// a boot names another address than the one stored (a boot stores it in
// its own unit of work: bootEvents). Anonymous is no address to call.
func (s *Server) recordAddress(ctx context.Context, id, from string, boot bool) error {
	if s.opts.Addresses == nil || from == "" || from == soap.Anonymous || boot {
		return nil
	}
	s.mu.Lock()
	same := s.addresses[id] == from
	s.mu.Unlock()
	if same {
		return nil
	}
	if err := s.opts.Addresses.SOAPChargerSeen(ctx, id, from); err != nil {
		return err
	}
	s.mu.Lock()
	s.addresses[id] = from
	s.mu.Unlock()
	return nil
}

// charger returns the charger's adapter for version v, built at its first
// message and again when it speaks another version (it was updated and
// booted: its registration is read anew, its address kept; the old
// Station is detached). s.mu must not be held.
func (s *Server) charger(id string, v soap.Version) *charger {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chargerLocked(id, v)
}

func (s *Server) chargerLocked(id string, v soap.Version) *charger {
	ch := s.chargers[id]
	if ch != nil && ch.caller.Version() == v {
		return ch
	}
	if ch != nil && ch.attached {
		s.opts.Attacher.DetachSOAP(id, ch.station) // the new version's Station takes its place
	}
	log := s.log.With("charger", id, "protocol", "ocpp-s", "ocpp", string(v))
	c := NewCaller(v, id, "", CallerOptions{HTTP: s.opts.HTTP, Timeout: s.opts.CallTimeout, MaxBytes: s.opts.MaxBytes,
		Observer: s.opts.Observer, Logger: s.log})
	if ch != nil {
		c.SetAddress(ch.caller.Address())
	}
	st := ocpp16.NewStation(id, c, bootEvents{StationEvents: s.opts.Events, s: s, caller: c}, log)
	if v == soap.V15 {
		st.NoStopReasons()
	}
	ch = &charger{station: st, caller: c}
	s.chargers[id] = ch
	return ch
}

// attach hands the charger's Station to the Attacher when Joule can call
// it: from (its wsa:From, "" if none) or an address it sent before. It
// reports whether it attached.
func (s *Server) attach(id string, v soap.Version, from string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chargerLocked(id, v)
	if from != "" {
		ch.caller.SetAddress(from)
	}
	if s.opts.Attacher == nil {
		return false
	}
	if ch.caller.Address() == "" {
		ch.attached = false
		s.log.Warn("SOAP charger online without an address: Joule cannot send it commands until a message carries its wsa:From",
			"charger", id)
		return false
	}
	ch.attached = s.opts.Attacher.AttachSOAP(id, ch.station)
	return ch.attached
}

// holds reports whether ch's Station is attached to this node's gateway.
func (s *Server) holds(id string, ch *charger) bool {
	s.mu.Lock()
	attached := ch.attached
	s.mu.Unlock()
	return attached && s.opts.Attacher != nil && s.opts.Attacher.AttachedSOAP(id, ch.station)
}

// addressSeen takes the address of a message that does not mark the
// charger online: it becomes the caller's, and a charger that could not be
// called before is attached now.
func (s *Server) addressSeen(id string, v soap.Version, from string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chargerLocked(id, v)
	if ch.caller.Address() != from {
		ch.caller.SetAddress(from)
	}
	if !ch.attached && s.opts.Attacher != nil {
		ch.attached = s.opts.Attacher.AttachSOAP(id, ch.station)
	}
}

// detach takes the charger's Station back from the Attacher.
func (s *Server) detach(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chargers[id]
	if ch == nil || !ch.attached {
		return
	}
	ch.attached = false
	s.opts.Attacher.DetachSOAP(id, ch.station)
}

// occupied reports whether a transaction runs on the connector.
func (s *Server) occupied(ctx context.Context, chargerID string, connectorID int) (bool, error) {
	if s.opts.Sessions == nil {
		return false, nil
	}
	p, err := s.opts.Sessions.ListSessions(ctx, charging.SessionQuery{ChargerID: chargerID, ConnectorID: connectorID,
		Status: []charging.SessionStatus{charging.SessionActive}, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(p.Items) > 0, nil
}

func (s *Server) fault(w http.ResponseWriter, f *soap.Fault, relatesTo string, msg *soap.Message) {
	attrs := []any{"fault", f.Error()}
	if msg != nil {
		attrs = append(attrs, "charger", msg.ChargeBoxIdentity, "action", msg.Action)
	}
	s.log.Warn("soap: answered a fault", attrs...)
	if err := soap.WriteFault(w, f, relatesTo); err != nil {
		s.log.Warn("soap: writing a fault", "err", err)
	}
}

// bootEvents are a SOAP charger's Station events: its BootNotification
// carries the address Joule calls it at (its caller's, from the boot's
// wsa:From) into the boot's own unit of work, so the boot and the address
// are stored together or not at all.
type bootEvents struct {
	charging.StationEvents
	s      *Server
	caller *Caller
}

func (e bootEvents) Booted(ctx context.Context, id string, info charging.BootInfo) (charging.BootResult, error) {
	if e.s.opts.Addresses != nil {
		info.SOAPAddress = e.caller.Address()
	}
	res, err := e.StationEvents.Booted(ctx, id, info)
	if err == nil && info.SOAPAddress != "" {
		e.s.mu.Lock()
		e.s.addresses[id] = info.SOAPAddress
		e.s.mu.Unlock()
	}
	return res, err
}
