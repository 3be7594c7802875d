package csms

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/tariff"
)

// Smart charging (issue 15, ADR 12): Joule divides each site's grid limit
// among its active sessions and sends every session its share as a
// TxProfile.
//
// The balancer runs on the node that does the background work (the
// leader). It learns what happens from the bus, so it sees the chargers
// of every node: session starts, stops and meter values, site and charger
// changes, site meter readings. A change marks its site dirty; dirty
// sites are reallocated after SmartDelay (so that a burst of events is one
// reallocation), and every site with a limit at least every
// SmartInterval (a grid signal's expiry, a departure plan's next period,
// a TxProfile's lease).
//
// Safety: limits that fall are sent before limits that rise, each after
// the charger accepted the one before. Every TxProfile Joule sends is
// valid for SmartLease only and renewed at half of it; each charger of a
// site also has Joule's failsafe profiles: a ChargePointMaxProfile at the
// site's limit, and a TxDefaultProfile that holds a new transaction at 0 A
// for one lease, then allows the site's safe share (its limit over its
// connectors). If Joule becomes unreachable, within one lease every
// connector falls to the safe share, and the site stays under its limit.

// Smart-charging defaults.
const (
	DefaultSmartDelay    = time.Second
	DefaultSmartInterval = 10 * time.Second
	DefaultSmartLease    = 10 * time.Minute
	DefaultSiteLoadEvery = time.Minute
	// SiteLoadRetention is how long the site load history is kept.
	SiteLoadRetention = 30 * 24 * time.Hour

	// smartStackLevel is the stack level of the profiles Joule sends for
	// smart charging: above an operator's stored profiles at 0.
	smartStackLevel = 10
	// minACCurrentA is the least current an AC vehicle charges with (IEC
	// 61851-1: 6 A).
	minACCurrentA = 6.0
	// defaultMaxA is a connector's maximum current per phase when Joule
	// does not know its maximum power.
	defaultMaxA = 32.0
	// smartParallel is how many chargers a reallocation asks at once.
	smartParallel = 16
	// meterFresh is how long a site meter reading counts.
	meterFresh = 2 * time.Minute
)

// smartState is the balancer's memory on this node.
type smartState struct {
	mu          sync.Mutex
	dirty       map[string]struct{}    // sites to reallocate
	kick        chan struct{}          // a site became dirty
	chargerSite map[string]string      // charger → site ("" none), a cache
	draws       map[string]sessionDraw // session → its latest draw
	meters      map[string]siteReading // site → its meter's latest reading
	meterOf     map[string]string      // meter charger → its site
	sent        map[string]time.Time   // session → when its TxProfile was last sent
	failsafe    map[string]string      // charger → the failsafe it has ("" none)
	loadLogged  map[string]time.Time   // site → its last load sample
	// limited says which sites have a gridLimit, as last seen: events of
	// a site known to have none cost nothing (a fleet without smart
	// charging never pays for the balancer).
	limited map[string]bool
	// peakBuilding is the highest building load a site's meter showed in
	// the last hour, per site: the failsafe keeps it free.
	peakBuilding map[string]peak
	// ids serialises taking a new profile id (NextChargingProfileID, then
	// saving it) between parallel sends.
	ids sync.Mutex
	// subscribed is 1 while the balancer listens to the bus.
	subscribed atomic.Int32
	lastLoad   map[string]charging.SiteLoad
}

type peak struct {
	a  float64
	at time.Time
}

type sessionDraw struct {
	phaseA [3]float64 // per phase
	mask   uint8      // phases it draws on (0: unknown)
	at     time.Time
}

// onGrid is d, read on the connector's phases, on the grid's phases.
func (d sessionDraw) onGrid(rot charging.PhaseRotation) sessionDraw {
	d.phaseA, d.mask = rot.GridCurrents(d.phaseA), rot.GridMask(d.mask)
	return d
}

type siteReading struct {
	charging.SiteMeterReading
	received time.Time
}

func (st *smartState) init() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dirty != nil {
		return
	}
	st.dirty = map[string]struct{}{}
	st.kick = make(chan struct{}, 1)
	st.chargerSite = map[string]string{}
	st.draws = map[string]sessionDraw{}
	st.meters = map[string]siteReading{}
	st.meterOf = map[string]string{}
	st.sent = map[string]time.Time{}
	st.failsafe = map[string]string{}
	st.loadLogged = map[string]time.Time{}
	st.limited = map[string]bool{}
	st.peakBuilding = map[string]peak{}
	st.lastLoad = map[string]charging.SiteLoad{}
}

func (s *Service) smartDelay() time.Duration { return cmp.Or(s.cfg.SmartDelay, DefaultSmartDelay) }
func (s *Service) smartInterval() time.Duration {
	return cmp.Or(s.cfg.SmartInterval, DefaultSmartInterval)
}
func (s *Service) smartLease() time.Duration { return cmp.Or(s.cfg.SmartLease, DefaultSmartLease) }
func (s *Service) siteLoadEvery() time.Duration {
	return cmp.Or(s.cfg.SiteLoadEvery, DefaultSiteLoadEvery)
}

// markSite queues a site for reallocation, unless it is known to have no
// limit.
func (s *Service) markSite(siteID string) {
	if siteID == "" {
		return
	}
	st := &s.smart
	st.mu.Lock()
	if lim, known := st.limited[siteID]; known && !lim {
		st.mu.Unlock()
		return
	}
	st.dirty[siteID] = struct{}{}
	st.mu.Unlock()
	select {
	case st.kick <- struct{}{}:
	default:
	}
}

// siteOf returns the site of a charger, from the cache or the store.
func (s *Service) siteOf(ctx context.Context, chargerID string) string {
	st := &s.smart
	st.mu.Lock()
	site, ok := st.chargerSite[chargerID]
	st.mu.Unlock()
	if ok {
		return site
	}
	c, err := s.store.GetCharger(ctx, chargerID)
	if err != nil {
		return ""
	}
	st.mu.Lock()
	st.chargerSite[chargerID] = c.SiteID
	st.mu.Unlock()
	return c.SiteID
}

// runSmart is the balancer's loop (see the top of this file). Every node
// listens, so that a new leader knows the latest draws; only the leader
// reallocates.
func (s *Service) runSmart(ctx context.Context) {
	s.smart.init()
	tick := time.NewTicker(s.smartInterval())
	defer tick.Stop()
	var delay <-chan time.Time
	sub := s.bus.Subscribe(charging.EventFilter{})
	s.smart.subscribed.Store(1)
	defer func() { sub.Close(); s.smart.subscribed.Store(0) }()
	everything := true // reallocate every site with a limit at the next chance
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				// Dropped for being slow: listen again and look at everything.
				sub = s.bus.Subscribe(charging.EventFilter{})
				everything = true
				if delay == nil {
					delay = time.After(s.smartDelay())
				}
				continue
			}
			s.smartEvent(ctx, e)
		case <-s.smart.kick:
			if delay == nil {
				delay = time.After(s.smartDelay())
			}
		case <-delay:
			delay = nil
			if s.leader() {
				s.rebalanceDirty(ctx, everything)
				everything = false
			}
		case <-tick.C:
			if s.leader() {
				s.rebalanceDirty(ctx, true)
				everything = false
				s.purgeSiteLoad(ctx)
			} else {
				everything = true
			}
		}
	}
}

