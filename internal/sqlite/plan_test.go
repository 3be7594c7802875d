package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joule-ev/joule/internal/charging"
)

// planCase is one hot query: its SQL as the store runs it, with
// representative arguments (they matter: SQLite re-plans a statement for
// the bound values that decide whether a partial index applies).
type planCase struct {
	name  string
	sql   string
	args  []any
	want  []string // each must be in the plan: the index or key that bounds the query
	walk  string   // why a SCAN is fine (an ordered walk LIMIT stops, or of a small partial index); "" forbids it
	sort  string   // why a temp B-tree sorts a bounded set; "" forbids it
	write bool     // explained on the writer: the statement changes data
}

// TestHotQueryPlans checks that no query of a timer or a hot path reads a
// number of rows that grows with history: EXPLAIN QUERY PLAN (without
// ANALYZE, as in production) must show the expected index or key, and no
// SCAN, automatic index or sort unless the case says why it is bounded.
//
// Dynamic SQL (ListSessions, ListReservations, ListCommands, ListAudit,
// ...) is repeated here in the shapes their callers produce: keep them in
// step. A partial index serves a query only if the query repeats its WHERE
// term for term: status IN ('pending', 'active') with literals in the
// index's order (not IN (?, ?), nor IN ('active', 'pending')), a single
// status as status = ? or status = 'pending' (not IN (?)), and
// "x = ? AND x <> ”" for the indexes WHERE x <> ”. And without ANALYZE
// the planner prefers an index that gives the ORDER BY to one that bounds
// the rows, so the partial indexes list their order columns too.
func TestHotQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "joule.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const (
		us     = int64(1_700_000_000_000_000) // a time, unix µs
		page   = 101                          // a list's limit + 1
		sesSel = `SELECT ` + sessionSelect + ` FROM sessions`
		resSel = `SELECT ` + reservationColumns + ` FROM reservations`
		cmdSel = `SELECT ` + commandColumns + ` FROM commands`
		audSel = `SELECT ` + auditColumns + ` FROM audit_log`
		evSel  = `SELECT id, charger_id, action, kind, timestamp, evse_id, summary, payload, received_at FROM charger_events`
		newest = ` ORDER BY created_at DESC, id DESC LIMIT ?`
	)
	chargers := func(adm charging.Admission, after *string) (string, []any) {
		q, args, err := listChargersQuery(adm, "", after, page)
		if err != nil {
			t.Fatal(err)
		}
		return q, args
	}
	cp1 := "CP-1"
	chargersFirst, chargersFirstArgs := chargers("", nil)
	chargersNext, chargersNextArgs := chargers("", &cp1)
	chargersPending, chargersPendingArgs := chargers(charging.AdmissionPending, nil)
	chargersAtSite, chargersAtSiteArgs, err := listChargersQuery("", "S-1", &cp1, page)
	if err != nil {
		t.Fatal(err)
	}

	cases := []planCase{
		// session.go, and the shapes of ListSessions that csms asks.
		{name: "GetSession", sql: sesSel + ` WHERE id = ?`, args: []any{"S-1"},
			want: []string{"sqlite_autoindex_sessions_1 (id=?)"}},
		{name: "GetSessionByIdempotencyKey", sql: sesSel + ` WHERE idempotency_key = ? AND idempotency_key <> ''`,
			args: []any{"K-1"}, want: []string{"sessions_idempotency_key (idempotency_key=?)"}},
		{name: "GetSessionByTransaction",
			sql:  sesSel + ` WHERE charger_id = ? AND transaction_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
			args: []any{"CP-1", "7"}, want: []string{"sessions_transaction_created (charger_id=? AND transaction_id=?)"}},
		{name: "ListSessions open on a charger (StartTransaction, MeterValues)",
			sql:  sesSel + ` WHERE charger_id = ? AND status IN ('pending', 'active')` + newest,
			args: []any{"CP-1", 1001}, want: []string{"sessions_open_created (charger_id=?)"}},
		{name: "ListSessions open on a connector",
			sql:  sesSel + ` WHERE charger_id = ? AND connector_id = ? AND status IN ('pending', 'active')` + newest,
			args: []any{"CP-1", 1, 1001}, want: []string{"sessions_open_created (charger_id=?)"}},
		{name: "ListSessions active (lost-session sweep)",
			sql:  sesSel + ` WHERE status = 'active'` + newest,
			args: []any{1001}, want: []string{"SCAN sessions USING INDEX sessions_active_created"},
			walk: "the partial index holds only active sessions, in the order wanted: LIMIT stops the walk"},
		{name: "ListSessions pending before a cutoff (expiry timer)",
			sql:  sesSel + ` WHERE status = 'pending' AND created_at < ?` + newest,
			args: []any{us, 1001}, want: []string{"sessions_pending_created (created_at<?)"}},
		{name: "ListSessions of an owner", sql: sesSel + ` WHERE owner_id = ? AND owner_id <> ''` + newest,
			args: []any{"U-1", page}, want: []string{"sessions_owner_created (owner_id=?)"}},
		{name: "ListSessions of a charger", sql: sesSel + ` WHERE charger_id = ?` + newest,
			args: []any{"CP-1", page}, want: []string{"sessions_charger_created (charger_id=?)"}},
		{name: "ListSessions, all", sql: sesSel + newest, args: []any{page},
			want: []string{"SCAN sessions USING INDEX sessions_created"},
			walk: "newest first is sessions_created's order: LIMIT stops the walk"},
		{name: "ListSessions of a site", sql: sesSel + ` WHERE charger_id IN (SELECT id FROM chargers WHERE site_id = ?)` + newest,
			args: []any{"S-1", page}, want: []string{"chargers_site (site_id=?)", "sessions_charger_created (charger_id=?)"},
			sort: "the site's own sessions (those of its chargers, each read from sessions_charger_created), not the table's: an operator's list, not a timer's"},
		{name: "ListSessions active at a site (the smart-charging balancer, at every look)", sql: sesSel + ` WHERE charger_id IN (SELECT id FROM chargers WHERE site_id = ?) AND status = 'active'` + newest,
			args: []any{"S-1", 1001}, want: []string{"chargers_site (site_id=?)", "sessions_active (charger_id=?)"},
			sort: "the site's active sessions only (one per connector)"},
		{name: "ListSiteLoad", sql: `SELECT site_id, at FROM site_load WHERE site_id = ? AND at >= ? AND at < ? ORDER BY at DESC LIMIT ?`,
			args: []any{"S-1", us, us, 10000}, want: []string{"PRIMARY KEY (site_id=? AND at>? AND at<?)"}},
		{name: "PurgeSiteLoad", sql: `DELETE FROM site_load WHERE at < ?`, write: true,
			args: []any{us}, want: []string{"site_load_at (at<?)"}},
		{name: "CreateSession", sql: insertSessionSQL, write: true,
			args: append(make([]any, nSessionColumns), "", "TAG"), want: []string{"sqlite_autoindex_id_tags_1 (id_tag=?)"}},
		{name: "UpdateSession (AddMeterSamples, StopTransaction)", sql: updateSessionSQL, write: true,
			args: append(make([]any, nSessionColumns-1), "", "", "TAG", "S-1"),
			want: []string{"sqlite_autoindex_sessions_1 (id=?)", "sqlite_autoindex_id_tags_1 (id_tag=?)"}},
		{name: "live values flush (commit.go)", write: true,
			sql:  liveFlushSQL,
			args: []any{us, 1.0, 1.0, nil, nil, nil, nil, "S-1", us}, want: []string{"sqlite_autoindex_sessions_1 (id=?)"}},

		// meter.go: the samples are in the meter log (meterlog.go), not in
		// SQLite; retention finds the ended sessions here.
		{name: "PurgeMeterSamples ended sessions not done", write: true,
			sql: `SELECT id FROM sessions
			WHERE status IN ('finished', 'failed') AND samples_purged = 0 AND updated_at < ?
			ORDER BY updated_at LIMIT ?`,
			args: []any{us, 51}, want: []string{"sessions_ended (updated_at<?)"}},
		{name: "PurgeMeterSamples mark done", write: true,
			sql: `UPDATE sessions SET samples_purged = 1 WHERE id = ?`, args: []any{"S-1"},
			want: []string{"sqlite_autoindex_sessions_1 (id=?)"}},

		// charger.go, commit.go, security.go
		{name: "GetCharger", sql: `SELECT ` + chargerSelect + ` FROM chargers WHERE id = ?`, args: []any{"CP-1"},
			want: []string{"sqlite_autoindex_chargers_1 (id=?)"}},
		{name: "GetCharger connectors",
			sql: `SELECT ` + connectorColumns + ` FROM connectors
		WHERE charger_id >= ? AND charger_id <= ? ORDER BY charger_id, connector_id`,
			args: []any{"CP-1", "CP-1"}, want: []string{"connectors USING PRIMARY KEY (charger_id>? AND charger_id<?)"}},
		{name: "ListChargers", sql: chargersFirst, args: chargersFirstArgs,
			want: []string{"SCAN chargers USING INDEX sqlite_autoindex_chargers_1"},
			walk: "ordered by id, the primary key's order: LIMIT stops the walk"},
		{name: "ListChargers, next page", sql: chargersNext, args: chargersNextArgs,
			want: []string{"sqlite_autoindex_chargers_1 (id>?)"}},
		{name: "ListChargers pending", sql: chargersPending, args: chargersPendingArgs,
			want: []string{"SCAN chargers USING INDEX chargers_pending"},
			walk: "the partial index holds only the chargers waiting for admission"},
		{name: "ListChargers at a site, next page", sql: chargersAtSite, args: chargersAtSiteArgs,
			want: []string{"chargers_site (site_id=? AND id>?)"}},
		{name: "ListSites", sql: `SELECT ` + siteColumns + ` FROM sites ORDER BY name, id LIMIT ?`, args: []any{page},
			want: []string{"SCAN sites USING INDEX sites_name"}, walk: "ordered by the index: LIMIT stops the walk"},
		{name: "ListSites, next page", sql: `SELECT ` + siteColumns + ` FROM sites WHERE (name, id) > (?, ?) ORDER BY name, id LIMIT ?`,
			args: []any{"Depot", "S-1", page}, want: []string{"sites_name ((name,id)>(?,?))"}},
		{name: "DeleteSite count", sql: `SELECT count(*) FROM chargers WHERE site_id = ?`, args: []any{"S-1"},
			want: []string{"chargers_site (site_id=?)"}},
		{name: "GetCredentials (every connection)", sql: `SELECT password_hash, next_password_hash FROM chargers WHERE id = ?`,
			args: []any{"CP-1"}, want: []string{"sqlite_autoindex_chargers_1 (id=?)"}},
		{name: "TouchCharger flush (commit.go)", write: true,
			sql:  `UPDATE chargers SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)`,
			args: []any{us, "CP-1", us}, want: []string{"sqlite_autoindex_chargers_1 (id=?)"}},
		// An upsert: its conflict target is the primary key (the statement
		// would not compile otherwise), so the plan has nothing to show.
		{name: "SaveConnectorStatus", write: true,
			sql:  saveConnectorStatusSQL,
			args: []any{"CP-1", 1, "Available", "NoError", "", "", us}},

		// devicemodel.go
		{name: "HasTransactionEvent",
			sql:  `SELECT count(*) FROM transaction_events WHERE charger_id = ? AND transaction_id = ? AND seq_no = ?`,
			args: []any{"CP-1", "T-1", 3}, want: []string{"PRIMARY KEY (charger_id=? AND transaction_id=? AND seq_no=?)"}},
		{name: "ListTransactionEvents",
			sql: `SELECT charger_id, transaction_id, seq_no, event_type, timestamp, trigger_reason, offline,
		number_of_phases_used, charging_state, stopped_reason, session_id, received_at
		FROM transaction_events WHERE charger_id = ? AND transaction_id = ? ORDER BY timestamp, seq_no`,
			args: []any{"CP-1", "T-1"}, want: []string{"PRIMARY KEY (charger_id=? AND transaction_id=?)"},
			sort: "the events of one transaction, which the primary key finds"},
		{name: "ListChargerEvents", sql: evSel + ` WHERE charger_id = ? ORDER BY timestamp DESC, id DESC LIMIT ?`,
			args: []any{"CP-1", page}, want: []string{"charger_events_charger (charger_id=?)"}},
		{name: "ListChargerEvents, next page",
			sql:  evSel + ` WHERE charger_id = ? AND (timestamp, id) < (?, ?) ORDER BY timestamp DESC, id DESC LIMIT ?`,
			args: []any{"CP-1", us, int64(9), page}, want: []string{"charger_events_charger (charger_id=? AND timestamp<?)"}},

		// reservation.go, in the shapes csms/reservations.go asks.
		{name: "ListReservations past their expiry (expiry timer)",
			sql:  resSel + ` WHERE status IN ('pending', 'active') AND expires_at < ? ORDER BY id DESC LIMIT ?`,
			args: []any{us, 1001}, want: []string{"SCAN reservations USING INDEX reservations_open"},
			walk: "the partial index holds only the open reservations (the timer expires them)"},
		{name: "ListReservations open on a connector (remote start)",
			sql:  resSel + ` WHERE charger_id = ? AND connector_id = ? AND connector_id > 0 AND status IN ('pending', 'active') ORDER BY id DESC LIMIT ?`,
			args: []any{"CP-1", 1, 11}, want: []string{"reservations_open_connector (charger_id=? AND connector_id=?)"}},
		{name: "ListReservations of a charger", sql: resSel + ` WHERE charger_id = ? ORDER BY id DESC LIMIT ?`,
			args: []any{"CP-1", page}, want: []string{"reservations_charger (charger_id=?)"}},

		// command.go
		{name: "ListCommands", sql: cmdSel + ` WHERE charger_id = ? ORDER BY requested_at DESC, id DESC LIMIT ?`,
			args: []any{"CP-1", page}, want: []string{"commands_charger (charger_id=?)"}},
		{name: "ListCommands of an action",
			sql:  cmdSel + ` WHERE charger_id = ? AND action = ? ORDER BY requested_at DESC, id DESC LIMIT ?`,
			args: []any{"CP-1", "Reset", page}, want: []string{"commands_charger (charger_id=?)"}},

		// firmware.go
		{name: "ListFirmwareJobs", sql: `SELECT ` + firmwareJobColumns + ` FROM firmware_jobs WHERE charger_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, args: []any{"CP-1", jobListLimit},
			want: []string{"firmware_jobs_charger (charger_id=?)"}},
		{name: "ListDiagnosticsJobs", sql: `SELECT ` + diagnosticsJobColumns + ` FROM diagnostics_jobs WHERE charger_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, args: []any{"CP-1", jobListLimit},
			want: []string{"diagnostics_jobs_charger (charger_id=?)"}},
		{name: "GetDiagnosticsJobByToken", sql: `SELECT ` + diagnosticsJobColumns + ` FROM diagnostics_jobs WHERE token = ?`,
			args: []any{"tok"}, want: []string{"sqlite_autoindex_diagnostics_jobs_2 (token=?)"}},

		// account.go, idtag.go
		{name: "GetToken (every request)", sql: getTokenSQL, args: []any{"hash"},
			want: []string{"sqlite_autoindex_auth_tokens_1 (hash=?)", "sqlite_autoindex_users_1 (id=?)"}},
		{name: "GetAPIKeyByHash (every request)", sql: `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE hash = ?`,
			args: []any{"hash"}, want: []string{"sqlite_autoindex_api_keys_2 (hash=?)"}},
		{name: "DeleteExpiredTokens (hourly)", write: true, sql: `DELETE FROM auth_tokens WHERE expires_at < ?`,
			args: []any{us}, want: []string{"auth_tokens_expiry (expires_at<?)"}},
		{name: "ListAudit", sql: audSel + ` ORDER BY id DESC LIMIT ?`, args: []any{page},
			want: []string{"SCAN audit_log"}, walk: "newest first is the rowid read backwards: LIMIT stops the walk"},
		{name: "ListAudit, next page", sql: audSel + ` WHERE id < ? ORDER BY id DESC LIMIT ?`,
			args: []any{int64(500), page}, want: []string{"INTEGER PRIMARY KEY (rowid<?)"}},
		{name: "ListAudit of an actor", sql: audSel + ` WHERE actor_id = ? AND actor_id <> '' ORDER BY id DESC LIMIT ?`,
			args: []any{"U-1", page}, want: []string{"audit_log_actor (actor_id=?)"}},
		{name: "ListAudit of a target", sql: audSel + ` WHERE target = ? AND target <> '' ORDER BY id DESC LIMIT ?`,
			args: []any{"charger CP-1", page}, want: []string{"audit_log_target (target=?)"}},
		{name: "GetIDTag (Authorize, StartTransaction)", sql: `SELECT ` + idTagColumns + ` FROM id_tags WHERE id_tag = ?`,
			args: []any{"TAG"}, want: []string{"sqlite_autoindex_id_tags_1 (id_tag=?)"}},
	}
	for _, c := range cases {
		db := s.r
		if c.write {
			db = s.w
		}
		plan, err := queryPlan(ctx, db, c.sql, c.args...)
		if err != nil {
			t.Errorf("%s: %v\nquery: %s", c.name, err, c.sql)
			continue
		}
		for _, problem := range planProblems(plan, c) {
			t.Errorf("%s: %s\nplan:\n\t%s\nquery: %s", c.name, problem, strings.Join(plan, "\n\t"), c.sql)
		}
	}
}

// planProblems returns what is wrong with plan, the plan of c.
func planProblems(plan []string, c planCase) []string {
	var bad []string
	all := strings.Join(plan, "\n")
	for _, w := range c.want {
		if !strings.Contains(all, w) {
			bad = append(bad, "plan lacks "+w)
		}
	}
	for _, l := range plan {
		switch {
		case strings.Contains(l, "AUTOMATIC"):
			bad = append(bad, "builds an automatic index, which reads the whole table: "+l)
		case strings.HasPrefix(l, "SCAN ") && c.walk == "":
			bad = append(bad, "scans: "+l)
		case strings.HasPrefix(l, "SEARCH ") && !strings.Contains(l, " USING "):
			bad = append(bad, "searches without an index: "+l)
		case strings.Contains(l, "TEMP B-TREE") && c.sort == "":
			bad = append(bad, "sorts: "+l)
		}
	}
	return bad
}

// queryPlan returns the detail lines of EXPLAIN QUERY PLAN query.
func queryPlan(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}
