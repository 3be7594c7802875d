package node_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/node"
	"github.com/joule-ev/joule/internal/sim"
)

// person is a signed-in caller: their user id and the header to send.
type person struct {
	ID, Email, Token string
}

func (p person) auth() []string { return []string{"Authorization", "Bearer " + p.Token} }

const testPassword = "correct horse battery"

// signup creates a driver account through the public sign-up.
func signup(t *testing.T, api, email string) person {
	t.Helper()
	var out struct {
		Token string
		User  struct{ ID, Email string }
	}
	code, _ := call(t, http.MethodPost, api+"/auth/signup", map[string]any{"email": email, "password": testPassword, "name": "Driver " + email}, &out, "X-Test-Anonymous", "1")
	if code != http.StatusCreated || out.Token == "" {
		t.Fatalf("sign up %s = %d, want 201 with a token", email, code)
	}
	return person{ID: out.User.ID, Email: out.User.Email, Token: out.Token}
}

// staff creates a user with the role (as the admin) and signs them in.
func staff(t *testing.T, api, email string, role charging.Role) person {
	t.Helper()
	var u struct{ ID string }
	if code, _ := call(t, http.MethodPost, api+"/users", map[string]any{"email": email, "name": string(role), "role": role, "password": testPassword}, &u); code != http.StatusCreated {
		t.Fatalf("create %s %s = %d, want 201", role, email, code)
	}
	return login(t, api, email, testPassword)
}

func login(t *testing.T, api, email, password string) person {
	t.Helper()
	var out struct {
		Token string
		User  struct{ ID, Email string }
	}
	if code, _ := call(t, http.MethodPost, api+"/auth/login", map[string]any{"email": email, "password": password}, &out, "X-Test-Anonymous", "1"); code != http.StatusOK {
		t.Fatalf("sign in %s = %d, want 200", email, code)
	}
	return person{ID: out.User.ID, Email: out.User.Email, Token: out.Token}
}

