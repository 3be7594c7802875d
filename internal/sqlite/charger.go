package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// chargerColumns are the columns SaveCharger writes. The password hashes
// are not among them: SetCredentials is their only writer.
const chargerColumns = `id, vendor, model, serial_number, firmware_version, iccid, imsi,
	meter_type, meter_serial_number, ocpp_version, online, last_seen_at, last_boot_at,
	registration_status, firmware_status, diagnostics_status, created_at, ocpp_version_override,
	security_profile, min_security_profile, admission, password_set_at, name, site_id,
	tariff_id, group_tariffs, soap_address`

// chargerSelect is what scanCharger reads: chargerColumns and whether a
// new password waits for the charger (never the hashes themselves).
const chargerSelect = chargerColumns + `, next_password_hash <> ''`

// getChargerSQL is GetCharger's read of the charger row.
const getChargerSQL = `SELECT ` + chargerSelect + ` FROM chargers WHERE id = ?`

func scanCharger(row interface{ Scan(...any) error }) (charging.Charger, error) {
	var c charging.Charger
	var lastSeen, lastBoot, pwSet sql.NullInt64
	var created int64
	var reg, adm string
	var site, groups sql.NullString
	err := row.Scan(&c.ID, &c.Vendor, &c.Model, &c.SerialNumber, &c.FirmwareVersion, &c.ICCID, &c.IMSI,
		&c.MeterType, &c.MeterSerialNumber, &c.OCPPVersion, &c.Online, &lastSeen, &lastBoot, &reg,
		&c.FirmwareStatus, &c.DiagnosticsStatus, &created, &c.OCPPVersionOverride,
		&c.SecurityProfile, &c.MinSecurityProfile, &adm, &pwSet, &c.Name, &site,
		&c.TariffID, &groups, &c.SOAPAddress, &c.PasswordPending)
	if err != nil {
		return charging.Charger{}, err
	}
	if c.GroupTariffs, err = scanGroupTariffs(groups); err != nil {
		return charging.Charger{}, fmt.Errorf("group tariffs of charger %s: %w", c.ID, err)
	}
	c.SiteID = site.String
	c.LastSeenAt, c.LastBootAt, c.PasswordSetAt = timePtr(lastSeen), timePtr(lastBoot), timePtr(pwSet)
	c.RegistrationStatus = charging.RegistrationStatus(reg)
	c.Admission = charging.Admission(adm)
	c.CreatedAt = fromMicro(created)
	c.Connectors = []charging.Connector{}
	return c, nil
}

// connectorColumns are a connector's columns: what the charger reported,
// the operator's EVSE id and spec (connector_type ... max_power_w), the
// charger's reported spec, and the operator's tariffs and phase rotation.
const connectorColumns = `charger_id, connector_id, status, error_code, info, vendor_error_code,
	evse_id, connector_type, format, power_type, max_power_w,
	reported_connector_type, reported_format, reported_power_type, reported_max_power_w, updated_at,
	tariff_id, group_tariffs, phase_rotation, reported_phase_rotation`

// scanConnector reads connectorColumns and resolves the connector.
func scanConnector(row interface{ Scan(...any) error }) (chargerID string, c charging.Connector, err error) {
	var status string
	var updated int64
	var groups sql.NullString
	op, rep := &c.Operator, &c.Reported
	err = row.Scan(&chargerID, &c.ConnectorID, &status, &c.ErrorCode, &c.Info, &c.VendorErrorCode,
		&c.EVSEID, &op.ConnectorType, &op.Format, &op.PowerType, &op.MaxPowerW,
		&rep.ConnectorType, &rep.Format, &rep.PowerType, &rep.MaxPowerW, &updated, &c.TariffID, &groups, &op.PhaseRotation, &rep.PhaseRotation)
	if err == nil {
		c.GroupTariffs, err = scanGroupTariffs(groups)
	}
	c.Status = charging.ConnectorStatus(status)
	c.UpdatedAt = fromMicro(updated)
	c.Resolve()
	return chargerID, c, err
}

// connectorArgs are c's values for connectorColumns.
func connectorArgs(chargerID string, c charging.Connector) ([]any, error) {
	groups, err := groupTariffsArg(c.GroupTariffs)
	if err != nil {
		return nil, err
	}
	op, rep := c.Operator, c.Reported
	return []any{chargerID, c.ConnectorID, string(c.Status), c.ErrorCode, c.Info, c.VendorErrorCode,
		c.EVSEID, string(op.ConnectorType), string(op.Format), string(op.PowerType), op.MaxPowerW,
		string(rep.ConnectorType), string(rep.Format), string(rep.PowerType), rep.MaxPowerW, toMicro(c.UpdatedAt),
		c.TariffID, groups, string(op.PhaseRotation), string(rep.PhaseRotation)}, nil
}

