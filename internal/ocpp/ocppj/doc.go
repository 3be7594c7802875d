// Package ocppj is Joule's OCPP-J RPC core: JSON-RPC frames over one
// WebSocket, as specified by OCPP-J 1.6 §4 and OCPP 2.0.1 Part 4.
//
// It frames and parses CALL [2, id, action, payload], CALLRESULT
// [3, id, payload] and CALLERROR [4, id, code, description, details],
// generates message ids, dispatches inbound CALLs to a Handler, enforces the
// one-outstanding-CALL rule for outbound calls with a timeout per call, keeps
// the connection alive with WebSocket pings, and renders CALLERROR codes with
// each version's spelling (Dialect16 keeps 1.6's "FormationViolation" and
// "OccurenceConstraintViolation").
//
// It knows nothing about what messages mean, about chargers, sessions or
// storage: it imports neither internal/charging nor any OCPP version package
// (ocpp16, ocpp201) nor anything else under internal/. Payloads stay
// json.RawMessage; the version packages decode and validate them.
//
// The gateway also asks a Conn whether its peer is still there (Probe: a
// ping answered by anything read within a window) and changes its frame
// limit while it runs (SetMaxFrameBytes), to keep chargers it does not yet
// trust small.
//
// A Conn costs one goroutine (the caller of Serve, which reads) plus a timer
// for pings. Writes from any goroutine are serialized by a mutex rather than
// a writer goroutine, to keep idle connections small.
package ocppj