// status does a request and returns its status and headers without
// reading the body (an event stream never ends).
func status(t *testing.T, method, url, body string, hdr ...string) (int, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{Transport: http.DefaultClient.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// apiOperation is one operation of openapi.yaml.
type apiOperation struct {
	Method, Path string
	Public       bool            // security: []
	Roles        []charging.Role // x-joule-roles
	Family       string          // x-joule-access
}

// operations reads the API's own openapi.yaml (served by the node).
func operations(t *testing.T, base string) []apiOperation {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var ops []apiOperation
	for path, item := range doc.Paths {
		for method, v := range item {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				continue
			}
			op, _ := v.(map[any]any)
			o := apiOperation{Method: m, Path: path}
			if sec, ok := op["security"]; ok {
				if l, _ := sec.([]any); len(l) == 0 {
					o.Public = true
				}
			}
			if rs, ok := op["x-joule-roles"].([]any); ok {
				for _, r := range rs {
					o.Roles = append(o.Roles, charging.Role(fmt.Sprint(r)))
				}
			}
			o.Family, _ = op["x-joule-access"].(string)
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	if len(ops) < 80 {
		t.Fatalf("openapi.yaml has %d operations, want the whole API", len(ops))
	}
	return ops
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// fill puts values in a path's parameters; values are by parameter name,
// with "{id}" chosen by the collection the path is under.
func fill(path string, ids map[string]string, vals map[string]string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		name := p[1 : len(p)-1]
		if name == "id" {
			for prefix, v := range ids {
				if strings.HasPrefix(path, prefix) {
					return url.PathEscape(v)
				}
			}
			return "nope"
		}
		if v, ok := vals[name]; ok {
			return url.PathEscape(v)
		}
		return "nope"
	})
}

// outboundCalls is how many OCPP CALLs Joule has sent to chargers.
func outboundCalls(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for _, v := range outboundByAction(t, base) {
		n += v
	}
	return n
}

// outboundByAction counts the OCPP CALLs Joule has sent, by action.
func outboundByAction(t *testing.T, base string) map[string]int {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	n := map[string]int{}
	action := regexp.MustCompile(`action="([^"]*)"`)
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "joule_ocpp_calls_total{") && strings.Contains(line, `direction="outbound"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			if m := action.FindStringSubmatch(line); m != nil {
				n[m[1]] += int(v)
			}
		}
	}
	return n
}

// waitBootFollowUp waits for Joule's own follow-up after a charger's boot
// (it reads the configuration), so that counting the calls sent to the
// charger counts only what a test does.
func waitBootFollowUp(t *testing.T, api, chargerID string) {
	t.Helper()
	eventually(t, 15*time.Second, "the configuration read after the boot of "+chargerID, func() bool {
		var hist page[charging.CommandRecord]
		call(t, http.MethodGet, api+"/chargers/"+chargerID+"/commands", nil, &hist)
		for _, r := range hist.Items {
			if r.Action == "GetConfiguration" && r.RequestedBy == charging.RequestedBySystem && r.Status != charging.ResultPending {
				return true
			}
		}
		return false
	})
}

// TestEveryRouteNeedsCredentials enumerates openapi.yaml: every route that
// is not public answers 401 (with WWW-Authenticate) to a call without
// credentials; and driver B, on every route with an object id, gets 404 on
// driver A's objects (403 where drivers may not call at all), while no
// command reaches the charger.
func TestEveryRouteNeedsCredentials(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	cp, _ := startSim(t, sim.Config{URL: n.WS, ID: "CP-A", Connectors: 2})
	ops := operations(t, n.Base)

	// 1. Without credentials.
	checked := 0
	for _, op := range ops {
		if op.Public {
			continue
		}
		body := ""
		if op.Method != http.MethodGet {
			body = "{}"
		}
		code, hdr := status(t, op.Method, n.Base+fill(op.Path, nil, nil), body, "X-Test-Anonymous", "1")
		if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s without credentials = %d (WWW-Authenticate %q), want 401 with a Bearer challenge", op.Method, op.Path, code, hdr.Get("WWW-Authenticate"))
		}
		checked++
	}
	if checked < 75 {
		t.Errorf("checked %d routes for 401, want every non-public route", checked)
	}

	// 2. Driver A's objects: a session started from the app, and an RFID card.
	a := signup(t, api, "a@example.com")
	b := signup(t, api, "b@example.com")
	var card charging.IDTag
	if code, _ := call(t, http.MethodPost, api+"/me/id-tags", map[string]any{"idTag": "CARD-A"}, &card, a.auth()...); code != http.StatusCreated || card.OwnerID != a.ID {
		t.Fatalf("A links CARD-A = %d %+v, want 201 owned by A", code, card)
	}
	var s charging.Session
	if code, _ := call(t, http.MethodPost, api+"/chargers/CP-A/connectors/1/start", map[string]any{}, &s, a.auth()...); code != http.StatusAccepted {
		t.Fatalf("A starts without an idTag = %d, want 202", code)
	}
	var me struct {
		AppIDTag string   `json:"appIdTag"`
		IDTags   []string `json:"idTags"`
	}
	call(t, http.MethodGet, api+"/me", nil, &me, a.auth()...)
	if s.IDTag != me.AppIDTag || me.AppIDTag == "" || !slices.Contains(me.IDTags, "CARD-A") {
		t.Fatalf("A's session idTag %q, /me %+v: want the app id tag, and CARD-A linked", s.IDTag, me)
	}
	eventually(t, 10*time.Second, "A's session active", func() bool {
		call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &s, a.auth()...)
		return s.Status == charging.SessionActive
	})
	if s.OwnerID != a.ID {
		t.Fatalf("A's session ownerId = %q, want %q", s.OwnerID, a.ID)
	}

	waitBootFollowUp(t, api, "CP-A")
	// And the count must stand still for half a second.
	before := outboundByAction(t, n.Base)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		now := outboundByAction(t, n.Base)
		if maps.Equal(now, before) {
			break
		}
		before = now
	}
	ids := map[string]string{"/api/v1/sessions/": s.ID, "/api/v1/users/": a.ID, "/api/v1/chargers/": "CP-A"}
	vals := map[string]string{"idTag": "CARD-A", "connectorId": "1", "action": "RemoteStopTransaction", "key": "HeartbeatInterval"}
	objectRoutes := 0
	for _, op := range ops {
		if op.Public || !strings.Contains(op.Path, "{") {
			continue
		}
		body := ""
		if op.Method != http.MethodGet {
			body = `{"transactionId":1,"type":"Hard","idTag":"CARD-A"}`
		}
		p := fill(op.Path, ids, vals)
		code, _ := status(t, op.Method, n.Base+p, body, b.auth()...)
		switch {
		case !slices.Contains(op.Roles, charging.RoleDriver):
			if code != http.StatusForbidden {
				t.Errorf("driver B %s %s = %d, want 403 (drivers may not call it)", op.Method, p, code)
			}
		case strings.HasPrefix(op.Path, "/api/v1/sessions/") || strings.HasPrefix(op.Path, "/api/v1/me/"):
			objectRoutes++
			if code != http.StatusNotFound {
				t.Errorf("driver B %s %s (A's object) = %d, want 404", op.Method, p, code)
			}
		}
	}
	if objectRoutes < 4 {
		t.Errorf("checked %d driver routes on A's objects, want sessions/{id}, stop, meter-values and me/id-tags/{idTag}", objectRoutes)
	}
	// B may not start with A's card, nor follow A's session's events.
	if code, _ := call(t, http.MethodPost, api+"/chargers/CP-A/connectors/2/start", map[string]any{"idTag": "CARD-A"}, nil, b.auth()...); code != http.StatusNotFound {
		t.Errorf("driver B starts with A's card = %d, want 404", code)
	}
	if code, _ := status(t, http.MethodGet, api+"/events?sessionId="+s.ID, "", b.auth()...); code != http.StatusNotFound {
		t.Errorf("driver B follows A's session events = %d, want 404", code)
	}
	var list page[charging.Session]
	call(t, http.MethodGet, api+"/sessions", nil, &list, b.auth()...)
	if len(list.Items) != 0 {
		t.Errorf("driver B's sessions = %d, want none", len(list.Items))
	}
	if after := outboundByAction(t, n.Base); !maps.Equal(after, before) {
		t.Errorf("OCPP calls sent to the charger during B's attempts: before %v, after %v; want none", before, after)
	}
	call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &s, a.auth()...)
	if s.Status != charging.SessionActive {
		t.Fatalf("A's session after B's attempts = %s, want still active", s.Status)
	}

	// A session started with an RFID card belongs to the card's owner.
	if err := cp.SwipeCard(context.Background(), 2, "CARD-A"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the card's session listed for A", func() bool {
		call(t, http.MethodGet, api+"/sessions?connectorId=2", nil, &list, a.auth()...)
		return len(list.Items) == 1 && list.Items[0].IDTag == "CARD-A" && list.Items[0].OwnerID == a.ID
	})
	call(t, http.MethodGet, api+"/sessions", nil, &list, b.auth()...)
	if len(list.Items) != 0 {
		t.Errorf("driver B sees %d sessions after A's card session, want none", len(list.Items))
	}

	// A drives their own session: the stop reaches the charger.
	if code, _ := call(t, http.MethodPost, api+"/sessions/"+s.ID+"/stop", nil, nil, a.auth()...); code != http.StatusAccepted {
		t.Errorf("A stops their session = %d, want 202", code)
	}
	eventually(t, 10*time.Second, "A's session finished", func() bool {
		call(t, http.MethodGet, api+"/sessions/"+s.ID, nil, &s, a.auth()...)
		return s.Status == charging.SessionFinished
	})
}

// TestRoleMatrix checks every documented route for every role: a role
// openapi.yaml lists is never refused (401/403), any other gets 403; and,
// for each route family, a real call answers as documented.
func TestRoleMatrix(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CP-M", Connectors: 1})
	ops := operations(t, n.Base)

	// The first-run admin signs in once with the admin-token to set a password.
	tok, err := adminToken(n.Data)
	if err != nil {
		t.Fatal(err)
	}
	var setup struct{ Token string }
	if code, _ := call(t, http.MethodPost, api+"/auth/setup", map[string]any{"token": tok, "email": "root@example.com", "name": "Root", "password": testPassword}, &setup, "X-Test-Anonymous", "1"); code != http.StatusOK {
		t.Fatalf("setup = %d, want 200", code)
	}
	if code, _ := call(t, http.MethodPost, api+"/auth/setup", map[string]any{"token": tok, "email": "x@example.com", "name": "X", "password": testPassword}, nil, "X-Test-Anonymous", "1"); code != http.StatusConflict {
		t.Errorf("a second setup = %d, want 409 (it works once)", code)
	}
	people := map[charging.Role]person{
		charging.RoleAdmin:    login(t, api, "root@example.com", testPassword),
		charging.RoleOperator: staff(t, api, "op@example.com", charging.RoleOperator),
		charging.RoleViewer:   staff(t, api, "viewer@example.com", charging.RoleViewer),
		charging.RoleDriver:   signup(t, api, "driver@example.com"),
	}

	for _, op := range ops {
		if op.Public {
			continue
		}
		if len(op.Roles) == 0 || op.Family == "" {
			t.Errorf("%s %s: openapi.yaml names no x-joule-roles or x-joule-access", op.Method, op.Path)
			continue
		}
		for _, role := range charging.Roles {
			body := ""
			if op.Method != http.MethodGet {
				body = "{}"
			}
			// Objects that do not exist: nothing changes, only the guard speaks.
			code, _ := status(t, op.Method, n.Base+fill(op.Path, nil, nil), body, people[role].auth()...)
			allowed := slices.Contains(op.Roles, role)
			if allowed && (code == http.StatusUnauthorized || code == http.StatusForbidden) {
				t.Errorf("%s %s as %s = %d, want it allowed (x-joule-roles %v)", op.Method, op.Path, role, code, op.Roles)
			}
			if !allowed && code != http.StatusForbidden {
				t.Errorf("%s %s as %s = %d, want 403 (x-joule-roles %v)", op.Method, op.Path, role, code, op.Roles)
			}
		}
	}

	// Real calls, one per family.
	type probe struct {
		family, method, path string
		body                 any
		ok                   int
	}
	probes := []probe{
		{"read", http.MethodGet, "/chargers/CP-M/configuration", nil, http.StatusOK},
		{"read", http.MethodGet, "/id-tags", nil, http.StatusOK},
		{"write", http.MethodPost, "/id-tags", []map[string]any{{"idTag": "FREE", "status": "Accepted"}}, http.StatusOK},
		{"command", http.MethodPost, "/chargers/CP-M/trigger", map[string]any{"requestedMessage": "Heartbeat"}, http.StatusOK},
		{"command", http.MethodPost, "/chargers/CP-M/reset", map[string]any{"type": "Soft"}, http.StatusOK},
		{"admin", http.MethodGet, "/users", nil, http.StatusOK},
		{"admin", http.MethodGet, "/audit", nil, http.StatusOK},
	}
	allowedIn := map[string][]charging.Role{
		"read":    {charging.RoleAdmin, charging.RoleOperator, charging.RoleViewer},
		"write":   {charging.RoleAdmin, charging.RoleOperator},
		"command": {charging.RoleAdmin, charging.RoleOperator},
		"admin":   {charging.RoleAdmin},
	}
	for _, p := range probes {
		for _, role := range charging.Roles {
			code, _ := call(t, p.method, api+p.path, p.body, nil, people[role].auth()...)
			want := http.StatusForbidden
			if slices.Contains(allowedIn[p.family], role) {
				want = p.ok
			}
			if code != want && !(want == http.StatusOK && code == http.StatusAccepted) {
				t.Errorf("%s %s (%s) as %s = %d, want %d", p.method, p.path, p.family, role, code, want)
			}
		}
	}
	// Drivers see chargers, in their public view only. (The matrix's Reset
	// reboots CP-M: wait until it is back.)
	var pub map[string]any
	eventually(t, 10*time.Second, "CP-M back online for the driver", func() bool {
		pub = nil
		if code, _ := call(t, http.MethodGet, api+"/chargers/CP-M", nil, &pub, people[charging.RoleDriver].auth()...); code != http.StatusOK {
			t.Fatalf("driver GET /chargers/CP-M = %d, want 200", code)
		}
		return pub["online"] == true
	})
	for _, hidden := range []string{"securityProfile", "admission", "serialNumber", "firmwareVersion", "ocppVersion"} {
		if _, ok := pub[hidden]; ok {
			t.Errorf("driver sees charger field %s, want the public view only", hidden)
		}
	}
	if _, ok := pub["connectors"]; !ok || pub["online"] != true {
		t.Errorf("driver's charger view = %v, want online and connectors", pub)
	}
}

// TestDriverEvents: a driver's event stream carries their own sessions'
// events and the public view of chargers, nothing of another driver's.
func TestDriverEvents(t *testing.T) {
	n := startNode(t, node.Config{})
	api := n.Base + "/api/v1"
	startSim(t, sim.Config{URL: n.WS, ID: "CP-E", Connectors: 2})
	a := signup(t, api, "a@example.com")
	b := signup(t, api, "b@example.com")
	evA := subscribe(t, api+"/events", a.auth()...)
	evB := subscribe(t, api+"/events", b.auth()...)
	evStaff := subscribe(t, api+"/events")

	var s charging.Session
	if code, _ := call(t, http.MethodPost, api+"/chargers/CP-E/connectors/1/start", map[string]any{}, &s, a.auth()...); code != http.StatusAccepted {
		t.Fatalf("A starts = %d", code)
	}
	eventually(t, 10*time.Second, "A's session.meter event", func() bool { return evA.has("session.meter", s.ID) })
	eventually(t, 5*time.Second, "staff sees A's session", func() bool { return evStaff.has("session.started", s.ID) })
	sawConnector := false
	for _, e := range evB.all() {
		if strings.HasPrefix(e.Type, "session.") {
			t.Errorf("driver B got %s of A's session", e.Type)
		}
		if e.Type == "connector.status" {
			sawConnector = true
			k, _ := e.Data["connector"].(map[string]any)
			if _, ok := k["errorCode"]; ok || k["status"] == nil {
				t.Errorf("driver B's connector event = %v, want the public view (status, no errorCode)", k)
			}
		}
	}
	if !sawConnector {
		t.Error("driver B saw no connector.status while A's session started; drivers should see availability")
	}
	for _, e := range evA.all() {
		if c, ok := e.Data["charger"].(map[string]any); ok {
			if _, leak := c["securityProfile"]; leak {
				t.Errorf("driver A's %s carries the full charger", e.Type)
			}
		}
	}
}