// GetCharger returns the charger with its connectors ordered by id.
func (s *Store) GetCharger(ctx context.Context, id string) (charging.Charger, error) {
	// One read transaction, so charger and connectors are one snapshot.
	tx, done, err := s.readTx(ctx)
	if err != nil {
		return charging.Charger{}, fmt.Errorf("sqlite: get charger %s: %w", id, err)
	}
	defer done()

	c, err := scanCharger(s.txQueryRow(ctx, tx, getChargerSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return charging.Charger{}, fmt.Errorf("sqlite: get charger %s: %w", id, charging.Errorf(charging.ENOTFOUND, "charger %s not found", id))
	}
	if err != nil {
		return charging.Charger{}, fmt.Errorf("sqlite: get charger %s: %w", id, err)
	}
	s.withLastSeen(&c)
	cs := []charging.Charger{c}
	if err := loadConnectors(ctx, tx, cs); err != nil {
		return charging.Charger{}, fmt.Errorf("sqlite: get charger %s: %w", id, err)
	}
	return cs[0], nil
}

// loadConnectors fills the connectors of cs, which are ordered by id and are
// a contiguous range of ids, so one range scan of the primary key finds them.
func loadConnectors(ctx context.Context, tx querier, cs []charging.Charger) error {
	if len(cs) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+connectorColumns+` FROM connectors
		WHERE charger_id >= ? AND charger_id <= ? ORDER BY charger_id, connector_id`, cs[0].ID, cs[len(cs)-1].ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		id, k, err := scanConnector(rows)
		if err != nil {
			return err
		}
		for i < len(cs) && cs[i].ID < id {
			i++
		}
		if i < len(cs) && cs[i].ID == id {
			cs[i].Connectors = append(cs[i].Connectors, k)
		}
	}
	return rows.Err()
}

// ListChargers returns chargers ordered by id, with their connectors.
func (s *Store) ListChargers(ctx context.Context, q charging.ChargerQuery) (charging.Page[charging.Charger], error) {
	var page charging.Page[charging.Charger]
	n, err := limit(q.Limit, 100)
	if err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}
	var after string
	hasCursor, err := decodeCursor(q.Cursor, &after)
	if err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}

	var afterp *string
	if hasCursor {
		afterp = &after
	}
	query, args, err := listChargersQuery(q.Admission, q.SiteID, afterp, n+1)
	if err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}

	tx, done, err := s.readTx(ctx)
	if err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}
	defer done()

	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}
	defer rows.Close()
	page.Items = []charging.Charger{}
	for rows.Next() {
		c, err := scanCharger(rows)
		if err != nil {
			return page, fmt.Errorf("sqlite: list chargers: %w", err)
		}
		s.withLastSeen(&c)
		page.Items = append(page.Items, c)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: list chargers: %w", err)
	}
	rows.Close()
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = encodeCursor(page.Items[n-1].ID)
	}
	if err := loadConnectors(ctx, tx, page.Items); err != nil {
		return charging.Page[charging.Charger]{}, fmt.Errorf("sqlite: list chargers: %w", err)
	}
	return page, nil
}

// listChargersQuery returns ListChargers' query: chargers with the
// admission ("" any) at the site ("" any), after the id (nil: from the
// first), ordered by id.
func listChargersQuery(admission charging.Admission, siteID string, after *string, limit int) (string, []any, error) {
	var where []string
	var args []any
	if siteID != "" {
		// The site's chargers in id order: the index chargers_site.
		where, args = append(where, `site_id = ?`), append(args, siteID)
	}
	if admission != "" {
		// A literal, not a parameter: the planner then uses the partial
		// index chargers_pending for 'Pending' whether or not it re-plans
		// the statement for the value bound.
		lit, ok := admissionLiteral[admission]
		if !ok {
			return "", nil, charging.Errorf(charging.EINVALID, "unknown admission %q", admission)
		}
		where = append(where, `admission = `+lit)
	}
	if after != nil {
		where, args = append(where, `id > ?`), append(args, *after)
	}
	query := `SELECT ` + chargerSelect + ` FROM chargers`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return query + ` ORDER BY id LIMIT ?`, append(args, limit), nil
}

// admissionLiteral is each admission as an SQL literal.
var admissionLiteral = map[charging.Admission]string{
	charging.AdmissionAccepted: `'Accepted'`,
	charging.AdmissionPending:  `'Pending'`,
	charging.AdmissionRejected: `'Rejected'`,
}

