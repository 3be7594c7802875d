package httpapi_test

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// fakeService is a hand-written httpapi.Service: canned data, injectable
// errors, and a record of what the handlers asked for.
type fakeService struct {
	mu sync.Mutex

	chargers map[string]charging.Charger
	sessions map[string]charging.Session
	samples  map[string][]charging.MeterSample
	result   charging.CommandResult

	err        map[string]error // by method name
	panicIn    string           // method that panics
	blockStart bool             // StartSession waits for ctx to end

	// Recorded arguments.
	readyCalls    int
	chargerQuery  charging.ChargerQuery
	sessionQuery  charging.SessionQuery
	meterQuery    *charging.MeterQuery
	start         charging.StartRequest
	startDeadline bool
	stopped       string
	update        charging.ConnectorUpdate
	updatedConn   int
	chargerUpdate *charging.ChargerUpdate     // UpdateCharger's argument (fake_sites_test.go)
	sites         httpapi.SiteService         // the real sites (fake_sites_test.go)
	smart         httpapi.SmartService        // the real smart charging (fake_smart_test.go)
	payments      httpapi.PaymentService      // the real wallets (fake_payments_test.go)
	cards         *fakeCards                  // csms's payments, cards faked (fake_payments_test.go)
	tariffs       httpapi.TariffService       // the real tariffs (fake_tariffs_test.go)
	receipts      map[string]charging.Receipt // by session id (fake_billing_test.go)
	totalsQuery   *charging.SessionQuery      // SessionTotals' argument
	refund        []string                    // RefundSession's session, amount, reason
	variables     []charging.Variable         // ListVariables answers these (devicemodel_test.go)
	sec           securityCalls               // the SecurityService part (fake_security_test.go)
	diagJobs      []charging.DiagnosticsJob   // ListDiagnosticsJobs answers these
	powerQuery    *charging.PowerQuery        // PowerHistory's (stats_test.go)
	reports       reportCalls                 // UsageReport's and ReportSummary's (reports_test.go)
	commandCall   struct {
		chargerID, action string
		payload           json.RawMessage
	}
}

var _ httpapi.Service = (*fakeService)(nil)

func newFakeService() *fakeService {
	return &fakeService{
		chargers: map[string]charging.Charger{},
		sessions: map[string]charging.Session{},
		samples:  map[string][]charging.MeterSample{},
		err:      map[string]error{},
		result:   charging.CommandResult{Status: charging.ResultAnswered, Response: json.RawMessage(`{"status":"Accepted"}`)},
	}
}

func (f *fakeService) fail(method string) error {
	if f.panicIn == method {
		panic("fake: " + method + " panicked")
	}
	return f.err[method]
}

func (f *fakeService) Ready(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readyCalls++
	return f.fail("Ready")
}

func (f *fakeService) ListChargers(ctx context.Context, q charging.ChargerQuery) (charging.Page[charging.Charger], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.chargerQuery = q
	if err := f.fail("ListChargers"); err != nil {
		return charging.Page[charging.Charger]{}, err
	}
	var p charging.Page[charging.Charger]
	for _, c := range f.chargers {
		if q.Admission == "" || c.Admission == q.Admission {
			p.Items = append(p.Items, c)
		}
	}
	if q.Limit > 0 && len(p.Items) >= q.Limit {
		p.Items = p.Items[:q.Limit]
		p.NextCursor = "next-" + q.Cursor
	}
	return p, nil
}

func (f *fakeService) GetCharger(ctx context.Context, id string) (charging.Charger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("GetCharger"); err != nil {
		return charging.Charger{}, err
	}
	c, ok := f.chargers[id]
	if !ok {
		return charging.Charger{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", id)
	}
	return c, nil
}

func (f *fakeService) UpdateConnector(ctx context.Context, chargerID string, connectorID int, u charging.ConnectorUpdate) (charging.Connector, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.update, f.updatedConn = u, connectorID
	if err := f.fail("UpdateConnector"); err != nil {
		return charging.Connector{}, err
	}
	c, ok := f.chargers[chargerID]
	if !ok {
		return charging.Connector{}, charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
	}
	for i, k := range c.Connectors {
		if k.ConnectorID == connectorID {
			k = u.Apply(k)
			if err := f.checkTariffs(ctx, "", k.TariffID, k.GroupTariffs); err != nil {
				return charging.Connector{}, err
			}
			c.Connectors[i] = k
			return c.Connectors[i], nil
		}
	}
	return charging.Connector{}, charging.Errorf(charging.ENOTFOUND, "connector %d of %s not found", connectorID, chargerID)
}

func (f *fakeService) StartSession(ctx context.Context, r charging.StartRequest) (charging.Session, error) {
	f.mu.Lock()
	f.start = r
	_, f.startDeadline = ctx.Deadline()
	block := f.blockStart
	err := f.fail("StartSession")
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return charging.Session{}, ctx.Err()
	}
	if err != nil {
		return charging.Session{}, err
	}
	s := charging.Session{
		ID:          "S-new",
		ChargerID:   r.ChargerID,
		ConnectorID: r.ConnectorID,
		IDTag:       r.IDTag,
		Status:      charging.SessionPending,
		Origin:      charging.OriginRemote,
	}
	f.mu.Lock()
	f.sessions[s.ID] = s
	f.mu.Unlock()
	return s, nil
}

func (f *fakeService) StopSession(ctx context.Context, id string) (charging.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = id
	if err := f.fail("StopSession"); err != nil {
		return charging.Session{}, err
	}
	s, ok := f.sessions[id]
	if !ok {
		return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "session %s not found", id)
	}
	return s, nil
}

func (f *fakeService) CloseSession(ctx context.Context, id, reason string) (charging.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("CloseSession"); err != nil {
		return charging.Session{}, err
	}
	s, ok := f.sessions[id]
	if !ok {
		return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "session %s not found", id)
	}
	s.Status, s.ClosedBy = charging.SessionFinished, charging.ClosedByOperator
	s.Flags = append(s.Flags, "closed: "+reason)
	f.sessions[id] = s
	return s, nil
}

func (f *fakeService) GetSession(ctx context.Context, id string) (charging.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail("GetSession"); err != nil {
		return charging.Session{}, err
	}
	s, ok := f.sessions[id]
	if !ok {
		return charging.Session{}, charging.Errorf(charging.ENOTFOUND, "session %s not found", id)
	}
	return s, nil
}

func (f *fakeService) ListSessions(ctx context.Context, q charging.SessionQuery) (charging.Page[charging.Session], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessionQuery = q
	if err := f.fail("ListSessions"); err != nil {
		return charging.Page[charging.Session]{}, err
	}
	var p charging.Page[charging.Session]
	for _, s := range f.sessions {
		p.Items = append(p.Items, s)
	}
	return p, nil
}

func (f *fakeService) ListMeterSamples(ctx context.Context, q charging.MeterQuery) (charging.Page[charging.MeterSample], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.meterQuery = &q
	if err := f.fail("ListMeterSamples"); err != nil {
		return charging.Page[charging.MeterSample]{}, err
	}
	return charging.Page[charging.MeterSample]{Items: f.samples[q.SessionID], NextCursor: "c2"}, nil
}

func (f *fakeService) Command(ctx context.Context, chargerID, action string, payload json.RawMessage) (charging.CommandResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commandCall.chargerID, f.commandCall.action, f.commandCall.payload = chargerID, action, payload
	if err := f.fail("Command"); err != nil {
		return charging.CommandResult{}, err
	}
	return f.result, nil
}