// Subscriptions is how many bus subscriptions the service itself holds
// (the balancer's), so that a count of subscribers can leave them out.
func (s *Service) Subscriptions() int { return int(s.smart.subscribed.Load()) }

// smartEvent notes what an event changes for the balancer.
func (s *Service) smartEvent(ctx context.Context, e charging.Event) {
	st := &s.smart
	switch e.Type {
	case charging.EventSessionStarted, charging.EventSessionStopped, charging.EventSessionFailed, charging.EventSessionUpdated:
		if e.Type != charging.EventSessionUpdated {
			st.mu.Lock()
			delete(st.draws, e.SessionID)
			if e.Type != charging.EventSessionStarted {
				delete(st.sent, e.SessionID)
			}
			st.mu.Unlock()
		}
		if e.Type == charging.EventSessionUpdated && e.Session != nil && e.Session.Status != charging.SessionActive {
			return
		}
		if e.Type == charging.EventSessionUpdated && e.Session != nil && smartOnly(e.Session) {
			// Joule's own allocation write: nothing changed for the site.
			return
		}
		s.markSite(s.siteOf(ctx, e.ChargerID))
	case charging.EventSessionMeter:
		if e.Session == nil || e.Session.Status != charging.SessionActive {
			return
		}
		d, ok := drawOf(e.Samples, e.Session)
		if !ok {
			return
		}
		st.mu.Lock()
		old, had := st.draws[e.SessionID]
		st.draws[e.SessionID] = d
		st.mu.Unlock()
		// A draw that changed by an ampere or more, or the first one, is a
		// reason to look again.
		if !had || old.mask != d.mask || maxAbsDiff(old.phaseA, d.phaseA) >= 1 {
			s.markSite(s.siteOf(ctx, e.ChargerID))
		}
	case charging.EventChargerMeter:
		st.mu.Lock()
		site, ok := st.meterOf[e.ChargerID]
		st.mu.Unlock()
		if !ok {
			return
		}
		if r, ok := readingOf(e.Samples, e.Time); ok {
			s.noteMeter(site, r)
		}
	case charging.EventSiteMeter:
		if e.Reading != nil {
			s.noteMeter(e.SiteID, *e.Reading)
		}
	case charging.EventSiteUpdated, charging.EventSiteCreated:
		// Look again, whether it has a limit now or lost one (its
		// allocations are then removed).
		st.mu.Lock()
		delete(st.limited, e.SiteID)
		st.mu.Unlock()
		s.markSite(e.SiteID)
	case charging.EventSiteDeleted:
		st.mu.Lock()
		delete(st.lastLoad, e.SiteID)
		delete(st.limited, e.SiteID)
		for c, site := range st.chargerSite {
			if site == e.SiteID {
				delete(st.chargerSite, c)
			}
		}
		st.mu.Unlock()
	case charging.EventChargerUpdated:
		// Its site may have changed: both sites look again.
		st.mu.Lock()
		old := st.chargerSite[e.ChargerID]
		delete(st.chargerSite, e.ChargerID)
		delete(st.failsafe, e.ChargerID)
		st.mu.Unlock()
		s.markSite(old)
		if e.Charger != nil {
			s.markSite(e.Charger.SiteID)
		} else {
			s.markSite(s.siteOf(ctx, e.ChargerID))
		}
	case charging.EventChargerBooted, charging.EventChargerConnected:
		// A charger that rebooted lost its TxProfiles; one that
		// reconnected may have missed a change.
		st.mu.Lock()
		delete(st.failsafe, e.ChargerID)
		st.mu.Unlock()
		if s.leader() {
			// Only the leader sends limits (a new leader starts with none
			// sent): other nodes skip the store read a connect would cost.
			s.forgetSent(ctx, e.ChargerID)
		}
		s.markSite(s.siteOf(ctx, e.ChargerID))
	}
}

// smartOnly reports whether a session.updated event is the balancer's own
// allocation write: writeAllocations sets the session's UpdatedAt to the
// allocation's.
func smartOnly(ses *charging.Session) bool {
	return ses.Smart != nil && ses.Smart.Allocation != nil && ses.Smart.Allocation.UpdatedAt.Equal(ses.UpdatedAt)
}

// forgetSent drops what was sent to a charger's sessions, so that they
// are sent again.
func (s *Service) forgetSent(ctx context.Context, chargerID string) {
	page, err := s.store.ListSessions(ctx, charging.SessionQuery{ChargerID: chargerID, Status: []charging.SessionStatus{charging.SessionActive}, Limit: 1000})
	if err != nil {
		return
	}
	st := &s.smart
	st.mu.Lock()
	for _, ses := range page.Items {
		delete(st.sent, ses.ID)
	}
	st.mu.Unlock()
}

func (s *Service) noteMeter(siteID string, r charging.SiteMeterReading) {
	st := &s.smart
	st.mu.Lock()
	old, had := st.meters[siteID]
	st.meters[siteID] = siteReading{SiteMeterReading: r, received: time.Now()}
	st.mu.Unlock()
	if !had || maxAbsDiff(old.CurrentA, r.CurrentA) >= 1 {
		s.markSite(siteID)
	}
}

