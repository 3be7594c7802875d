package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/joule-ev/joule/internal/charging"
)

// chargerColumns are the columns SaveCharger writes, in chargerArgs'
// order. The password hashes are not among them: SetCredentials and
// SaveChargerCredentials are their only writers.
const chargerColumns = `id, vendor, model, serial_number, firmware_version, iccid, imsi,
	meter_type, meter_serial_number, ocpp_version, online, last_seen_at, last_boot_at,
	registration_status, firmware_status, diagnostics_status, created_at, ocpp_version_override,
	security_profile, min_security_profile, admission, password_set_at, name, site_id,
	tariff_id, group_tariffs, soap_address`

// chargerSelect is what scanCharger reads (columns of chargers aliased c):
// chargerColumns and whether a new password waits for the charger (never
// the hashes themselves).
const chargerSelect = `c.id, c.vendor, c.model, c.serial_number, c.firmware_version, c.iccid, c.imsi,
	c.meter_type, c.meter_serial_number, c.ocpp_version, c.online, c.last_seen_at, c.last_boot_at,
	c.registration_status, c.firmware_status, c.diagnostics_status, c.created_at, c.ocpp_version_override,
	c.security_profile, c.min_security_profile, c.admission, c.password_set_at, c.name, c.site_id,
	c.tariff_id, c.group_tariffs, c.soap_address, c.next_password_hash <> ''`

// chargerDest returns the scan destinations of chargerSelect into c; fin
// completes c after the scan.
func chargerDest(c *charging.Charger) (dest []any, fin func()) {
	var reg, adm string
	var site *string
	dest = []any{&c.ID, &c.Vendor, &c.Model, &c.SerialNumber, &c.FirmwareVersion, &c.ICCID, &c.IMSI,
		&c.MeterType, &c.MeterSerialNumber, &c.OCPPVersion, &c.Online, &c.LastSeenAt, &c.LastBootAt, &reg,
		&c.FirmwareStatus, &c.DiagnosticsStatus, &c.CreatedAt, &c.OCPPVersionOverride,
		&c.SecurityProfile, &c.MinSecurityProfile, &adm, &c.PasswordSetAt, &c.Name, &site,
		&c.TariffID, &c.GroupTariffs, &c.SOAPAddress, &c.PasswordPending}
	return dest, func() {
		c.RegistrationStatus = charging.RegistrationStatus(reg)
		c.Admission = charging.Admission(adm)
		if site != nil {
			c.SiteID = *site
		}
		c.CreatedAt = utc(c.CreatedAt)
		c.GroupTariffs = emptyGroups(c.GroupTariffs)
		c.LastSeenAt, c.LastBootAt, c.PasswordSetAt = utcPtr(c.LastSeenAt), utcPtr(c.LastBootAt), utcPtr(c.PasswordSetAt)
		c.Connectors = []charging.Connector{}
	}
}

// scanCharger reads one row of chargerSelect.
func scanCharger(row pgx.Row) (charging.Charger, error) {
	var c charging.Charger
	dest, fin := chargerDest(&c)
	if err := row.Scan(dest...); err != nil {
		return charging.Charger{}, err
	}
	fin()
	return c, nil
}

// connectorColumns are a connector's columns (of connectors aliased k):
// what the charger reported, the operator's EVSE id and spec
// (connector_type ... max_power_w), the charger's reported spec, and the
// operator's tariffs and phase rotation.
const connectorColumns = `k.connector_id, k.status, k.error_code, k.info, k.vendor_error_code,
	k.evse_id, k.connector_type, k.format, k.power_type, k.max_power_w,
	k.reported_connector_type, k.reported_format, k.reported_power_type, k.reported_max_power_w, k.updated_at,
	k.tariff_id, k.group_tariffs, k.phase_rotation, k.reported_phase_rotation`

// nullConnector holds connectorColumns of an outer join, where a charger
// without connectors gives NULLs.
type nullConnector struct {
	id                          *int
	status, errorCode           *string
	info, vendorErrorCode       *string
	evseID                      *string
	opType, opFormat, opPower   *string
	opMax                       *float64
	repType, repFormat, repPowr *string
	repMax                      *float64
	updated                     *time.Time
	tariffID                    *string
	groups                      map[string]string
	rotation, repRotation       *string
}