// SaveCharger inserts or updates the charger's own fields; its connectors
// are untouched, and CreatedAt keeps the value of the first save. Status is
// not stored here: it is connector 0's (see SaveConnector). An empty
// Admission is stored as Accepted. The security fields are overwritten like
// the others (csms saves what it read); the password hashes are not
// touched, and PasswordPending is read-only (see SetCredentials).
func (s *Store) SaveCharger(ctx context.Context, c charging.Charger) error {
	return s.saveCharger(ctx, c, nil)
}

// SaveChargerCredentials saves the charger and its password hashes in one
// transaction.
func (s *Store) SaveChargerCredentials(ctx context.Context, c charging.Charger, creds charging.Credentials) error {
	return s.saveCharger(ctx, c, &creds)
}

// saveCharger upserts the charger's own fields and, when creds is set, its
// password hashes, in one write.
func (s *Store) saveCharger(ctx context.Context, c charging.Charger, creds *charging.Credentials) error {
	if c.ID == "" {
		return fmt.Errorf("sqlite: save charger: %w", charging.Errorf(charging.EINVALID, "charger id is empty"))
	}
	if c.Admission == "" {
		c.Admission = charging.AdmissionAccepted
	}
	if err := validSecurity(c); err != nil {
		return fmt.Errorf("sqlite: save charger %s: %w", c.ID, err)
	}
	groups, err := groupTariffsArg(c.GroupTariffs)
	if err != nil {
		return fmt.Errorf("sqlite: save charger %s: %w", c.ID, err)
	}
	return s.write(ctx, "save charger "+c.ID, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO chargers (`+chargerColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
				soap_address = excluded.soap_address`,
			c.ID, c.Vendor, c.Model, c.SerialNumber, c.FirmwareVersion, c.ICCID, c.IMSI,
			c.MeterType, c.MeterSerialNumber, c.OCPPVersion, c.Online, nullTime(c.LastSeenAt), nullTime(c.LastBootAt),
			string(c.RegistrationStatus), c.FirmwareStatus, c.DiagnosticsStatus, toMicro(c.CreatedAt),
			c.OCPPVersionOverride, // kept on update: SetOCPPVersionOverride is its only writer
			c.SecurityProfile, c.MinSecurityProfile, string(c.Admission), nullTime(c.PasswordSetAt),
			c.Name, nullString(c.SiteID), c.TariffID, groups, // kept on update: SaveChargerDetails is their writer
			c.SOAPAddress)
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "site %s not found", c.SiteID)
		}
		if err != nil || creds == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE chargers SET password_hash = ?, next_password_hash = ? WHERE id = ?`,
			creds.Password, creds.NextPassword, c.ID)
		return err
	})
}

// validSecurity checks what the schema's CHECK constraints would refuse,
// so that a caller gets an EINVALID that says why.
func validSecurity(c charging.Charger) error {
	switch {
	case c.SecurityProfile < charging.ProfileNone || c.SecurityProfile > charging.ProfileMTLS:
		return charging.Errorf(charging.EINVALID, "security profile %d is not 0 to 3", c.SecurityProfile)
	case c.MinSecurityProfile < charging.ProfileNone || c.MinSecurityProfile > charging.ProfileMTLS:
		return charging.Errorf(charging.EINVALID, "minimum security profile %d is not 0 to 3", c.MinSecurityProfile)
	}
	if _, ok := admissionLiteral[c.Admission]; !ok {
		return charging.Errorf(charging.EINVALID, "unknown admission %q", c.Admission)
	}
	return nil
}

// TouchCharger sets the charger's last-seen time; it does nothing (and
// returns nil) when there is no such charger. Last seen is presence, not a
// record a charger was promised: the time is kept in memory, visible at
// once to GetCharger and ListChargers, and written with the next group
// commit (at the latest a few seconds later, and at Close), so a heartbeat
// costs no fsync of its own. A time older than the stored one is ignored.
func (s *Store) TouchCharger(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: touch charger %s: %w", id, err)
	}
	if s.unit != nil {
		s.unit.presences = append(s.unit.presences, chargerPresence{id: id, p: presence{us: toMicro(at)}})
		return nil
	}
	s.gc.setPresence(id, presence{us: toMicro(at)})
	return nil
}

// withLastSeen applies a presence not yet written (TouchCharger,
// SetChargerPresence) that is not older than what is stored.
func (s *Store) withLastSeen(c *charging.Charger) {
	p, ok := s.gc.lastSeen(c.ID)
	if !ok || c.LastSeenAt != nil && toMicro(*c.LastSeenAt) > p.us {
		return
	}
	t := fromMicro(p.us)
	c.LastSeenAt = &t
	if p.online != 0 {
		c.Online = p.online == 1
	}
	if p.version != "" {
		c.OCPPVersion = p.version
	}
}

// SetChargerPresence records that a charger connected or disconnected:
// presence, kept in memory and written with a later batch like last-seen
// times (commit.go). Inside a unit of work it takes effect when the unit
// commits.
func (s *Store) SetChargerPresence(ctx context.Context, id string, p charging.ChargerPresence) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: set presence of %s: %w", id, err)
	}
	pr := presence{us: toMicro(p.At), online: 2, version: p.OCPPVersion}
	if p.Online {
		pr.online = 1
	}
	if s.unit != nil {
		s.unit.presences = append(s.unit.presences, chargerPresence{id: id, p: pr})
		return nil
	}
	s.gc.setPresence(id, pr)
	return nil
}

// SetAllOffline marks every charger offline and closes its span in the
// presence log (report_presence.go) at its last-seen time.
func (s *Store) SetAllOffline(ctx context.Context) error {
	return s.write(ctx, "set all offline", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, closePresenceSQL); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE chargers SET online = 0 WHERE online <> 0`)
		return err
	})
}

