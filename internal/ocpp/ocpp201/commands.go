package ocpp201

import (
	"context"
	"encoding/json"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/ocpp/ocppdomain"
)

// RemoteStart sends RequestStartTransaction with the remoteStartId the
// domain assigned (the station echoes it in TransactionEvent, which is how
// the session finds its transaction), the id token as a Central token, the
// EVSE when chosen, and r.ChargingProfile (a 2.0.1 chargingProfile, purpose
// TxProfile) when given.
func (s *Station) RemoteStart(ctx context.Context, r charging.RemoteStart) (charging.CommandStatus, error) {
	req := RequestStartTransactionRequest{
		IDToken:       IDToken{IDToken: r.IDTag, Type: IDTokenEnumCentral},
		RemoteStartID: r.RemoteStartID,
	}
	if r.ConnectorID > 0 {
		n := r.ConnectorID
		req.EvseID = &n
	}
	if r.Profile != nil && len(r.ChargingProfile) == 0 {
		// A stored TxProfile, in domain terms.
		cp, err := toProfile(*r.Profile)
		if err != nil {
			return "", err
		}
		if cp.ChargingProfilePurpose != ChargingProfilePurposeEnumTxProfile {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: chargingProfilePurpose must be TxProfile in RequestStartTransaction, got %s", cp.ChargingProfilePurpose)
		}
		req.ChargingProfile = &cp
		if verr := req.Validate(); verr != nil {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: %s", verr.Description)
		}
	}
	if len(r.ChargingProfile) > 0 {
		// Validate the profile as part of a whole request, with the generated decoder.
		whole := map[string]any{"idToken": req.IDToken, "remoteStartId": req.RemoteStartID, "chargingProfile": r.ChargingProfile}
		raw, err := json.Marshal(whole)
		if err != nil {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: %v", err)
		}
		dec, verr := DecodeRequest("RequestStartTransaction", raw)
		if verr != nil {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: %s", verr.Description)
		}
		req.ChargingProfile = dec.(*RequestStartTransactionRequest).ChargingProfile
		if p := req.ChargingProfile; p != nil && p.ChargingProfilePurpose != ChargingProfilePurposeEnumTxProfile {
			return "", charging.Errorf(charging.EINVALID, "chargingProfile: chargingProfilePurpose must be TxProfile in RequestStartTransaction, got %s", p.ChargingProfilePurpose)
		}
	}
	resp, err := call[RequestStartTransactionResponse](ctx, s, "RequestStartTransaction", &req)
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// RemoteStop sends RequestStopTransaction.
func (s *Station) RemoteStop(ctx context.Context, transactionID string) (charging.CommandStatus, error) {
	if transactionID == "" || len(transactionID) > 36 {
		return "", charging.Errorf(charging.EINVALID, "transaction id %q is not an OCPP 2.0.1 transactionId (1 to 36 characters)", transactionID)
	}
	resp, err := call[RequestStopTransactionResponse](ctx, s, "RequestStopTransaction", &RequestStopTransactionRequest{TransactionID: transactionID})
	if err != nil {
		return "", err
	}
	return charging.CommandStatus(resp.Status), nil
}

// TransactionStatus sends GetTransactionStatus for one transaction (E14).
func (s *Station) TransactionStatus(ctx context.Context, transactionID string) (charging.TransactionStatus, error) {
	if transactionID == "" || len(transactionID) > 36 {
		return charging.TransactionStatus{}, charging.Errorf(charging.EINVALID, "transaction id %q is not an OCPP 2.0.1 transactionId (1 to 36 characters)", transactionID)
	}
	resp, err := call[GetTransactionStatusResponse](ctx, s, "GetTransactionStatus", &GetTransactionStatusRequest{TransactionID: &transactionID})
	if err != nil {
		return charging.TransactionStatus{}, err
	}
	return charging.TransactionStatus{Ongoing: resp.OngoingIndicator, MessagesInQueue: resp.MessagesInQueue}, nil
}

// codec is the 2.0.1 schema's view of the generic command flow.
var codec = ocppdomain.Codec{DecodeRequest: DecodeRequest, DecodeResponse: DecodeResponse}

// call sends a typed request and decodes the typed, validated answer. A
// CALLERROR becomes EREJECTED, no answer ETIMEOUT, a lost connection
// EUNAVAILABLE.
func call[Resp any](ctx context.Context, s *Station, action string, req ocppdomain.Validator) (*Resp, error) {
	return ocppdomain.Call[Resp](ctx, s.conn, codec, s.id, action, req)
}

// Command sends any CSMS action with the payload as given, validated
// against the 2.0.1 schema first. The answer is validated too; an answer
// that breaks the schema is still returned, with a log line.
func (s *Station) Command(ctx context.Context, action string, payload json.RawMessage) (charging.CommandResult, error) {
	if !csmsActions[action] {
		return charging.CommandResult{}, charging.Errorf(charging.EINVALID, "%q is not an OCPP 2.0.1 action the CSMS sends", action)
	}
	return codec.Command(ctx, s.conn, s.log, s.id, action, payload, s.bookkeep)
}

// bookkeep applies a generic command's answer to the domain, as the typed
// commands do.
func (s *Station) bookkeep(ctx context.Context, req, resp any) error {
	switch r := req.(type) {
	case *RequestStartTransactionRequest:
		rs := charging.RemoteStart{IDTag: r.IDToken.IDToken, ConnectorID: deref(r.EvseID), RemoteStartID: r.RemoteStartID}
		return s.events.RemoteStartAnswered(ctx, s.id, rs, charging.CommandStatus(resp.(*RequestStartTransactionResponse).Status))
	case *RequestStopTransactionRequest:
		return s.events.RemoteStopAnswered(ctx, s.id, r.TransactionID, charging.CommandStatus(resp.(*RequestStopTransactionResponse).Status))
	}
	return s.answered(ctx, req, resp)
}
