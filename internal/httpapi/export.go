package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// maxExportRows bounds one CSV export; narrow the filters for more.
const maxExportRows = 100_000

// csvHeader names the columns of GET /api/v1/sessions.csv. Numbers are in
// base units (Wh, s) like the JSON API; times are RFC 3339 in UTC.
var csvHeader = []string{
	"id", "chargerId", "connectorId", "idTag", "transactionId", "status", "origin",
	"createdAt", "startedAt", "stoppedAt", "durationS",
	"meterStartWh", "meterStopWh", "energyWh", "stopReason", "failureReason",
	"tariffId", "currency", "totalCost", "totalExclVat", "tax", "paymentStatus", "paid", "refunded", "receiptNumber",
}

// GET /api/v1/sessions.csv?chargerId=&connectorId=&idTag=&status=
//
// The same sessions as GET /api/v1/sessions with the same filters, newest
// first, every page of them (up to maxExportRows), as a CSV download.
func (s *Server) exportSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sq, err := sessionFilter(q)
	sq.Limit = MaxLimit
	if err != nil {
		s.reject(w, r, err)
		return
	}
	sq.OwnerID = sessionOwner(r)
	// The first page is read before the header is written, so a failing
	// store still gets a problem response rather than an empty file.
	p, err := s.svc.ListSessions(r.Context(), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="sessions.csv"`)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)

	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	rows := 0
	for {
		for _, ses := range p.Items {
			if rows == maxExportRows {
				cw.Flush()
				return
			}
			_ = cw.Write(csvRow(ses))
			rows++
		}
		cw.Flush()
		if cw.Error() != nil || p.NextCursor == "" {
			return
		}
		sq.Cursor = p.NextCursor
		if p, err = s.svc.ListSessions(r.Context(), sq); err != nil {
			// The status line is gone; a truncated file is all we can do.
			// A cancelled request is the client leaving, not a failure.
			if r.Context().Err() == nil {
				s.log.Error("export sessions", "err", err)
			}
			return
		}
	}
}

func csvRow(s charging.Session) []string {
	dur := ""
	if s.StartedAt != nil && s.StoppedAt != nil {
		dur = strconv.FormatInt(int64(s.StoppedAt.Sub(*s.StartedAt)/time.Second), 10)
	}
	// Costs only once final: a running cost is not a price.
	var currency, total, exclVat, tax, paymentStatus, paid, refunded, receipt string
	if c := s.Cost; c != nil && c.Final {
		currency, total, exclVat, tax = c.Currency, c.Total, c.TotalExclVat, c.Tax
	}
	if p := s.Payment; p != nil {
		paymentStatus, paid, refunded, receipt = string(p.Status), p.Captured, p.Refunded, p.ReceiptNumber
	}
	return []string{
		s.ID, cell(s.ChargerID), strconv.Itoa(s.ConnectorID), cell(s.IDTag), cell(s.TransactionID),
		string(s.Status), s.Origin,
		csvTime(&s.CreatedAt), csvTime(s.StartedAt), csvTime(s.StoppedAt), dur,
		csvNum(s.MeterStartWh), csvNum(s.MeterStopWh), csvNum(&s.EnergyWh),
		cell(s.StopReason), cell(s.FailureReason),
		cell(s.TariffID), currency, total, exclVat, tax, paymentStatus, paid, refunded, receipt,
	}
}

// cell defuses text a spreadsheet would run as a formula (charger ids and
// id tags come from chargers, so they are not trusted).
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
