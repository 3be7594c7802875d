package ocppdomain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Caller sends a CALL and waits for its answer; *ocppj.Conn is one.
type Caller interface {
	Call(ctx context.Context, action string, payload any) (json.RawMessage, error)
}

// Codec is a version's pair of generated decoders, each of which validates
// the payload of action against the version's schema.
type Codec struct {
	DecodeRequest  func(action string, payload []byte) (any, *ocppj.Error)
	DecodeResponse func(action string, payload []byte) (any, *ocppj.Error)
}

// Validator is a generated message that checks itself against its schema.
type Validator interface{ Validate() *ocppj.Error }

// Call sends a typed request and decodes the typed, validated answer, of
// type *Resp. A request that breaks its schema is not sent (EINVALID:
// strict in what Joule sends); a CALLERROR becomes EREJECTED, no answer
// ETIMEOUT, a lost connection EUNAVAILABLE, an answer that breaks the
// schema EINTERNAL.
func Call[Resp any](ctx context.Context, conn Caller, c Codec, chargerID, action string, req Validator) (*Resp, error) {
	if verr := req.Validate(); verr != nil {
		return nil, charging.Errorf(charging.EINVALID, "%s: %s", action, verr.Description)
	}
	raw, err := conn.Call(ctx, action, req)
	if err != nil {
		return nil, CommandError(chargerID, action, err)
	}
	dec, verr := c.DecodeResponse(action, raw)
	if verr != nil {
		return nil, charging.Errorf(charging.EINTERNAL, "charger %s answered %s with an invalid payload: %s", chargerID, action, verr.Description)
	}
	return dec.(*Resp), nil
}

// CommandError maps the error of an outbound CALL to a domain error: a
// CALLERROR is EREJECTED, no answer in time ETIMEOUT, a closed connection
// EUNAVAILABLE. Anything else is wrapped as it is.
func CommandError(chargerID, action string, err error) error {
	var ce *ocppj.Error
	switch {
	case errors.As(err, &ce):
		return charging.Errorf(charging.EREJECTED, "charger %s answered %s with %s: %s", chargerID, action, ce.Code, ce.Description)
	case errors.Is(err, ocppj.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		return charging.Errorf(charging.ETIMEOUT, "charger %s did not answer %s in time", chargerID, action)
	case errors.Is(err, ocppj.ErrClosed):
		return charging.Errorf(charging.EUNAVAILABLE, "charger %s went offline", chargerID)
	}
	return fmt.Errorf("send %s to %s: %w", action, chargerID, err)
}

// Command sends action with the payload as given, after validating it
// against the schema (an invalid payload is EINVALID and is not sent). A
// CALLERROR or a timeout is a result, not an error: the caller asked for
// whatever the charger says. The answer is validated too; one that breaks
// the schema is still returned, with a log line, and one that passes is
// handed to bookkeep, which applies it to the domain as the typed commands
// do. The caller checks first that action is one the CSMS sends.
func (c Codec) Command(ctx context.Context, conn Caller, log *slog.Logger, chargerID, action string, payload json.RawMessage,
	bookkeep func(ctx context.Context, req, resp any) error) (charging.CommandResult, error) {
	req, verr := c.DecodeRequest(action, payload)
	if verr != nil {
		return charging.CommandResult{}, charging.Errorf(charging.EINVALID, "%s payload: %s (%s)", action, verr.Description, verr.Code)
	}
	raw, err := conn.Call(ctx, action, payload)
	var ce *ocppj.Error
	switch {
	case errors.As(err, &ce):
		return charging.CommandResult{Status: charging.ResultCallError, Error: &charging.CallError{
			Code: string(ce.Code), Description: ce.Description, Details: ce.Details}}, nil
	case errors.Is(err, ocppj.ErrTimeout):
		return charging.CommandResult{Status: charging.ResultTimeout}, nil
	case err != nil:
		return charging.CommandResult{}, CommandError(chargerID, action, err)
	}
	resp, verr := c.DecodeResponse(action, raw)
	if verr != nil {
		log.Warn("invalid answer to command", "action", action, "code", verr.Code, "err", verr.Description)
	} else if err := bookkeep(ctx, req, resp); err != nil {
		log.Error("record command answer", "action", action, "err", err)
	}
	return charging.CommandResult{Status: charging.ResultAnswered, Response: raw}, nil
}
