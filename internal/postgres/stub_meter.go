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

func (s *Store) AddChargerEvents(_ context.Context, _ []charging.ChargerEvent) (r0 error) {
	return notYet("AddChargerEvents")
}

func (s *Store) AddTransactionEvent(_ context.Context, _ charging.TransactionEventRecord) (r0 error) {
	return notYet("AddTransactionEvent")
}

func (s *Store) HasTransactionEvent(_ context.Context, _ string, _ string, _ int) (r0 bool, r1 error) {
	return r0, notYet("HasTransactionEvent")
}

func (s *Store) HasVariables(_ context.Context, _ string) (r0 bool, r1 error) {
	return r0, notYet("HasVariables")
}

func (s *Store) ListChargerEvents(_ context.Context, _ charging.ChargerEventQuery) (r0 charging.Page[charging.ChargerEvent], r1 error) {
	return r0, notYet("ListChargerEvents")
}

func (s *Store) ListTransactionEvents(_ context.Context, _ string, _ string) (r0 []charging.TransactionEventRecord, r1 error) {
	return r0, notYet("ListTransactionEvents")
}

func (s *Store) ListVariables(_ context.Context, _ charging.VariableQuery) (r0 charging.Page[charging.Variable], r1 error) {
	return r0, notYet("ListVariables")
}

func (s *Store) NextRemoteStartID(_ context.Context) (r0 int, r1 error) {
	return r0, notYet("NextRemoteStartID")
}

func (s *Store) SaveVariables(_ context.Context, _ []charging.Variable) (r0 error) {
	return notYet("SaveVariables")
}

func (s *Store) SetOCPPVersionOverride(_ context.Context, _ string, _ string) (r0 error) {
	return notYet("SetOCPPVersionOverride")
}