func (n *nullConnector) dest() []any {
	return []any{&n.id, &n.status, &n.errorCode, &n.info, &n.vendorErrorCode,
		&n.evseID, &n.opType, &n.opFormat, &n.opPower, &n.opMax,
		&n.repType, &n.repFormat, &n.repPowr, &n.repMax, &n.updated, &n.tariffID, &n.groups, &n.rotation, &n.repRotation}
}

// connector returns the scanned connector, resolved, and whether there
// was one.
func (n *nullConnector) connector() (charging.Connector, bool) {
	if n.id == nil {
		return charging.Connector{}, false
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	f := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	k := charging.Connector{
		ConnectorID:     *n.id,
		Status:          charging.ConnectorStatus(s(n.status)),
		ErrorCode:       s(n.errorCode),
		Info:            s(n.info),
		VendorErrorCode: s(n.vendorErrorCode),
		EVSEID:          s(n.evseID),
		Operator: charging.ConnectorSpec{ConnectorType: charging.ConnectorType(s(n.opType)),
			Format: charging.ConnectorFormat(s(n.opFormat)), PowerType: charging.PowerType(s(n.opPower)), MaxPowerW: f(n.opMax),
			PhaseRotation: charging.PhaseRotation(s(n.rotation))},
		Reported: charging.ConnectorSpec{ConnectorType: charging.ConnectorType(s(n.repType)),
			Format: charging.ConnectorFormat(s(n.repFormat)), PowerType: charging.PowerType(s(n.repPowr)), MaxPowerW: f(n.repMax),
			PhaseRotation: charging.PhaseRotation(s(n.repRotation))},
		TariffID:     s(n.tariffID),
		GroupTariffs: emptyGroups(n.groups),
	}
	if n.updated != nil {
		k.UpdatedAt = n.updated.UTC()
	}
	k.Resolve()
	return k, true
}

// scanConnector reads one row of connectorColumns.
func scanConnector(row pgx.Row) (charging.Connector, error) {
	var n nullConnector
	if err := row.Scan(n.dest()...); err != nil {
		return charging.Connector{}, err
	}
	k, _ := n.connector()
	return k, nil
}

// chargersWithConnectors reads chargers with their connectors in one
// statement (one snapshot, one round trip): from is a subquery of
// chargers aliased c, already ordered and limited; the outer join adds
// each charger's connectors, ordered by id.
func chargersWithConnectors(ctx context.Context, q querier, from string, args ...any) ([]charging.Charger, error) {
	rows, err := q.Query(ctx, `SELECT `+chargerSelect+`, `+connectorColumns+`
		FROM (`+from+`) c LEFT JOIN connectors k ON k.charger_id = c.id
		ORDER BY c.id, k.connector_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []charging.Charger{}
	var c charging.Charger
	var n nullConnector
	cdest, fin := chargerDest(&c)
	dest := append(cdest, n.dest()...)
	for rows.Next() {
		c = charging.Charger{}
		n = nullConnector{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != c.ID {
			fin()
			out = append(out, c)
		}
		if k, ok := n.connector(); ok {
			last := &out[len(out)-1]
			last.Connectors = append(last.Connectors, k)
		}
	}
	return out, rows.Err()
}

// withTouches sets the last-seen times noted but not written yet
// (touch.go) on chargers read.
func (s *Store) withTouches(cs []charging.Charger) {
	for i := range cs {
		if at, ok := s.touch.latest(cs[i].ID); ok && (cs[i].LastSeenAt == nil || at.After(*cs[i].LastSeenAt)) {
			u := at.UTC().Truncate(time.Microsecond)
			cs[i].LastSeenAt = &u
		}
	}
}

// GetCharger returns the charger with its connectors ordered by id.
func (s *Store) GetCharger(ctx context.Context, id string) (charging.Charger, error) {
	op := "get charger " + id
	cs, err := chargersWithConnectors(ctx, s.q(), `SELECT * FROM chargers WHERE id = $1`, id)
	if err != nil {
		return charging.Charger{}, fail(op, err)
	}
	if len(cs) == 0 {
		return charging.Charger{}, fail(op, charging.Errorf(charging.ENOTFOUND, "charger %s not found", id))
	}
	s.withTouches(cs)
	return cs[0], nil
}

// admissions are the admissions a charger can have.
var admissions = map[charging.Admission]bool{
	charging.AdmissionAccepted: true,
	charging.AdmissionPending:  true,
	charging.AdmissionRejected: true,
}

// ListChargers returns chargers ordered by id, with their connectors.
func (s *Store) ListChargers(ctx context.Context, q charging.ChargerQuery) (charging.Page[charging.Charger], error) {
	const op = "list chargers"
	var page charging.Page[charging.Charger]
	n, err := pageLimit(q.Limit, 100)
	if err != nil {
		return page, fail(op, err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fail(op, err)
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.SiteID != "" {
		where = append(where, `site_id = `+arg(q.SiteID))
	}
	if q.Admission != "" {
		if !admissions[q.Admission] {
			return page, fail(op, charging.Errorf(charging.EINVALID, "unknown admission %q", q.Admission))
		}
		// A literal (checked above), so that the planner uses the partial
		// index chargers_pending for 'Pending' with any plan.
		where = append(where, `admission = '`+string(q.Admission)+`'`)
	}
	if hasCursor {
		where = append(where, `id > `+arg(after))
	}
	from := `SELECT * FROM chargers`
	if len(where) > 0 {
		from += ` WHERE ` + strings.Join(where, ` AND `)
	}
	from += ` ORDER BY id LIMIT ` + arg(n+1)
	page.Items, err = chargersWithConnectors(ctx, s.q(), from, args...)
	s.withTouches(page.Items)
	if err != nil {
		return charging.Page[charging.Charger]{}, fail(op, err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	return page, nil
}

// validSecurity checks what the schema's CHECK constraints would refuse,
// so that a caller gets an EINVALID that says why.
func validSecurity(c charging.Charger) error {
	switch {
	case c.SecurityProfile < charging.ProfileNone || c.SecurityProfile > charging.ProfileMTLS:
		return charging.Errorf(charging.EINVALID, "security profile %d is not 0 to 3", c.SecurityProfile)
	case c.MinSecurityProfile < charging.ProfileNone || c.MinSecurityProfile > charging.ProfileMTLS:
		return charging.Errorf(charging.EINVALID, "minimum security profile %d is not 0 to 3", c.MinSecurityProfile)
	case !admissions[c.Admission]:
		return charging.Errorf(charging.EINVALID, "unknown admission %q", c.Admission)
	}
	return nil
}

// upsertChargerSQL inserts a charger or updates its own fields. Kept on
// update: created_at (the first save's), ocpp_version_override
// (SetOCPPVersionOverride), name, site_id, tariff_id and group_tariffs
// (SaveChargerDetails), and the
// password hashes (never written here).
const upsertChargerSQL = `INSERT INTO chargers (` + chargerColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
	ON CONFLICT (id) DO UPDATE SET
		vendor = excluded.vendor, model = excluded.model, serial_number = excluded.serial_number,
		firmware_version = excluded.firmware_version, iccid = excluded.iccid, imsi = excluded.imsi,
		meter_type = excluded.meter_type, meter_serial_number = excluded.meter_serial_number,
		ocpp_version = excluded.ocpp_version, online = excluded.online,
		last_seen_at = excluded.last_seen_at, last_boot_at = excluded.last_boot_at,
		registration_status = excluded.registration_status,
		firmware_status = excluded.firmware_status, diagnostics_status = excluded.diagnostics_status,
		security_profile = excluded.security_profile, min_security_profile = excluded.min_security_profile,
		admission = excluded.admission, password_set_at = excluded.password_set_at,
		soap_address = excluded.soap_address`

// chargerArgs are c's values for chargerColumns.
func chargerArgs(c *charging.Charger) []any {
	var site *string
	if c.SiteID != "" {
		site = &c.SiteID
	}
	return []any{c.ID, c.Vendor, c.Model, c.SerialNumber, c.FirmwareVersion, c.ICCID, c.IMSI,
		c.MeterType, c.MeterSerialNumber, c.OCPPVersion, c.Online, c.LastSeenAt, c.LastBootAt,
		string(c.RegistrationStatus), c.FirmwareStatus, c.DiagnosticsStatus, c.CreatedAt,
		c.OCPPVersionOverride, c.SecurityProfile, c.MinSecurityProfile, string(c.Admission), c.PasswordSetAt,
		c.Name, site, c.TariffID, groupTariffsArg(c.GroupTariffs), c.SOAPAddress}
}

// prepareCharger checks c and fills its defaults (an empty Admission is
// Accepted) for upsertChargerSQL.
func prepareCharger(c *charging.Charger) error {
	if c.ID == "" {
		return charging.Errorf(charging.EINVALID, "charger id is empty")
	}
	if c.Admission == "" {
		c.Admission = charging.AdmissionAccepted
	}
	return validSecurity(*c)
}

// upsertCharger runs upsertChargerSQL on q; a site that does not exist is
// ENOTFOUND.
func upsertCharger(ctx context.Context, q querier, c *charging.Charger) error {
	_, err := q.Exec(ctx, upsertChargerSQL, chargerArgs(c)...)
	if isCode(err, codeForeignKeyViolation) {
		return charging.Errorf(charging.ENOTFOUND, "site %s not found", c.SiteID)
	}
	return err
}

// SaveCharger inserts or updates the charger's own fields; its connectors
// are untouched, and CreatedAt keeps the value of the first save. Status
// is not stored here: it is connector 0's (see SaveConnector). Name and
// SiteID are written on insert only.
func (s *Store) SaveCharger(ctx context.Context, c charging.Charger) error {
	op := "save charger " + c.ID
	if err := prepareCharger(&c); err != nil {
		return fail(op, err)
	}
	return fail(op, s.stmt(ctx, func(q querier) error { return upsertCharger(ctx, q, &c) }))
}

// TouchCharger sets the charger's last-seen time; it does nothing (and
// returns nil) when there is no such charger or the stored time is later.
// It is written at once: several nodes read the same database.
func (s *Store) TouchCharger(ctx context.Context, id string, at time.Time) error {
	if s.tx == nil && s.touch.stop != nil {
		s.touch.note(id, at) // written within touchInterval (touch.go)
		return nil
	}
	_, err := s.q().Exec(ctx, `UPDATE chargers SET last_seen_at = $2
		WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)`, id, at)
	return fail("touch charger "+id, err)
}

// SetChargerPresence records that a charger connected or disconnected, at
// p.At, also its last-seen time. It is written at once, and never undoes a
// write of the charger made after p.At: a charger whose last-seen time is
// later is left as it is. An unknown charger is ignored.
func (s *Store) SetChargerPresence(ctx context.Context, id string, p charging.ChargerPresence) error {
	// The presence log (report.go) gets a span per connection: a connect
	// opens one unless one is open (a replaced connection), a disconnect
	// closes the open one.
	_, err := s.q().Exec(ctx, `WITH c AS (
			UPDATE chargers SET online = $2,
				ocpp_version = CASE WHEN $3 <> '' THEN $3 ELSE ocpp_version END, last_seen_at = $4
			WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $4) RETURNING id
		), closed AS (
			UPDATE presence_log SET online_to = $4
			WHERE NOT $2 AND charger_id IN (SELECT id FROM c) AND online_to IS NULL AND online_from <= $4
		)
		INSERT INTO presence_log (charger_id, online_from) SELECT id, $4 FROM c WHERE $2
		ON CONFLICT (charger_id) WHERE online_to IS NULL DO NOTHING`, id, p.Online, p.OCPPVersion, p.At)
	return fail("set presence of "+id, err)
}

// SetAllOffline marks every charger offline and closes its span in the
// presence log at its last-seen time.
func (s *Store) SetAllOffline(ctx context.Context) error {
	_, err := s.q().Exec(ctx, `WITH closed AS (
			UPDATE presence_log p SET online_to = greatest(p.online_from, coalesce(c.last_seen_at, p.online_from))
			FROM chargers c WHERE p.online_to IS NULL AND c.id = p.charger_id
		)
		UPDATE chargers SET online = false WHERE online`)
	return fail("set all offline", err)
}

// connectorInsert is the column list and values of a whole connector.
const connectorInsert = `INSERT INTO connectors (charger_id, connector_id, status, error_code, info, vendor_error_code,
		evse_id, connector_type, format, power_type, max_power_w,
		reported_connector_type, reported_format, reported_power_type, reported_max_power_w, updated_at,
		tariff_id, group_tariffs, phase_rotation, reported_phase_rotation)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`

// errEVSEIDTaken marks a connectors_evse_id violation, explained once the
// failed statement's savepoint is gone (evseIDConflict).
var errEVSEIDTaken = errors.New("evse id taken")

// SaveConnector inserts or updates one connector of an existing charger:
// every stored column (the effective fields are derived, not stored).
// Connector 0 is the charger itself (its 1.6 StatusNotification): it is
// stored and returned like the others, first in Connectors.
func (s *Store) SaveConnector(ctx context.Context, chargerID string, c charging.Connector) error {
	op := fmt.Sprintf("save connector %d of charger %s", c.ConnectorID, chargerID)
	if c.ConnectorID < 0 {
		return fail(op, charging.Errorf(charging.EINVALID, "connector id %d is negative", c.ConnectorID))
	}
	o, r := c.Operator, c.Reported
	err := s.stmt(ctx, func(q querier) error {
		_, err := q.Exec(ctx, connectorInsert+`
			ON CONFLICT (charger_id, connector_id) DO UPDATE SET
				status = excluded.status, error_code = excluded.error_code, info = excluded.info,
				vendor_error_code = excluded.vendor_error_code, evse_id = excluded.evse_id,
				connector_type = excluded.connector_type, format = excluded.format,
				power_type = excluded.power_type, max_power_w = excluded.max_power_w,
				reported_connector_type = excluded.reported_connector_type,
				reported_format = excluded.reported_format, reported_power_type = excluded.reported_power_type,
				reported_max_power_w = excluded.reported_max_power_w, updated_at = excluded.updated_at,
				tariff_id = excluded.tariff_id, group_tariffs = excluded.group_tariffs,
				phase_rotation = excluded.phase_rotation, reported_phase_rotation = excluded.reported_phase_rotation`,
			chargerID, c.ConnectorID, string(c.Status), c.ErrorCode, c.Info, c.VendorErrorCode,
			c.EVSEID, string(o.ConnectorType), string(o.Format), string(o.PowerType), o.MaxPowerW,
			string(r.ConnectorType), string(r.Format), string(r.PowerType), r.MaxPowerW, c.UpdatedAt,
			c.TariffID, groupTariffsArg(c.GroupTariffs), string(o.PhaseRotation), string(r.PhaseRotation))
		var pe *pgconn.PgError
		switch {
		case isCode(err, codeForeignKeyViolation):
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		case errors.As(err, &pe) && pe.Code == codeUniqueViolation && pe.ConstraintName == "connectors_evse_id":
			return errEVSEIDTaken
		}
		return err
	})
	if errors.Is(err, errEVSEIDTaken) {
		err = evseIDConflict(ctx, s.q(), c.EVSEID)
	}
	return fail(op, err)
}

// evseIDConflict explains a connectors_evse_id violation: which connector
// has the EVSE id.
func evseIDConflict(ctx context.Context, q querier, evseID string) error {
	var chargerID string
	var connectorID int
	err := q.QueryRow(ctx, `SELECT charger_id, connector_id FROM connectors WHERE evse_id = $1 AND evse_id <> ''`, evseID).
		Scan(&chargerID, &connectorID)
	if err != nil {
		return charging.Errorf(charging.ECONFLICT, "evseId %s is another connector's", evseID)
	}
	return charging.Errorf(charging.ECONFLICT, "evseId %s is connector %d of charger %s already", evseID, connectorID, chargerID)
}

// SaveConnectorStatus records what a charger reports about one of its
// connectors (status, error code, info, vendor error code, time) without
// reading the charger first: the rest of an existing connector (its EVSE
// id and specs) is kept, and the whole stored connector is returned,
// resolved. A charger that does not exist is ENOTFOUND.
func (s *Store) SaveConnectorStatus(ctx context.Context, chargerID string, c charging.Connector) (charging.Connector, error) {
	op := fmt.Sprintf("save connector %d status of charger %s", c.ConnectorID, chargerID)
	if c.ConnectorID < 0 {
		return charging.Connector{}, fail(op, charging.Errorf(charging.EINVALID, "connector id %d is negative", c.ConnectorID))
	}
	var got charging.Connector
	err := s.stmt(ctx, func(q querier) error {
		var err error
		got, err = scanConnector(q.QueryRow(ctx, `INSERT INTO connectors AS k
				(charger_id, connector_id, status, error_code, info, vendor_error_code, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (charger_id, connector_id) DO UPDATE SET
				status = excluded.status, error_code = excluded.error_code, info = excluded.info,
				vendor_error_code = excluded.vendor_error_code, updated_at = excluded.updated_at
			RETURNING `+connectorColumns,
			chargerID, c.ConnectorID, string(c.Status), c.ErrorCode, c.Info, c.VendorErrorCode, c.UpdatedAt))
		if isCode(err, codeForeignKeyViolation) {
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		return err
	})
	if err != nil {
		return charging.Connector{}, fail(op, err)
	}
	return got, nil
}