func maxAbsDiff(a, b [3]float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// phaseIndex maps an OCPP phase to 0..2 (L1, L2, L3; line-to-neutral
// too), -1 for none or another.
func phaseIndex(p string) int {
	switch p {
	case "L1", "L1-N":
		return 0
	case "L2", "L2-N":
		return 1
	case "L3", "L3-N":
		return 2
	}
	return -1
}

// drawOf reads a session's draw per phase from its meter samples: the
// per-phase Current.Import readings, else the phase-less one on every
// phase, else the power over the nominal voltage. ok is false when the
// samples say nothing about it.
func drawOf(samples []charging.MeterSample, ses *charging.Session) (sessionDraw, bool) {
	var d sessionDraw
	var total, power float64
	var havePhase, haveTotal, havePower bool
	for _, m := range samples {
		if m.Location != "" && m.Location != "Outlet" && m.Location != "Inlet" {
			continue
		}
		switch m.Measurand {
		case "Current.Import":
			if m.Unit != "" && m.Unit != "A" {
				continue
			}
			if i := phaseIndex(m.Phase); i >= 0 {
				d.phaseA[i], havePhase = m.Value, true
				d.at = m.Timestamp
			} else if m.Phase == "" {
				total, haveTotal = m.Value, true
				d.at = m.Timestamp
			}
		case "Power.Active.Import":
			if m.Phase != "" {
				continue
			}
			v := m.Value
			if m.Unit == "kW" {
				v *= 1000
			} else if m.Unit != "" && m.Unit != "W" {
				continue
			}
			power, havePower = v, true
			if d.at.IsZero() {
				d.at = m.Timestamp
			}
		}
	}
	switch {
	case havePhase:
		for i, a := range d.phaseA {
			if a >= 1 {
				d.mask |= 1 << i
			}
		}
	case haveTotal:
		d.phaseA = [3]float64{total, total, total}
	case havePower:
		a := power / (3 * charging.NominalVoltageV)
		d.phaseA = [3]float64{a, a, a}
	default:
		return sessionDraw{}, false
	}
	if d.at.IsZero() && ses.UpdatedAt.After(d.at) {
		d.at = ses.UpdatedAt
	}
	return d, true
}

// readingOf reads a site meter's current per phase from a charger's
// connector-0 samples.
func readingOf(samples []charging.MeterSample, at time.Time) (charging.SiteMeterReading, bool) {
	r := charging.SiteMeterReading{At: at}
	ok := false
	for _, m := range samples {
		if m.Measurand != "Current.Import" || m.Unit != "" && m.Unit != "A" {
			continue
		}
		if i := phaseIndex(m.Phase); i >= 0 {
			r.CurrentA[i], ok = m.Value, true
			r.At = cmp.Or(m.Timestamp, at)
		}
	}
	return r, ok
}

// rebalanceDirty reallocates the dirty sites (all sites with a limit, and
// every charger's failsafe, when all is true).
func (s *Service) rebalanceDirty(ctx context.Context, all bool) {
	st := &s.smart
	st.mu.Lock()
	sites := make([]string, 0, len(st.dirty))
	for id := range st.dirty {
		sites = append(sites, id)
	}
	clear(st.dirty)
	st.mu.Unlock()
	if all {
		cursor := ""
		for {
			page, err := s.store.ListSites(ctx, charging.SiteQuery{Cursor: cursor, Limit: 1000})
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("smart charging: list sites", "err", err)
				}
				return
			}
			for _, x := range page.Items {
				if x.GridLimit != nil && !slices.Contains(sites, x.ID) {
					sites = append(sites, x.ID)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
	}
	slices.Sort(sites)
	for _, id := range sites {
		if ctx.Err() != nil {
			return
		}
		if _, err := s.Rebalance(ctx, id); err != nil && ctx.Err() == nil && charging.ErrorCode(err) != charging.ENOTFOUND {
			s.log.Error("smart charging: reallocate", "site", id, "err", err)
		}
	}
}

// purgeSiteLoad applies the load history's retention, at most hourly.
func (s *Service) purgeSiteLoad(ctx context.Context) {
	st := &s.smart
	st.mu.Lock()
	last := st.loadLogged[""]
	due := time.Since(last) >= time.Hour
	if due {
		st.loadLogged[""] = time.Now()
	}
	st.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.store.PurgeSiteLoad(ctx, s.utcNow().Add(-SiteLoadRetention)); err != nil && ctx.Err() == nil {
		s.log.Error("smart charging: purge the site load history", "err", err)
	}
}

// Rebalance reallocates one site now and returns its load. At a site
// without a gridLimit it removes the allocations Joule made.
func (s *Service) Rebalance(ctx context.Context, siteID string) (charging.SiteLoad, error) {
	s.smart.init()
	now := s.utcNow()
	site, err := s.store.GetSite(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	sessions, err := s.activeAt(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	if site.GridSignal != nil && !site.GridSignal.Active(now) {
		// The signal ended: the site's own limit is back.
		site, err = s.UpdateSite(ctx, siteID, func(x *charging.Site) error {
			if x.GridSignal != nil && !x.GridSignal.Active(now) {
				x.GridSignal = nil
			}
			return nil
		})
		if err != nil {
			return charging.SiteLoad{}, err
		}
	}
	chargers, err := s.chargersAt(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	st := &s.smart
	st.mu.Lock()
	for _, c := range chargers {
		st.chargerSite[c.ID] = siteID
	}
	for c, id := range st.meterOf {
		if id == siteID {
			delete(st.meterOf, c)
		}
	}
	if site.Meter != nil && site.Meter.Source == charging.MeterSourceCharger {
		st.meterOf[site.Meter.ChargerID] = siteID
	}
	st.mu.Unlock()

	if site.GridLimit == nil {
		s.unbalance(ctx, sessions)
		st.mu.Lock()
		st.limited[siteID] = false
		st.mu.Unlock()
		return charging.SiteLoad{SiteID: siteID, At: now, Sessions: []charging.SessionLoad{}}, nil
	}
	st.mu.Lock()
	st.limited[siteID] = true
	st.mu.Unlock()
	load := s.allocate(ctx, site, chargers, sessions, now)
	s.ensureFailsafe(ctx, site, chargers, load)
	s.apply(ctx, site, sessions, &load, now)
	s.logLoad(ctx, load)
	return load, nil
}

// activeAt lists a site's active sessions.
func (s *Service) activeAt(ctx context.Context, siteID string) ([]charging.Session, error) {
	var out []charging.Session
	cursor := ""
	for {
		page, err := s.store.ListSessions(ctx, charging.SessionQuery{SiteID: siteID, Status: []charging.SessionStatus{charging.SessionActive}, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return out, nil
		}
	}
}

func (s *Service) chargersAt(ctx context.Context, siteID string) ([]charging.Charger, error) {
	var out []charging.Charger
	cursor := ""
	for {
		page, err := s.store.ListChargers(ctx, charging.ChargerQuery{SiteID: siteID, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return out, nil
		}
	}
}

// connectorSpec is what the allocator needs of a session's connector.
type connectorSpec struct {
	dc    bool
	mask  uint8 // the grid phases the connector supplies
	maxA  float64
	known bool
	rot   charging.PhaseRotation // how its phases are wired to the grid's
}

// limitable reports whether Joule can send the charger a limit: OCPP 1.5
// has no charging profiles.
func limitable(chargers []charging.Charger, chargerID string) bool {
	for _, c := range chargers {
		if c.ID == chargerID {
			return c.OCPPVersion != charging.OCPP15S
		}
	}
	return true
}

func specOf(chargers []charging.Charger, chargerID string, connectorID int) connectorSpec {
	spec := connectorSpec{mask: 7, maxA: defaultMaxA}
	for _, c := range chargers {
		if c.ID != chargerID {
			continue
		}
		k, ok := c.Connector(connectorID)
		if !ok {
			return spec
		}
		phases := 3.0
		spec.rot = k.PhaseRotation
		switch k.PowerType {
		case charging.PowerDC:
			spec.dc = true
		case charging.PowerAC1Phase:
			spec.mask, phases = k.PhaseRotation.GridMask(1), 1
		case charging.PowerAC2Phase, charging.PowerAC2PhaseSplit:
			spec.mask, phases = k.PhaseRotation.GridMask(3), 2
		}
		if k.MaxPowerW > 0 {
			spec.maxA = k.MaxPowerW / (phases * charging.NominalVoltageV)
			spec.known = true
		}
		return spec
	}
	return spec
}

// allocate computes the site's allocation: it decides, it sends nothing.
func (s *Service) allocate(ctx context.Context, site charging.Site, chargers []charging.Charger, sessions []charging.Session, now time.Time) charging.SiteLoad {
	load := siteLimits(site, now)
	st := &s.smart
	st.mu.Lock()
	draws := make([]sessionDraw, len(sessions))
	known := make([]bool, len(sessions))
	for i, ses := range sessions {
		draws[i], known[i] = st.draws[ses.ID]
	}
	meter, metered := st.meters[site.ID]
	st.mu.Unlock()
	specs := make([]connectorSpec, len(sessions))
	for i, ses := range sessions {
		specs[i] = specOf(chargers, ses.ChargerID, ses.ConnectorID)
		if known[i] {
			// Readings are of the connector's phases; the budget is of
			// the grid's.
			draws[i] = draws[i].onGrid(specs[i].rot)
			for p := range 3 {
				load.DrawA[p] += draws[i].phaseA[p]
			}
		}
	}
	building := [3]float64{load.ReserveA, load.ReserveA, load.ReserveA}
	if metered && site.Meter != nil && time.Since(meter.received) < meterFresh {
		var b [3]float64
		for p := range 3 {
			b[p] = max(0, meter.CurrentA[p]-load.DrawA[p])
		}
		load.BuildingA = &b
		building = b
		st.mu.Lock()
		pk := st.peakBuilding[site.ID]
		if m := max(b[0], b[1], b[2]); m >= pk.a || time.Since(pk.at) > time.Hour {
			st.peakBuilding[site.ID] = peak{a: m, at: time.Now()}
		}
		st.mu.Unlock()
	}
	// Sessions on chargers that cannot take a limit draw what they draw:
	// their measured current, or their outlet's maximum until it is
	// known, comes off the budget before the others share it.
	fixed := make([]bool, len(sessions))
	for i, ses := range sessions {
		if limitable(chargers, ses.ChargerID) {
			continue
		}
		fixed[i] = true
		spec := specs[i]
		for p := range 3 {
			switch {
			case known[i]:
				building[p] += draws[i].phaseA[p]
			case spec.mask&(1<<p) != 0:
				building[p] += spec.maxA
			}
		}
	}
	for p := range 3 {
		load.BudgetA[p] = max(0, load.LimitA-building[p])
	}

	loc := time.UTC
	if site.TimeZone != "" {
		if l, err := time.LoadLocation(site.TimeZone); err == nil {
			loc = l
		}
	}
	demands := make([]charging.Demand, len(sessions))
	plans := make([][]charging.PlanSlot, len(sessions))
	for i, ses := range sessions {
		spec := specs[i]
		d := charging.Demand{
			SessionID: ses.ID, Arrival: cmp.Or(derefTime(ses.StartedAt), ses.CreatedAt),
			PhaseMask: spec.mask, MinA: minACCurrentA, MaxA: max(spec.maxA, minACCurrentA),
			DrawA: -1, WantA: -1, PrevA: -1,
		}
		var a *charging.Allocation
		if ses.Smart != nil {
			d.Priority = ses.Smart.Priority
			a = ses.Smart.Allocation
		}
		if a != nil {
			d.PrevA, d.PrevWaiting = a.LimitA, a.State == charging.AllocWaiting
		}
		if ses.Smart != nil && !spec.dc {
			// What the charger says the vehicle uses (2.0.1), until its
			// readings say more.
			switch ses.Smart.PhasesUsed {
			case 1:
				d.PhaseMask = spec.rot.GridMask(1)
			case 2:
				d.PhaseMask = spec.rot.GridMask(3) & spec.mask
			}
		}
		if known[i] {
			dr := draws[i]
			if dr.mask != 0 && !spec.dc {
				d.PhaseMask = dr.mask & spec.mask
				if d.PhaseMask == 0 {
					d.PhaseMask = dr.mask
				}
			}
			// A reading taken after the vehicle had time to follow its
			// latest limit says what it really draws.
			if a != nil && dr.at.After(a.UpdatedAt.Add(time.Second)) {
				d.DrawA = max(dr.phaseA[0], dr.phaseA[1], dr.phaseA[2])
			}
		}
		if ses.Smart != nil && ses.Smart.DepartureTime != nil && ses.Smart.EnergyWantedWh > 0 {
			plans[i] = s.departurePlan(ses, d, loc, now)
			if lim, ok := charging.PlanLimitAt(plans[i], now); ok {
				d.WantA = lim
				if lim > 0 {
					d.NeedA = lim
				}
			}
		}
		demands[i] = d
	}
	var managed []charging.Demand
	for i, d := range demands {
		if !fixed[i] {
			managed = append(managed, d)
		}
	}
	granted := charging.Allocate(load.BudgetA, managed, charging.AllocOptions{})
	grants := make([]charging.Grant, len(sessions))
	for i, j := 0, 0; i < len(sessions); i++ {
		if fixed[i] {
			grants[i] = charging.Grant{LimitA: specs[i].maxA, Reason: charging.ReasonNotLimitable}
			continue
		}
		grants[i] = granted[j]
		j++
	}
	for i, ses := range sessions {
		g, d := grants[i], demands[i]
		a := &charging.Allocation{
			LimitA: g.LimitA, Phases: bits(d.PhaseMask), Phase: firstPhase(d.PhaseMask),
			Reason: g.Reason, QueuePosition: g.QueuePosition, Plan: plans[i], UpdatedAt: now,
		}
		switch {
		case g.Waiting:
			a.State = charging.AllocWaiting
		case g.Reason == "", g.Reason == charging.ReasonNotLimitable:
			a.State = charging.AllocCharging
		default:
			a.State = charging.AllocLimited
		}
		if a.Reason == charging.ReasonSiteLimit && load.GridSignal != nil && load.LimitA < load.NormalLimitA {
			a.Reason = charging.ReasonGridSignal
		}
		if a.Reason == charging.ReasonNoCapacity && load.GridSignal != nil && load.LimitA < load.NormalLimitA {
			a.Reason = charging.ReasonGridSignal
		}
		a.Message = allocationMessage(a, len(sessions), load, loc)
		if prev := sessionAllocation(ses); prev != nil {
			a.ProfileID = prev.ProfileID
		}
		for p := range 3 {
			if d.PhaseMask&(1<<p) != 0 {
				load.AllocA[p] += a.LimitA
			}
		}
		sl := charging.SessionLoad{
			SessionID: ses.ID, ChargerID: ses.ChargerID, ConnectorID: ses.ConnectorID,
			EnergyWh: ses.EnergyWh, Allocation: a,
		}
		if known[i] {
			sl.DrawA = draws[i].phaseA
		}
		if ses.Smart != nil {
			sl.Priority, sl.DepartureTime, sl.EnergyWantedWh = ses.Smart.Priority, ses.Smart.DepartureTime, ses.Smart.EnergyWantedWh
		}
		load.Sessions = append(load.Sessions, sl)
	}
	return load
}

// siteLimits is a site's load without its sessions: its own limit, the
// grid signal's when lower, and its reserve, per phase (0 without a
// gridLimit).
func siteLimits(site charging.Site, now time.Time) charging.SiteLoad {
	load := charging.SiteLoad{SiteID: site.ID, At: now, Sessions: []charging.SessionLoad{}}
	if site.GridLimit == nil {
		return load
	}
	load.NormalLimitA = site.GridLimit.PerPhaseA()
	load.LimitA = load.NormalLimitA
	if g := site.GridSignal; g.Active(now) {
		load.LimitA = min(load.LimitA, charging.GridLimit{Value: g.Limit, Unit: g.Unit}.PerPhaseA())
		sg := *g
		load.GridSignal = &sg
	}
	if site.Reserve != nil {
		load.ReserveA = site.Reserve.PerPhaseA()
	}
	return load
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func sessionAllocation(ses charging.Session) *charging.Allocation {
	if ses.Smart == nil {
		return nil
	}
	return ses.Smart.Allocation
}

func bits(m uint8) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func firstPhase(m uint8) int {
	for p := range 3 {
		if m&(1<<p) != 0 {
			return p + 1
		}
	}
	return 0
}

// departurePlan plans what is left of a session's wanted energy until its
// departure, in the cheapest hours of its tariff.
func (s *Service) departurePlan(ses charging.Session, d charging.Demand, loc *time.Location, now time.Time) []charging.PlanSlot {
	dep := *ses.Smart.DepartureTime
	left := ses.Smart.EnergyWantedWh - ses.EnergyWh
	if !dep.After(now) || left <= 0 {
		return nil
	}
	var prices []charging.PricePeriod
	if t := ses.Tariff; t != nil {
		tl := loc
		if t.TimeZone != "" {
			if l, err := time.LoadLocation(t.TimeZone); err == nil {
				tl = l
			}
		}
		prices = tariff.EnergyPrices(*t, now, dep, tl)
	}
	return charging.PlanDeparture(now, dep, left, d.MaxA, bits(d.PhaseMask), prices)
}

// allocationMessage says an allocation in words, for the driver.
func allocationMessage(a *charging.Allocation, sessions int, load charging.SiteLoad, loc *time.Location) string {
	clock := func(t time.Time) string { return t.In(loc).Format("15:04") }
	switch a.State {
	case charging.AllocWaiting:
		if a.Reason == charging.ReasonDeparture {
			break
		}
		why := "the site's grid connection is fully used"
		if a.Reason == charging.ReasonGridSignal {
			why = "the grid operator lowered the site's limit"
		}
		return fmt.Sprintf("Waiting to charge: %s. You are number %d in line.", why, a.QueuePosition)
	case charging.AllocCharging:
		return ""
	}
	switch a.Reason {
	case charging.ReasonGridSignal:
		until := ""
		if load.GridSignal != nil && load.GridSignal.Until != nil {
			until = " until " + clock(*load.GridSignal.Until)
		}
		return fmt.Sprintf("Limited to %.1f A: the grid operator lowered the site's limit%s.", a.LimitA, until)
	case charging.ReasonVehicle:
		return fmt.Sprintf("Your vehicle draws less than offered; up to %.1f A stays available to it.", a.LimitA)
	case charging.ReasonDeparture:
		for _, p := range a.Plan {
			if p.LimitA > 0 && p.From.After(load.At) {
				return fmt.Sprintf("Paused for cheaper hours: charging from %s to be ready by %s.", clock(p.From), clock(a.Plan[len(a.Plan)-1].To))
			}
		}
		return "Paused for cheaper hours."
	}
	others := sessions - 1
	switch others {
	case 0:
		return fmt.Sprintf("Limited to %.1f A by the site's grid connection.", a.LimitA)
	case 1:
		return fmt.Sprintf("Limited to %.1f A: the site's grid connection is shared with 1 other session.", a.LimitA)
	}
	return fmt.Sprintf("Limited to %.1f A: the site's grid connection is shared with %d other sessions.", a.LimitA, others)
}

// apply sends the allocation: lower limits first, then higher ones, and
// records each session's allocation once its charger accepted it (or
// could not be asked: the allocation stands, and is sent again).
func (s *Service) apply(ctx context.Context, site charging.Site, sessions []charging.Session, load *charging.SiteLoad, now time.Time) {
	type change struct {
		ses  charging.Session
		a    *charging.Allocation
		down bool
		send bool
	}
	st := &s.smart
	var changes []change
	renewBy := now.Add(-s.smartLease() / 2)
	for i, ses := range sessions {
		a := load.Sessions[i].Allocation
		prev := sessionAllocation(ses)
		st.mu.Lock()
		sentAt, sent := st.sent[ses.ID]
		st.mu.Unlock()
		send := prev == nil || prev.LimitA != a.LimitA || !sent || sentAt.Before(renewBy) || prev.ProfileID == 0
		if a.Reason == charging.ReasonNotLimitable {
			send = false // the charger has no charging profiles
		}
		write := prev == nil || prev.LimitA != a.LimitA || prev.State != a.State || prev.Reason != a.Reason ||
			prev.QueuePosition != a.QueuePosition || prev.Phases != a.Phases || prev.Message != a.Message || !slices.EqualFunc(prev.Plan, a.Plan, samePlanSlot)
		if !send && !write {
			a.UpdatedAt = prev.UpdatedAt
			continue
		}
		// A new session is held at 0 A by the failsafe TxDefaultProfile
		// until its first limit: that limit is a raise, unless it is 0.
		down := prev != nil && a.LimitA < prev.LimitA || prev == nil && a.LimitA == 0
		changes = append(changes, change{ses: ses, a: a, down: down, send: send})
	}
	send := func(c change) allocWrite {
		w := allocWrite{ses: c.ses, a: c.a}
		// An offline charger gets its limit when it is back (its connection
		// marks the site).
		if c.send && s.cmd.Connected(c.ses.ChargerID) {
			p, err := s.sendAllocation(ctx, c.ses, c.a, now)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("smart charging: could not send a session's limit; trying again in a minute", "site", site.ID, "session", c.ses.ID, "charger", c.ses.ChargerID, "err", err)
				}
				// Not at every look: a charger that refuses profiles would
				// fill its command history.
				st.mu.Lock()
				st.sent[c.ses.ID] = now.Add(-s.smartLease()/2 + time.Minute)
				st.mu.Unlock()
			} else {
				w.profile = &p
				st.mu.Lock()
				st.sent[c.ses.ID] = now
				st.mu.Unlock()
			}
		}
		return w
	}
	// Cuts before raises: every cut is accepted before the first raise
	// goes out, so the site never goes over its limit in between. Within
	// each, chargers are asked in parallel (each charger's own commands
	// one after the other, as its connection takes them): over a mobile
	// network a round trip is a few hundred milliseconds.
	writes := make([]allocWrite, len(changes))
	var cuts, raises []int
	for i, c := range changes {
		if c.down {
			cuts = append(cuts, i)
		} else {
			raises = append(raises, i)
		}
	}
	for _, phase := range [][]int{cuts, raises} {
		byCharger := map[string][]int{}
		var order []string
		for _, i := range phase {
			id := changes[i].ses.ChargerID
			if _, ok := byCharger[id]; !ok {
				order = append(order, id)
			}
			byCharger[id] = append(byCharger[id], i)
		}
		var wg sync.WaitGroup
		slots := make(chan struct{}, smartParallel)
		for _, id := range order {
			idx := byCharger[id]
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				for _, i := range idx {
					writes[i] = send(changes[i])
				}
			})
		}
		wg.Wait()
	}
	// The site's allocations and the profiles sent for them are one write.
	if err := s.writeAllocations(ctx, writes); err != nil && ctx.Err() == nil {
		s.log.Error("smart charging: record the site's allocations", "site", site.ID, "err", err)
	}
	changed := len(changes) > 0
	st.mu.Lock()
	prev, had := st.lastLoad[site.ID]
	st.lastLoad[site.ID] = *load
	st.mu.Unlock()
	if changed || !had || prev.LimitA != load.LimitA || prev.BudgetA != load.BudgetA {
		l := *load
		s.publish(ctx, charging.Event{Type: charging.EventSiteLoad, SiteID: site.ID, Load: &l})
	}
}

func samePlanSlot(a, b charging.PlanSlot) bool {
	return a.From.Equal(b.From) && a.To.Equal(b.To) && a.LimitA == b.LimitA && a.PricePerKWh == b.PricePerKWh
}

// smartProfileID returns the id of Joule's TxProfile on a session's
// connector: one id per connector, kept from session to session (the
// charger replaces it, and the profiles table does not grow with every
// session). A new id is reserved at once by storing p under it (the next
// id is above every stored one); chargers are asked in parallel, so one
// at a time.
func (s *Service) smartProfileID(ctx context.Context, ses charging.Session, p charging.ChargingProfile) (int, error) {
	s.smart.ids.Lock()
	defer s.smart.ids.Unlock()
	installed, err := s.store.ListInstalledProfiles(ctx, ses.ChargerID)
	if err != nil {
		return 0, err
	}
	for _, ip := range installed {
		if ip.Purpose == charging.PurposeTx && ip.StackLevel == smartStackLevel && ip.ConnectorID == ses.ConnectorID {
			return ip.ProfileID, nil
		}
	}
	id, err := s.store.NextChargingProfileID(ctx)
	if err != nil {
		return 0, err
	}
	p.ID = id
	return id, s.store.SaveChargingProfile(ctx, p)
}

// sendAllocation sends a session's limit as Joule's TxProfile for its
// transaction, valid for one lease, and returns the profile (to store).
func (s *Service) sendAllocation(ctx context.Context, ses charging.Session, a *charging.Allocation, now time.Time) (charging.ChargingProfile, error) {
	start := now.Truncate(time.Second)
	until := start.Add(s.smartLease())
	p := charging.ChargingProfile{
		ID: a.ProfileID, StackLevel: smartStackLevel, Purpose: charging.PurposeTx, Kind: charging.KindAbsolute,
		ValidTo: &until,
		Schedule: charging.ChargingSchedule{
			StartSchedule: &start, RateUnit: charging.UnitAmperes,
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: a.LimitA}},
		},
		CreatedAt: now, UpdatedAt: now,
	}
	if a.Phases > 0 && a.Phases < 3 {
		n := a.Phases
		p.Schedule.Periods[0].NumberPhases = &n
	}
	if p.ID == 0 {
		id, err := s.smartProfileID(ctx, ses, p)
		if err != nil {
			return charging.ChargingProfile{}, err
		}
		p.ID, a.ProfileID = id, id
	}
	p.TransactionID = ses.TransactionID
	out, err := s.simple(ctx, ses.ChargerID, "SetChargingProfile", map[string]any{"connectorId": ses.ConnectorID, "csChargingProfiles": p},
		func(ctx context.Context, sc charging.StationCommander) (charging.CommandStatus, error) {
			st, err := sc.SetChargingProfile(ctx, ses.ChargerID, ses.ConnectorID, p)
			if err == nil && st == charging.CommandAccepted {
				err = s.installed(context.WithoutCancel(ctx), ses.ChargerID, ses.ConnectorID, p)
			}
			return st, err
		})
	if err != nil {
		return charging.ChargingProfile{}, err
	}
	if out.Status != charging.CommandAccepted {
		return charging.ChargingProfile{}, fmt.Errorf("the charger answered %s", out.Status)
	}
	p.TransactionID = ""
	return p, nil
}

// allocWrite is one session's new allocation, and the profile sent for
// it (nil when none was).
type allocWrite struct {
	ses     charging.Session
	a       *charging.Allocation
	profile *charging.ChargingProfile
}

// writeAllocations records a site's new allocations, and the profiles
// sent for them, in one unit of work, and tells each driver.
func (s *Service) writeAllocations(ctx context.Context, ws []allocWrite) error {
	if len(ws) == 0 {
		return nil
	}
	var out []charging.Session
	err := s.update(ctx, func(u *unit) error {
		out = out[:0]
		for _, w := range ws {
			if w.profile != nil {
				if err := u.tx.SaveChargingProfile(ctx, *w.profile); err != nil {
					return err
				}
			}
			cur, err := u.tx.GetSession(ctx, w.ses.ID)
			if err != nil {
				return err
			}
			if cur.Status != charging.SessionActive {
				continue
			}
			al := *w.a
			changeSmart(&cur, func(sm *charging.SessionSmart) { sm.Allocation = &al })
			cur.UpdatedAt = w.a.UpdatedAt
			if err := u.tx.UpdateSession(ctx, cur); err != nil {
				return err
			}
			out = append(out, cur)
			u.publishSession(charging.EventSessionUpdated, cur, nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The meter hot path's copies carry the new allocation in its events.
	for _, ses := range out {
		unlock := s.lock(ses.ChargerID)
		if cached, ok := s.cachedSession(ses.ChargerID, ses.TransactionID); ok {
			cached.Smart = ses.Smart
			s.rememberLive(cached)
		}
		unlock()
	}
	return nil
}

// unbalance removes Joule's allocations at a site that no longer has a
// limit: its TxProfiles are cleared and the sessions charge freely.
func (s *Service) unbalance(ctx context.Context, sessions []charging.Session) {
	for _, ses := range sessions {
		a := sessionAllocation(ses)
		if a == nil {
			continue
		}
		if a.ProfileID != 0 && s.cmd.Connected(ses.ChargerID) {
			if _, err := s.ClearChargingProfiles(ctx, ses.ChargerID, charging.ProfileFilter{ID: a.ProfileID}); err != nil && ctx.Err() == nil {
				s.log.Warn("smart charging: could not clear a session's limit", "session", ses.ID, "err", err)
			}
		}
		err := s.update(ctx, func(u *unit) error {
			cur, err := u.tx.GetSession(ctx, ses.ID)
			if err != nil || cur.Smart == nil {
				return err
			}
			changeSmart(&cur, func(sm *charging.SessionSmart) { sm.Allocation = nil })
			cur.UpdatedAt = s.utcNow()
			if err := u.tx.UpdateSession(ctx, cur); err != nil {
				return err
			}
			u.publishSession(charging.EventSessionUpdated, cur, nil)
			return nil
		})
		if err != nil && ctx.Err() == nil {
			s.log.Error("smart charging: clear a session's allocation", "session", ses.ID, "err", err)
		}
		s.smart.mu.Lock()
		delete(s.smart.sent, ses.ID)
		s.smart.mu.Unlock()
	}
}

// ensureFailsafe gives every connected charger of the site Joule's
// failsafe profiles (see the top of this file), when they changed.
func (s *Service) ensureFailsafe(ctx context.Context, site charging.Site, chargers []charging.Charger, load charging.SiteLoad) {
	// Chargers that cannot take a limit keep their outlets' maximum when
	// Joule is gone; the others share the rest.
	connectors := 0
	unmanaged := 0.0
	for _, c := range chargers {
		for _, k := range c.Connectors {
			switch {
			case k.ConnectorID == 0:
			case limitable(chargers, c.ID):
				connectors++
			default:
				unmanaged += specOf(chargers, c.ID, k.ConnectorID).maxA
			}
		}
	}
	// The safe share is of the site's own budget: its limit less the
	// reserve, or less the highest building load its meter showed in the
	// last hour (not the latest reading, which changes all the time).
	keep := load.ReserveA
	s.smart.mu.Lock()
	if pk, ok := s.smart.peakBuilding[site.ID]; ok && site.Meter != nil && time.Since(pk.at) <= time.Hour {
		keep = max(keep, pk.a)
	}
	s.smart.mu.Unlock()
	budget := max(0, load.LimitA-keep-unmanaged)
	share := 0.0
	if connectors > 0 {
		share = math.Floor(budget/float64(connectors)*10) / 10
	}
	lease := int(s.smartLease().Seconds())
	sig := fmt.Sprintf("%.1f/%.1f/%d", load.LimitA, share, lease)
	for _, c := range chargers {
		st := &s.smart
		st.mu.Lock()
		have := st.failsafe[c.ID]
		st.mu.Unlock()
		if have == sig || !limitable(chargers, c.ID) || !s.cmd.Connected(c.ID) {
			continue
		}
		if err := s.sendFailsafe(ctx, c.ID, load.LimitA, share, lease); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("smart charging: could not send the failsafe profiles", "site", site.ID, "charger", c.ID, "err", err)
			}
			continue
		}
		st.mu.Lock()
		st.failsafe[c.ID] = sig
		st.mu.Unlock()
	}
}

// sendFailsafe sends a charger's ChargePointMaxProfile (the site's limit)
// and TxDefaultProfile (0 A for a lease after a transaction starts, then
// the safe share), reusing the ids Joule gave them before.
func (s *Service) sendFailsafe(ctx context.Context, chargerID string, limitA, shareA float64, leaseS int) error {
	installed, err := s.store.ListInstalledProfiles(ctx, chargerID)
	if err != nil {
		return err
	}
	idFor := func(purpose string) (int, error) {
		for _, ip := range installed {
			if ip.Purpose == purpose && ip.StackLevel == smartStackLevel && ip.ConnectorID == 0 {
				return ip.ProfileID, nil
			}
		}
		return s.store.NextChargingProfileID(ctx)
	}
	now := s.utcNow()
	maxID, err := idFor(charging.PurposeChargePointMax)
	if err != nil {
		return err
	}
	start := now.Truncate(time.Second)
	cpMax := charging.ChargingProfile{
		ID: maxID, StackLevel: smartStackLevel, Purpose: charging.PurposeChargePointMax, Kind: charging.KindAbsolute,
		Schedule: charging.ChargingSchedule{StartSchedule: &start, RateUnit: charging.UnitAmperes,
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: math.Floor(limitA*10) / 10}}},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.sendStationProfile(ctx, chargerID, cpMax); err != nil {
		return err
	}
	defID, err := idFor(charging.PurposeTxDefault)
	if err != nil {
		return err
	}
	if defID == maxID {
		if defID, err = s.store.NextChargingProfileID(ctx); err != nil {
			return err
		}
	}
	txDefault := charging.ChargingProfile{
		ID: defID, StackLevel: smartStackLevel, Purpose: charging.PurposeTxDefault, Kind: charging.KindRelative,
		Schedule: charging.ChargingSchedule{RateUnit: charging.UnitAmperes,
			Periods: []charging.SchedulePeriod{{StartPeriodS: 0, Limit: 0}, {StartPeriodS: leaseS, Limit: shareA}}},
		CreatedAt: now, UpdatedAt: now,
	}
	return s.sendStationProfile(ctx, chargerID, txDefault)
}

// sendStationProfile stores a profile and sends it to connector 0.
func (s *Service) sendStationProfile(ctx context.Context, chargerID string, p charging.ChargingProfile) error {
	if err := s.store.SaveChargingProfile(ctx, p); err != nil {
		return err
	}
	out, err := s.ApplyChargingProfile(ctx, chargerID, 0, p.ID, "")
	if err != nil {
		return err
	}
	if out.Status != charging.CommandAccepted {
		return fmt.Errorf("the charger answered %s to the %s", out.Status, p.Purpose)
	}
	return nil
}

// logLoad records a sample of the site's load, at most every
// SiteLoadEvery, and publishes it.
func (s *Service) logLoad(ctx context.Context, load charging.SiteLoad) {
	st := &s.smart
	st.mu.Lock()
	last := st.loadLogged[load.SiteID]
	due := time.Since(last) >= s.siteLoadEvery()
	if due {
		st.loadLogged[load.SiteID] = time.Now()
	}
	st.mu.Unlock()
	if !due {
		return
	}
	sample := charging.SiteLoadSample{
		SiteID: load.SiteID, At: load.At, LimitA: load.LimitA, AllocA: load.AllocA,
		SignalSet: load.GridSignal != nil,
	}
	sample.CurrentA = load.DrawA
	if load.BuildingA != nil {
		for p := range 3 {
			sample.CurrentA[p] += load.BuildingA[p]
		}
	}
	for _, sl := range load.Sessions {
		sample.Sessions++
		if sl.Allocation != nil && sl.Allocation.State == charging.AllocWaiting {
			sample.Waiting++
		}
	}
	if err := s.store.AppendSiteLoad(ctx, sample); err != nil && ctx.Err() == nil {
		s.log.Error("smart charging: record the site load", "site", load.SiteID, "err", err)
	}
}

// SiteLoad returns a site's load as Joule last allocated it: from the
// balancer's memory on the leader, else from the sessions' allocations.
func (s *Service) SiteLoad(ctx context.Context, siteID string) (charging.SiteLoad, error) {
	s.smart.init()
	site, err := s.store.GetSite(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	sessions, err := s.activeAt(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	chargers, err := s.chargersAt(ctx, siteID)
	if err != nil {
		return charging.SiteLoad{}, err
	}
	now := s.utcNow()
	load := siteLimits(site, now)
	st := &s.smart
	st.mu.Lock()
	mem, had := st.lastLoad[siteID]
	draws := make(map[string]sessionDraw, len(sessions))
	for _, ses := range sessions {
		if d, ok := st.draws[ses.ID]; ok {
			draws[ses.ID] = d
		}
	}
	st.mu.Unlock()
	if had {
		load.BudgetA, load.BuildingA = mem.BudgetA, mem.BuildingA
	} else {
		load.BudgetA = [3]float64{load.LimitA - load.ReserveA, load.LimitA - load.ReserveA, load.LimitA - load.ReserveA}
	}
	for _, ses := range sessions {
		sl := charging.SessionLoad{SessionID: ses.ID, ChargerID: ses.ChargerID, ConnectorID: ses.ConnectorID, EnergyWh: ses.EnergyWh}
		if ses.Smart != nil {
			sl.Priority, sl.DepartureTime, sl.EnergyWantedWh = ses.Smart.Priority, ses.Smart.DepartureTime, ses.Smart.EnergyWantedWh
			sl.Allocation = ses.Smart.Allocation
		}
		if d, ok := draws[ses.ID]; ok {
			sl.DrawA = d.onGrid(specOf(chargers, ses.ChargerID, ses.ConnectorID).rot).phaseA
		} else if ses.CurrentA != nil {
			// Another node's draw: the session's latest current, on the
			// phases it was given.
			a := *ses.CurrentA
			mask := uint8(7)
			if sl.Allocation != nil && sl.Allocation.Phases == 1 {
				mask = 1 << max(0, sl.Allocation.Phase-1)
			}
			for p := range 3 {
				if mask&(1<<p) != 0 {
					sl.DrawA[p] = a / float64(bits(mask))
				}
			}
		}
		for p := range 3 {
			load.DrawA[p] += sl.DrawA[p]
			if a := sl.Allocation; a != nil && (a.Phases == 3 || a.Phases == 0 || a.Phase == p+1 || a.Phases == 2 && p < 2) {
				load.AllocA[p] += a.LimitA
			}
		}
		load.Sessions = append(load.Sessions, sl)
	}
	return load, nil
}

// SiteLoadHistory returns a site's load samples in [from, to).
func (s *Service) SiteLoadHistory(ctx context.Context, siteID string, from, to time.Time, limit int) ([]charging.SiteLoadSample, error) {
	if _, err := s.store.GetSite(ctx, siteID); err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, charging.Errorf(charging.EINVALID, "to must be after from")
	}
	return s.store.ListSiteLoad(ctx, siteID, from, to, limit)
}

// SetGridSignal sets (or, with nil, clears) a site's live limit from
// outside; the site is reallocated at once.
func (s *Service) SetGridSignal(ctx context.Context, siteID string, g *charging.GridSignal) (charging.Site, error) {
	now := s.utcNow()
	if g != nil {
		if err := g.Validate(now); err != nil {
			return charging.Site{}, err
		}
		g.SetAt = now.Truncate(time.Microsecond)
		if g.Until != nil {
			u := g.Until.UTC().Truncate(time.Microsecond)
			g.Until = &u
		}
	}
	site, err := s.UpdateSite(ctx, siteID, func(x *charging.Site) error {
		if g != nil && x.GridLimit == nil {
			return charging.Errorf(charging.ECONFLICT, "site %s has no gridLimit: set one with PATCH /api/v1/sites/%s first", siteID, siteID)
		}
		x.GridSignal = g
		return nil
	})
	if err != nil {
		return charging.Site{}, err
	}
	s.markSite(siteID)
	return site, nil
}

// PushSiteMeter takes a reading of a site meter whose source is api.
func (s *Service) PushSiteMeter(ctx context.Context, siteID string, r charging.SiteMeterReading) error {
	site, err := s.store.GetSite(ctx, siteID)
	if err != nil {
		return err
	}
	if site.Meter == nil || site.Meter.Source != charging.MeterSourceAPI {
		return charging.Errorf(charging.ECONFLICT, "site %s has no meter with source api: set meter {\"source\":\"api\"} on the site first", siteID)
	}
	for i, a := range r.CurrentA {
		if math.IsNaN(a) || math.IsInf(a, 0) || a < 0 || a > 100000 {
			return charging.Errorf(charging.EINVALID, "currentA[%d] must be a number of amperes from 0 to 100000, got %v", i, a)
		}
	}
	now := s.utcNow()
	if r.At.IsZero() {
		r.At = now
	}
	if r.At.After(now.Add(time.Minute)) || r.At.Before(now.Add(-meterFresh)) {
		return charging.Errorf(charging.EINVALID, "at must be within the last %s, got %s", meterFresh, r.At.UTC().Format(time.RFC3339))
	}
	s.publish(ctx, charging.Event{Type: charging.EventSiteMeter, SiteID: siteID, Reading: &r})
	return nil
}

// SetSessionPriority sets the operator's priority flag of an active or
// pending session; it is reallocated at once.
func (s *Service) SetSessionPriority(ctx context.Context, sessionID string, priority bool) (charging.Session, error) {
	ses, err := s.store.GetSession(ctx, sessionID)
	if err != nil {
		return charging.Session{}, err
	}
	unlock := s.lock(ses.ChargerID)
	defer unlock()
	var out charging.Session
	err = s.update(ctx, func(u *unit) error {
		cur, err := u.tx.GetSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if !cur.Status.Open() {
			return charging.Errorf(charging.ECONFLICT, "session %s is %s: only an open session has a priority", sessionID, cur.Status)
		}
		changeSmart(&cur, func(sm *charging.SessionSmart) { sm.Priority = priority })
		cur.UpdatedAt = s.utcNow()
		if err := u.tx.UpdateSession(ctx, cur); err != nil {
			return err
		}
		out = cur
		u.publishSession(charging.EventSessionUpdated, cur, nil)
		return nil
	})
	if err != nil {
		return charging.Session{}, err
	}
	if cached, ok := s.cachedSession(out.ChargerID, out.TransactionID); ok {
		cached.Smart = out.Smart
		s.rememberLive(cached)
	}
	return out, nil
}

// changeSmart changes a copy of a session's smart-charging state (a new
// one when it has none): a session read from the live cache shares its
// pointer with the cached copy, which must not change under it.
func changeSmart(ses *charging.Session, change func(*charging.SessionSmart)) {
	sm := charging.SessionSmart{}
	if ses.Smart != nil {
		sm = *ses.Smart
	}
	change(&sm)
	ses.Smart = &sm
}

// smartStart checks and keeps a start request's departure wish.
func smartStart(r charging.StartRequest, now time.Time) (*charging.SessionSmart, error) {
	if r.DepartureTime == nil && r.EnergyWantedWh == 0 {
		return nil, nil
	}
	sm := charging.SessionSmart{EnergyWantedWh: r.EnergyWantedWh}
	if r.DepartureTime != nil {
		d := r.DepartureTime.UTC().Truncate(time.Second)
		sm.DepartureTime = &d
	}
	if err := sm.Validate(now); err != nil {
		return nil, err
	}
	return &sm, nil
}
