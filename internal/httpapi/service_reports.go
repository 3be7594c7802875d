package httpapi

import (
	"context"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// ReportService is the usage report part of Service (reports.go).
// csms.Service implements it.
type ReportService interface {
	// UsageReport returns a usage report (charging.ReportStore); q.Now,
	// when zero, is now.
	UsageReport(ctx context.Context, q charging.ReportQuery) ([]charging.ReportRow, error)
	// ReportSummary returns the dashboard's numbers in loc.
	ReportSummary(ctx context.Context, loc *time.Location) (charging.ReportSummary, error)
}
