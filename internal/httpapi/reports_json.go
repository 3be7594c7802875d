package httpapi

import (
	"bufio"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// writeUsageReport writes a usage report as JSON, the same document
// encoding/json would write for usageReport, but streamed with each row
// appended by hand: a year by day by charger is 73,000 rows (23 MB), and
// reflection took longer than computing the report.
func writeUsageReport(w http.ResponseWriter, rep usageReport) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	head, _ := json.Marshal(struct {
		Interval charging.ReportInterval `json:"interval"`
		GroupBy  charging.ReportGroup    `json:"groupBy"`
		TimeZone string                  `json:"timeZone"`
		From     time.Time               `json:"from"`
		To       time.Time               `json:"to"`
	}{rep.Interval, rep.GroupBy, rep.TimeZone, rep.From, rep.To})
	bw.Write(head[:len(head)-1]) // without its closing brace
	bw.WriteString(`,"rows":[`)
	buf := make([]byte, 0, 512)
	for i, r := range rep.Rows {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendReportRow(buf, r)
		if _, err := bw.Write(buf); err != nil {
			return // the client left
		}
	}
	bw.WriteString(`],"totals":`)
	totals, _ := json.Marshal(rep.Totals)
	bw.Write(totals)
	bw.WriteString("}\n")
	bw.Flush()
}

// appendReportRow appends r as the JSON object encoding/json makes of a
// charging.ReportRow.
func appendReportRow(b []byte, r charging.ReportRow) []byte {
	b = append(b, `{"periodStart":"`...)
	b = r.PeriodStart.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","periodEnd":"`...)
	b = r.PeriodEnd.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","siteId":`...)
	b = appendJSONString(b, r.SiteID)
	b = append(b, `,"chargerId":`...)
	b = appendJSONString(b, r.ChargerID)
	b = append(b, `,"sessions":`...)
	b = strconv.AppendInt(b, int64(r.Sessions), 10)
	b = append(b, `,"energyWh":`...)
	b = appendJSONFloat(b, r.EnergyWh)
	b = append(b, `,"revenue":[`...)
	for i, m := range r.Revenue {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"currency":`...)
		b = appendJSONString(b, m.Currency)
		b = append(b, `,"amount":`...)
		b = appendJSONString(b, string(m.Amount))
		b = append(b, '}')
	}
	b = append(b, `],"occupiedS":`...)
	b = strconv.AppendInt(b, r.OccupiedS, 10)
	b = append(b, `,"connectorS":`...)
	b = strconv.AppendInt(b, r.ConnectorS, 10)
	b = append(b, `,"utilisation":`...)
	b = appendJSONFloat(b, r.Utilisation)
	b = append(b, `,"onlineS":`...)
	b = strconv.AppendInt(b, r.OnlineS, 10)
	b = append(b, `,"chargerS":`...)
	b = strconv.AppendInt(b, r.ChargerS, 10)
	b = append(b, `,"availability":`...)
	b = appendJSONFloat(b, r.Availability)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: plain printable ASCII as
// is (ids, currencies, decimals), anything else through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONFloat appends f as encoding/json does (the shortest form, an
// exponent below 1e-6 and from 1e21; NaN and infinities, which a report
// never has, as 0).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		b = strconv.AppendFloat(b, f, 'e', -1, 64)
		// As encoding/json: e-07 is written e-7.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
