package charging

import (
	"context"
	"encoding/json"
	"time"
)

// CommandRecord is one command Joule sent to a charger, typed (Reset,
// ReserveNow, ...) or generic, with the charger's answer. Request and
// Response hold the version-free request and answer for typed commands and
// the OCPP payloads for generic ones.
type CommandRecord struct {
	ID          string          `json:"id"`
	ChargerID   string          `json:"chargerId"`
	Action      string          `json:"action"` // the OCPP 1.6 action name (Reset, ReserveNow, ...)
	Request     json.RawMessage `json:"request"`
	Status      string          `json:"status"` // pending, then answered, callerror, timeout or failed
	Response    json.RawMessage `json:"response,omitempty"`
	Error       string          `json:"error,omitempty"` // why it failed, or the CALLERROR
	RequestedBy string          `json:"requestedBy"`     // "api" or "system"
	RequestedAt time.Time       `json:"requestedAt"`
	AnsweredAt  *time.Time      `json:"answeredAt,omitempty"`
	DurationMs  int64           `json:"durationMs"` // from sending to the answer (or the failure)
}

// Command record statuses besides ResultAnswered, ResultCallError and
// ResultTimeout.
const (
	ResultPending = "pending" // sent, no answer yet
	ResultFailed  = "failed"  // not sent, or the connection was lost
)

// Who asked for a command.
const (
	RequestedByAPI    = "api"
	RequestedBySystem = "system"
)

// CommandLog keeps the history of commands sent to chargers.
type CommandLog interface {
	// SaveCommand inserts or overwrites the record with the same ID.
	SaveCommand(ctx context.Context, r CommandRecord) error
	// ListCommands returns a charger's commands, newest (RequestedAt, then ID) first.
	ListCommands(ctx context.Context, q CommandQuery) (Page[CommandRecord], error)
}

// CommandQuery selects command records; Action "" matches every action.
type CommandQuery struct {
	ChargerID string
	Action    string
	Cursor    string
	Limit     int // 0 means 100
}

type requestedByKey struct{}

// WithRequestedBy returns a context that says who asks for the commands sent
// under it; the command history records it.
func WithRequestedBy(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, requestedByKey{}, who)
}

// RequestedBy returns who asks for commands sent under ctx: what
// WithRequestedBy set, else RequestedBySystem.
func RequestedBy(ctx context.Context) string {
	if v, ok := ctx.Value(requestedByKey{}).(string); ok && v != "" {
		return v
	}
	return RequestedBySystem
}

// CommandOutcome is the answer to a typed command: the charger's status and
// the id of the command's record in the history.
type CommandOutcome struct {
	CommandID string        `json:"commandId"`
	Status    CommandStatus `json:"status"`
}
