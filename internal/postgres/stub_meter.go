package postgres

// Stubs of the meter area, replaced by their implementation.

import (
	"context"
	"encoding/json"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

var _ = time.Now
var _ json.RawMessage
var _ context.Context

func (s *Store) AddMeterSamples(_ context.Context, _ []charging.MeterSample, _ *charging.Session) (r0 error) {
	return notYet("AddMeterSamples")
}

func (s *Store) LastMeterSamples(_ context.Context, _ string, _ int) (r0 []charging.MeterSample, r1 error) {
	return r0, notYet("LastMeterSamples")
}

func (s *Store) ListMeterSamples(_ context.Context, _ charging.MeterQuery) (r0 charging.Page[charging.MeterSample], r1 error) {
	return r0, notYet("ListMeterSamples")
}

func (s *Store) PurgeMeterSamples(_ context.Context, _ time.Time, _ int) (r0 int, r1 bool, r2 error) {
	return r0, r1, notYet("PurgeMeterSamples")
}

func (s *Store) SetSessionLive(_ context.Context, _ charging.SessionLive) (r0 error) {
	return notYet("SetSessionLive")
}
