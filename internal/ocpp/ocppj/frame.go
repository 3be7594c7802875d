package ocppj

import (
	"encoding/json"
	"unicode/utf8"
)

// Message type numbers (OCPP-J 1.6 §4.1.3, OCPP 2.0.1 Part 4 §4.1.3).
const (
	MessageCall       = 2
	MessageCallResult = 3
	MessageCallError  = 4
)

// Frame is one decoded OCPP-J message.
type Frame struct {
	Type    int             // MessageCall, MessageCallResult or MessageCallError
	ID      string          // message id
	Action  string          // CALL only
	Payload json.RawMessage // CALL / CALLRESULT payload; aliases the parsed bytes

	ErrorCode        string          // CALLERROR: wire code, as sent
	ErrorDescription string          // CALLERROR
	ErrorDetails     json.RawMessage // CALLERROR; nil when the peer omitted it
}

// maxDepth bounds nesting inside a frame so that a hostile frame cannot grow
// the read goroutine's stack; OCPP payloads nest fewer than ten levels.
const maxDepth = 128

// ParseFrame decodes one frame, scanning it once and validating it as JSON;
// payloads stay raw and alias b.
//
// On a bad frame it returns a *Error with the canonical code to answer with
// (RpcFrameworkError, MessageTypeNotSupported or FormatViolation) and the id
// to answer to. That id is "" when the frame must not be answered: its
// message id could not be read (element 1 is not a non-empty JSON string),
// or it is a CALLRESULT or CALLERROR (OCPP never answers an answer). The
// returned Frame then holds whatever could be read (Type 0 if unreadable),
// for logging and for matching a broken answer to its pending call.
//
// A CALLERROR may omit its details element (some 1.6 chargers do).
func ParseFrame(b []byte) (Frame, string, *Error) {
	var f Frame
	s := scanner{b: b}

	// Scan the whole array, keeping the first five elements' spans.
	var el [5]span
	n := 0
	var syntax string
	s.ws()
	if s.i >= len(b) || b[s.i] != '[' {
		if json.Valid(b) {
			return f, "", &Error{Code: RpcFrameworkError, Description: "frame is not a JSON array"}
		}
		return f, "", &Error{Code: RpcFrameworkError, Description: "frame is not valid JSON"}
	}
	s.i++
	s.ws()
	if s.i < len(b) && b[s.i] == ']' {
		s.i++
	} else {
		for {
			s.ws()
			start := s.i
			kind, ok := s.value(1)
			if !ok {
				syntax = "frame is not valid JSON"
				break
			}
			if n < len(el) {
				el[n] = span{start, s.i, kind}
			}
			n++
			s.ws()
			if s.i < len(b) && b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(b) && b[s.i] == ']' {
				s.i++
				break
			}
			syntax = "frame is not valid JSON"
			break
		}
	}
	if syntax == "" {
		s.ws()
		if s.i != len(b) {
			syntax = "frame is not valid JSON"
		}
	}

	// Read what identifies the frame: its type and its id.
	typeKnown := false
	if n >= 1 && el[0].kind == kindNumber {
		switch string(b[el[0].start:el[0].end]) {
		case "2":
			f.Type = MessageCall
		case "3":
			f.Type = MessageCallResult
		case "4":
			f.Type = MessageCallError
		}
		typeKnown = true
	}
	idOK := false
	if n >= 2 && el[1].kind == kindString {
		if id, ok := el[1].str(b); ok && id != "" {
			f.ID = id
			idOK = true
		}
	}

	switch {
	case syntax != "":
		return badFrame(f, idOK, RpcFrameworkError, syntax)
	case n == 0 || !typeKnown:
		return badFrame(f, idOK, RpcFrameworkError, "message type is not a number")
	case f.Type == 0:
		return badFrame(f, idOK, MessageTypeNotSupported, "message type "+string(b[el[0].start:el[0].end])+" is not supported")
	case !idOK:
		return badFrame(f, idOK, RpcFrameworkError, "message id is not a non-empty string")
	}

	switch f.Type {
	case MessageCall:
		if n != 4 {
			return badFrame(f, idOK, RpcFrameworkError, "CALL must have 4 elements")
		}
		if el[2].kind != kindString {
			return badFrame(f, idOK, RpcFrameworkError, "action is not a string")
		}
		f.Action, _ = el[2].str(b)
		if el[3].kind != kindObject {
			return badFrame(f, idOK, FormatViolation, "payload is not a JSON object")
		}
		f.Payload = b[el[3].start:el[3].end:el[3].end]
	case MessageCallResult:
		if n != 3 {
			return badFrame(f, idOK, RpcFrameworkError, "CALLRESULT must have 3 elements")
		}
		if el[2].kind != kindObject {
			return badFrame(f, idOK, FormatViolation, "payload is not a JSON object")
		}
		f.Payload = b[el[2].start:el[2].end:el[2].end]
	case MessageCallError:
		if n != 4 && n != 5 {
			return badFrame(f, idOK, RpcFrameworkError, "CALLERROR must have 5 elements")
		}
		if el[2].kind != kindString || el[3].kind != kindString {
			return badFrame(f, idOK, RpcFrameworkError, "CALLERROR code and description must be strings")
		}
		f.ErrorCode, _ = el[2].str(b)
		f.ErrorDescription, _ = el[3].str(b)
		if n == 5 {
			f.ErrorDetails = b[el[4].start:el[4].end:el[4].end]
		}
	}
	return f, f.ID, nil
}

