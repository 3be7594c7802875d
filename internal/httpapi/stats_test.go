package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/httpapi"
)

// PowerHistory answers a bucket a minute from the query's since (or
// 10:00) to 10:03.
func (f *fakeService) PowerHistory(ctx context.Context, q charging.PowerQuery) (charging.PowerHistory, error) {
	f.mu.Lock()
	f.powerQuery = &q
	f.mu.Unlock()
	if err := f.fail("PowerHistory"); err != nil {
		return charging.PowerHistory{}, err
	}
	since, step := q.Since, q.Step
	if since.IsZero() {
		since = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	}
	if step == 0 {
		step = time.Minute
	}
	h := charging.PowerHistory{Since: since, Until: time.Date(2026, 5, 1, 10, 3, 0, 0, time.UTC), Step: step}
	for t := since; t.Before(h.Until); t = t.Add(step) {
		h.Buckets = append(h.Buckets, charging.PowerBucket{Start: t, PowerW: 7000})
	}
	return h, nil
}

func (f *fakeService) query() *charging.PowerQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.powerQuery
}

func TestPowerStats(t *testing.T) {
	e := newEnv(t, httpapi.Options{})
	var h struct {
		Since, Until time.Time
		StepSeconds  int
		Items        []struct {
			Time   time.Time
			PowerW float64
		}
	}
	want(t, e.do(t, "GET", "/api/v1/stats/power?since=2026-05-01T10:01:00Z&step=30", ""), http.StatusOK, &h)
	if q := e.svc.query(); q == nil || !q.Since.Equal(time.Date(2026, 5, 1, 10, 1, 0, 0, time.UTC)) || q.Step != 30*time.Second {
		t.Errorf("service asked for %+v, want since 10:01, step 30s", q)
	}
	if h.StepSeconds != 30 || len(h.Items) != 4 || !h.Items[1].Time.Equal(time.Date(2026, 5, 1, 10, 1, 30, 0, time.UTC)) || h.Items[1].PowerW != 7000 ||
		!h.Until.Equal(time.Date(2026, 5, 1, 10, 3, 0, 0, time.UTC)) {
		t.Errorf("history = %+v, want 4 buckets of 30 s from 10:01 until 10:03", h)
	}

	// No parameters: the service's defaults.
	want(t, e.do(t, "GET", "/api/v1/stats/power", ""), http.StatusOK, &h)
	if q := e.svc.query(); !q.Since.IsZero() || q.Step != 0 || h.StepSeconds != 60 || len(h.Items) != 3 {
		t.Errorf("default query %+v answered %+v; want zero since and step, the service's 3 buckets of 60 s", q, h)
	}

	for _, q := range []string{"?step=0", "?step=1.5", "?step=86401", "?since=yesterday", "?from=2026-05-01T10:00:00Z"} {
		wantProblem(t, e.do(t, "GET", "/api/v1/stats/power"+q, ""), http.StatusBadRequest, charging.EINVALID)
	}
	e.svc.err["PowerHistory"] = charging.Errorf(charging.EINVALID, "since must be within the last 24h0m0s")
	wantProblem(t, e.do(t, "GET", "/api/v1/stats/power?since=2020-01-01T00:00:00Z", ""), http.StatusBadRequest, charging.EINVALID)
}