// SaveConnector inserts or updates one connector of an existing charger:
// every stored column (the effective fields are derived, not stored).
// Connector 0 is the charger itself (its 1.6 StatusNotification): it is
// stored and returned like the others, first in Connectors; csms moves it
// into Charger.Status when presenting a charger.
func (s *Store) SaveConnector(ctx context.Context, chargerID string, c charging.Connector) error {
	op := fmt.Sprintf("save connector %d of charger %s", c.ConnectorID, chargerID)
	if c.ConnectorID < 0 {
		return fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "connector id %d is negative", c.ConnectorID))
	}
	args, err := connectorArgs(chargerID, c)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return s.write(ctx, op, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO connectors (`+connectorColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
			args...)
		switch {
		case isForeignKey(err):
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		case isUnique(err) && strings.Contains(err.Error(), "evse_id"):
			return evseIDConflict(ctx, tx, c.EVSEID)
		}
		return err
	})
}

// evseIDConflict explains a connectors_evse_id violation: which connector
// has the EVSE id.
func evseIDConflict(ctx context.Context, tx *sql.Tx, evseID string) error {
	var chargerID string
	var connectorID int
	err := tx.QueryRowContext(ctx, `SELECT charger_id, connector_id FROM connectors WHERE evse_id = ?`, evseID).Scan(&chargerID, &connectorID)
	if err != nil {
		return charging.Errorf(charging.ECONFLICT, "evseId %s is another connector's", evseID)
	}
	return charging.Errorf(charging.ECONFLICT, "evseId %s is connector %d of charger %s already", evseID, connectorID, chargerID)
}

// SaveConnectorStatus records what a charger reports about one of its
// connectors (status, error code, info, vendor error code, time) without
// reading the charger first: the rest of an existing connector (its EVSE
// id and specs) is kept, and the whole stored connector is returned,
// resolved. A charger that does not exist is an ENOTFOUND.
func (s *Store) SaveConnectorStatus(ctx context.Context, chargerID string, c charging.Connector) (charging.Connector, error) {
	op := fmt.Sprintf("save connector %d status of charger %s", c.ConnectorID, chargerID)
	if c.ConnectorID < 0 {
		return charging.Connector{}, fmt.Errorf("sqlite: %s: %w", op, charging.Errorf(charging.EINVALID, "connector id %d is negative", c.ConnectorID))
	}
	var got charging.Connector
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var err error
		_, got, err = scanConnector(tx.QueryRowContext(ctx, saveConnectorStatusSQL,
			chargerID, c.ConnectorID, string(c.Status), c.ErrorCode, c.Info, c.VendorErrorCode, toMicro(c.UpdatedAt)))
		if isForeignKey(err) {
			return charging.Errorf(charging.ENOTFOUND, "charger %s not found", chargerID)
		}
		return err
	})
	return got, err
}

// saveConnectorStatusSQL is SaveConnectorStatus's upsert.
const saveConnectorStatusSQL = `INSERT INTO connectors (charger_id, connector_id, status, error_code, info, vendor_error_code, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (charger_id, connector_id) DO UPDATE SET
				status = excluded.status, error_code = excluded.error_code, info = excluded.info,
				vendor_error_code = excluded.vendor_error_code, updated_at = excluded.updated_at
			RETURNING ` + connectorColumns

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
