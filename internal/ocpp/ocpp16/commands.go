package ocpp16

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
)

// RemoteStart sends RemoteStartTransaction, with r.ChargingProfile (a 1.6
// csChargingProfiles object, purpose TxProfile) when given.
func (s *Station) RemoteStart(ctx context.Context, r charging.RemoteStart) (charging.CommandStatus, error) {
	req := RemoteStartTransactionRequest{IDTag: r.IDTag}
	if r.ConnectorID > 0 {
		n := r.ConnectorID
		req.ConnectorID = &n
	}
	if len(r.ChargingProfile) > 0 {
		// Validate the profile as part of a whole request, with the generated decoder.
		raw, _ := json.Marshal(map[string]json.RawMessage{"idTag": mustJSON(r.IDTag), "chargingProfile": r.ChargingProfile})
		dec, verr := DecodeRequest("RemoteStartTransaction", raw)
		if verr != nil {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: %s", verr.Description)
		}
		req.ChargingProfile = dec.(*RemoteStartTransactionRequest).ChargingProfile
		if p := req.ChargingProfile; p != nil && p.ChargingProfilePurpose != ChargingProfilePurposeTxProfile {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: chargingProfilePurpose must be TxProfile in RemoteStartTransaction, got %s", p.ChargingProfilePurpose)
		}
	}
	if r.Profile != nil {
		cp, err := toProfile(*r.Profile)
		if err != nil {
			return "", err
		}
		req.ChargingProfile = &cp
	}
	resp, err := call[RemoteStartTransactionResponse](ctx, s, "RemoteStartTransaction", &req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// RemoteStop sends RemoteStopTransaction.
func (s *Station) RemoteStop(ctx context.Context, transactionID string) (charging.CommandStatus, error) {
	tx, err := strconv.Atoi(transactionID)
	if err != nil {
		return "", charging.Errorf(charging.EINVALID, "transaction id %q is not an OCPP 1.6 integer", transactionID)
	}
	resp, err := call[RemoteStopTransactionResponse](ctx, s, "RemoteStopTransaction", &RemoteStopTransactionRequest{TransactionID: tx})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// codec is the 1.6 schema's view of the generic command flow.
var codec = ocppdomain.Codec{DecodeRequest: DecodeRequest, DecodeResponse: DecodeResponse}

// call sends a typed request and decodes the typed, validated answer. A
// CALLERROR becomes EREJECTED, no answer ETIMEOUT, a lost connection
// EUNAVAILABLE.
func call[Resp any](ctx context.Context, s *Station, action string, req ocppdomain.Validator) (*Resp, error) {
	return ocppdomain.Call[Resp](ctx, s.caller(), codec, s.id, action, req)
}

// caller returns what carries the Station's commands; without one, each
// answers EUNAVAILABLE and nothing is sent.
func (s *Station) caller() ocppdomain.Caller {
	if s.conn == nil {
		return noCaller(s.id)
	}
	return s.conn
}

// noCaller is the Caller of a Station that has none.
type noCaller string

func (id noCaller) Call(context.Context, string, any) (json.RawMessage, error) {
	return nil, charging.Errorf(charging.EUNAVAILABLE, "charger %s cannot be sent commands: Joule has no way to reach it", string(id))
}

// supports reports whether c's protocol has action: a Caller for a
// version without it (OCPP 1.5 over SOAP has no TriggerMessage) says so
// through a Supports method; any other Caller has every 1.6 action.
func supports(c ocppdomain.Caller, action string) bool {
	if s, ok := c.(interface{ Supports(action string) bool }); ok {
		return s.Supports(action)
	}
	return true
}

// Command sends any Central System action with the payload as given,
// validated against the 1.6 schema first. The answer is validated too; an
// answer that breaks the schema is still returned, with a log line.
func (s *Station) Command(ctx context.Context, action string, payload json.RawMessage) (charging.CommandResult, error) {
	if !csmsActions[action] {
		return charging.CommandResult{}, charging.Errorf(charging.EINVALID, "%q is not an OCPP 1.6 action the Central System sends", action)
	}
	return codec.Command(ctx, s.caller(), s.log, s.id, action, payload, s.bookkeep)
}

// bookkeep applies a generic command's answer to the domain, as the typed
// commands do.
func (s *Station) bookkeep(ctx context.Context, req, resp any) error {
	switch r := req.(type) {
	case *RemoteStartTransactionRequest:
		rs := charging.RemoteStart{IDTag: r.IDTag}
		if r.ConnectorID != nil {
			rs.ConnectorID = *r.ConnectorID
		}
		return s.events.RemoteStartAnswered(ctx, s.id, rs, charging.CommandStatus(resp.(*RemoteStartTransactionResponse).Status))
	case *RemoteStopTransactionRequest:
		return s.events.RemoteStopAnswered(ctx, s.id, strconv.Itoa(r.TransactionID), charging.CommandStatus(resp.(*RemoteStopTransactionResponse).Status))
	}
	return s.answered(ctx, req, resp)
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