// badFrame is ParseFrame's failure result; it is a function rather than
// code in a closure so that f does not escape on the happy path.
func badFrame(f Frame, idOK bool, code ErrorCode, desc string) (Frame, string, *Error) {
	answerTo := f.ID
	if !idOK || f.Type == MessageCallResult || f.Type == MessageCallError {
		answerTo = ""
	}
	return f, answerTo, &Error{Code: code, Description: desc}
}

// AppendCall appends the CALL [2,"id","action",payload] to dst. A nil or
// empty payload is sent as {}; payload must otherwise be valid JSON.
func AppendCall(dst []byte, id, action string, payload []byte) []byte {
	dst = append(dst, `[2,`...)
	dst = appendString(dst, id)
	dst = append(dst, ',')
	dst = appendString(dst, action)
	dst = append(dst, ',')
	dst = appendObject(dst, payload)
	return append(dst, ']')
}

// AppendCallResult appends the CALLRESULT [3,"id",payload] to dst. A nil or
// empty payload is sent as {}.
func AppendCallResult(dst []byte, id string, payload []byte) []byte {
	dst = append(dst, `[3,`...)
	dst = appendString(dst, id)
	dst = append(dst, ',')
	dst = appendObject(dst, payload)
	return append(dst, ']')
}

// AppendCallError appends the CALLERROR [4,"id","code","description",details]
// to dst. code is the wire spelling (see Dialect.Name). Nil or empty details
// are sent as {}.
func AppendCallError(dst []byte, id string, code string, description string, details []byte) []byte {
	dst = append(dst, `[4,`...)
	dst = appendString(dst, id)
	dst = append(dst, ',')
	dst = appendString(dst, code)
	dst = append(dst, ',')
	dst = appendString(dst, description)
	dst = append(dst, ',')
	dst = appendObject(dst, details)
	return append(dst, ']')
}

func appendObject(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "{}"...)
	}
	return append(dst, raw...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// JSON value kinds reported by the scanner.
const (
	kindObject = iota + 1
	kindArray
	kindString
	kindNumber
	kindLiteral // true, false, null
)

// span locates one array element in the frame.
type span struct {
	start, end int
	kind       int
}

// str decodes a string element; the fast path avoids encoding/json when the
// string has no escapes.
func (sp span) str(b []byte) (string, bool) {
	raw := b[sp.start+1 : sp.end-1]
	escaped := false
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			escaped = true
			break
		}
	}
	if !escaped {
		return string(raw), true
	}
	var s string
	if err := json.Unmarshal(b[sp.start:sp.end], &s); err != nil {
		return "", false
	}
	return s, true
}

// scanner validates JSON values in one pass (RFC 8259 grammar; like
// encoding/json it does not reject invalid UTF-8 inside strings).
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value scans one JSON value at s.i and reports its kind.
func (s *scanner) value(depth int) (int, bool) {
	if s.i >= len(s.b) {
		return 0, false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return kindObject, s.object(depth)
	case c == '[':
		return kindArray, s.array(depth)
	case c == '"':
		return kindString, s.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber, s.number()
	case c == 't':
		return kindLiteral, s.literal("true")
	case c == 'f':
		return kindLiteral, s.literal("false")
	case c == 'n':
		return kindLiteral, s.literal("null")
	}
	return 0, false
}

func (s *scanner) object(depth int) bool {
	return s.container(depth, '}', func() bool {
		if s.i >= len(s.b) || s.b[s.i] != '"' || !s.string() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		_, ok := s.value(depth + 1)
		return ok
	})
}

func (s *scanner) array(depth int) bool {
	return s.container(depth, ']', func() bool {
		_, ok := s.value(depth + 1)
		return ok
	})
}

// container scans an object or array whose opening byte is at s.i:
// elements (each scanned by elem, which starts after white space) separated
// by ',' up to the closing byte.
func (s *scanner) container(depth int, closing byte, elem func() bool) bool {
	if depth > maxDepth {
		return false
	}
	s.i++ // '{' or '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		return true
	}
	for {
		s.ws()
		if !elem() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case closing:
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) string() bool {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= 0x20 && c != '"' && c != '\\' { // the common case, kept tight
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if !s.digits() {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}
