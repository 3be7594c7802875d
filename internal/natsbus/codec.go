package natsbus

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/joule-ev/joule/internal/charging"
)

// Message headers.
const (
	hdrType     = "Joule-Event-Type" // the event type, for logs and tools
	hdrEncoding = "Joule-Encoding"   // encJSON or encGob
	encJSON     = "json"
	encGob      = "gob"
)

// wire is the JSON payload: the event as clients see it, plus the fields
// its JSON encoding leaves out.
type wire struct {
	Event          charging.Event `json:"e"`
	IdempotencyKey string         `json:"ik,omitempty"` // Session.IdempotencyKey (json:"-")
}

// subject returns the subject of chargerID's events: its id in unpadded
// base64url (a valid subject token whatever the id holds), "_" for none.
func (b *Bus) subject(chargerID string) string {
	return b.opts.SubjectPrefix + ".c." + subjectToken(chargerID)
}

func subjectToken(chargerID string) string {
	if chargerID == "" {
		return "_"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(chargerID))
}

// encodeMsg returns e as a stream message. JSON keeps exactly what clients
// get (nil and empty slices, nil pointers and pointers to zero); an event
// JSON cannot encode (a NaN or infinite float) is sent as gob instead, so
// that it is not lost.
func (b *Bus) encodeMsg(e charging.Event) (*nats.Msg, error) {
	msg := nats.NewMsg(b.subject(e.ChargerID))
	msg.Header.Set(hdrType, e.Type)
	w := wire{Event: e}
	if e.Session != nil {
		w.IdempotencyKey = e.Session.IdempotencyKey
	}
	data, err := json.Marshal(w)
	var unsupported *json.UnsupportedValueError
	switch {
	case err == nil:
		msg.Header.Set(hdrEncoding, encJSON)
	case errors.As(err, &unsupported):
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(e); err != nil {
			return nil, fmt.Errorf("gob: %w", err)
		}
		data = buf.Bytes()
		msg.Header.Set(hdrEncoding, encGob)
	default:
		return nil, err
	}
	msg.Data = data
	return msg, nil
}

// decodeMsg returns the event in a stream message (its ID is not set).
func decodeMsg(h nats.Header, data []byte) (charging.Event, error) {
	switch enc := h.Get(hdrEncoding); enc {
	case encJSON:
		var w wire
		if err := json.Unmarshal(data, &w); err != nil {
			return charging.Event{}, fmt.Errorf("json: %w", err)
		}
		if w.Event.Session != nil {
			w.Event.Session.IdempotencyKey = w.IdempotencyKey
		}
		return w.Event, nil
	case encGob:
		var e charging.Event
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&e); err != nil {
			return charging.Event{}, fmt.Errorf("gob: %w", err)
		}
		return e, nil
	default:
		return charging.Event{}, fmt.Errorf("unknown encoding %q", enc)
	}
}
