package ocppjson

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// Scanner is a minimal single-pass JSON reader over a byte slice. It only
// checks syntax as far as it reads; Finish falls back to a full syntax
// check on the error path so malformed JSON is reported as FormatViolation.
type Scanner struct {
	buf  []byte
	pos  int
	slab []string // backing store for optional string and enum fields
}

// NewScanner returns a scanner over payload, which must not change while
// the scanner or any value it returned is in use.
func NewScanner(payload []byte) Scanner {
	return Scanner{buf: payload}
}

// NewString returns a pointer to a copy of v. Pointers are carved out of a
// small per-decode slab, so optional strings and enums cost no allocation
// each.
func (s *Scanner) NewString(v string) *string {
	if len(s.slab) == 0 {
		s.slab = make([]string, 16)
	}
	p := &s.slab[0]
	s.slab = s.slab[1:]
	*p = v
	return p
}

// NewEnum is NewString for a string enumeration type.
func NewEnum[T ~string](s *Scanner, v T) *T {
	return (*T)(unsafe.Pointer(s.NewString(string(v))))
}

func (s *Scanner) ws() byte {
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

func kind(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "number"
	case c == 0:
		return "end of input"
	}
	return "invalid character"
}

func (s *Scanner) syntaxError(what string) *Error {
	return Errorf(ocppj.FormatViolation, "malformed JSON: %s at offset %d", what, s.pos)
}

func (s *Scanner) typeError(want string, c byte) *Error {
	if c == 0 || kind(c) == "invalid character" {
		return s.syntaxError("unexpected " + kind(c))
	}
	return Errorf(ocppj.TypeConstraintViolation, "expected %s, got %s", want, kind(c))
}

// Start checks that the payload is a JSON object.
func (s *Scanner) Start() *Error {
	if c := s.ws(); c != '{' {
		if c == 0 {
			return Errorf(ocppj.FormatViolation, "payload is empty, expected a JSON object")
		}
		return Errorf(ocppj.FormatViolation, "payload must be a JSON object, got %s", kind(c))
	}
	return nil
}

// Finish checks for trailing data and converts an error to *ocppj.Error.
// If decoding stopped on a semantic error but the document is not even
// well-formed JSON, FormatViolation wins.
func (s *Scanner) Finish(e *Error) *ocppj.Error {
	if e == nil {
		if s.ws() == 0 {
			return nil
		}
		e = s.syntaxError("unexpected data after top-level object")
	}
	if e.code != ocppj.FormatViolation && !json.Valid(s.buf) {
		return Errorf(ocppj.FormatViolation, "malformed JSON").OCPP()
	}
	return e.OCPP()
}

// BeginObject reads the opening brace of an object.
func (s *Scanner) BeginObject() *Error {
	if c := s.ws(); c != '{' {
		return s.typeError("object", c)
	}
	s.pos++
	return nil
}

// NextKey reads the next property name of the current object; n counts the
// properties read so far. It returns ok=false at the closing brace.
func (s *Scanner) NextKey(n *int) ([]byte, bool, *Error) {
	c := s.ws()
	if c == '}' {
		s.pos++
		return nil, false, nil
	}
	if *n > 0 {
		if c != ',' {
			return nil, false, s.syntaxError("expected ',' or '}'")
		}
		s.pos++
		c = s.ws()
	}
	if c != '"' {
		return nil, false, s.syntaxError("expected property name")
	}
	*n++
	key, e := s.rawString()
	if e != nil {
		return nil, false, e
	}
	if s.ws() != ':' {
		return nil, false, s.syntaxError("expected ':'")
	}
	s.pos++
	return key, true, nil
}

// BeginArray reads the opening bracket of an array.
func (s *Scanner) BeginArray() *Error {
	if c := s.ws(); c != '[' {
		return s.typeError("array", c)
	}
	s.pos++
	return nil
}

// NextElem reports whether another array element follows; i is the number of
// elements read so far.
func (s *Scanner) NextElem(i int) (bool, *Error) {
	c := s.ws()
	if c == ']' {
		s.pos++
		return false, nil
	}
	if i > 0 {
		if c != ',' {
			return false, s.syntaxError("expected ',' or ']'")
		}
		s.pos++
	}
	return true, nil
}

// rawString reads a string starting at the opening quote. The result aliases
// the input unless the string contains escapes or invalid UTF-8, which
// becomes U+FFFD byte by byte, as in encoding/json: decoded strings are
// always valid UTF-8, so they can be stored, logged and sent back out.
func (s *Scanner) rawString() ([]byte, *Error) {
	s.pos++ // opening quote
	start := s.pos
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			b := s.buf[start:s.pos]
			s.pos++
			if !utf8.Valid(b) {
				b = toValidUTF8(nil, b)
			}
			return b, nil
		case c == '\\':
			return s.escapedString(start)
		case c < 0x20:
			return nil, s.syntaxError("control character in string")
		}
		s.pos++
	}
	return nil, s.syntaxError("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (s *Scanner) escapedString(start int) ([]byte, *Error) {
	out := make([]byte, 0, s.pos-start+16)
	out = append(out, s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(out) {
				out = toValidUTF8(make([]byte, 0, len(out)+8), out)
			}
			return out, nil
		case c < 0x20:
			return nil, s.syntaxError("control character in string")
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.buf) {
			return nil, s.syntaxError("unterminated string")
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.buf[s.pos:])
			if !ok {
				return nil, s.syntaxError("invalid \\u escape")
			}
			s.pos += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.pos+1 < len(s.buf) && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
					if v, ok := hex4(s.buf[s.pos+2:]); ok {
						r2 = v
					}
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					s.pos += 6
					r = d
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, s.syntaxError("invalid escape")
		}
	}
	return nil, s.syntaxError("unterminated string")
}

// toValidUTF8 appends b to dst with each byte that is not part of a valid
// UTF-8 sequence replaced by U+FFFD, as encoding/json decodes strings.
// (strings.ToValidUTF8 would replace a run of such bytes by one U+FFFD.)
func toValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// ReadStringRaw reads a string; the result may alias the input, so it must
// not be retained.
func (s *Scanner) ReadStringRaw() ([]byte, *Error) {
	if c := s.ws(); c != '"' {
		return nil, s.typeError("string", c)
	}
	return s.rawString()
}

// ReadString reads a string into a new Go string.
func (s *Scanner) ReadString() (string, *Error) {
	b, e := s.ReadStringRaw()
	if e != nil {
		return "", e
	}
	return string(b), nil
}

// number scans a JSON number literal; plain reports that it has neither
// fraction nor exponent.
func (s *Scanner) number() (lit []byte, plain bool, e *Error) {
	start := s.pos
	b := s.buf
	i := s.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return nil, false, s.syntaxError("invalid number")
	}
	plain = true
	if i < len(b) && b[i] == '.' {
		plain = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.pos = i
			return nil, false, s.syntaxError("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		plain = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.pos = i
			return nil, false, s.syntaxError("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return b[start:i], plain, nil
}

// bytesString views b as a string without copying; only for calls that
// do not retain their argument on success.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ReadInt reads a JSON Schema integer: any number with an integral value
// (7.0 and 1e3 included) that fits an int64.
func (s *Scanner) ReadInt() (int, *Error) {
	c := s.ws()
	if c != '-' && (c < '0' || c > '9') {
		return 0, s.typeError("integer", c)
	}
	lit, plain, e := s.number()
	if e != nil {
		return 0, e
	}
	if plain && len(lit) <= 18 {
		neg := lit[0] == '-'
		d := lit
		if neg {
			d = d[1:]
		}
		var n int
		for _, c := range d {
			n = n*10 + int(c-'0')
		}
		if neg {
			n = -n
		}
		return n, nil
	}
	if plain {
		n, err := strconv.ParseInt(bytesString(lit), 10, 64)
		if err != nil {
			return 0, Errorf(ocppj.PropertyConstraintViolation, "integer %s is out of range", lit)
		}
		return int(n), nil
	}
	f, err := strconv.ParseFloat(bytesString(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, Errorf(ocppj.PropertyConstraintViolation, "integer %s is out of range", lit)
	}
	if f != math.Trunc(f) {
		return 0, Errorf(ocppj.TypeConstraintViolation, "expected integer, got non-integer number %s", lit)
	}
	if f < -(1<<63) || f >= 1<<63 {
		return 0, Errorf(ocppj.PropertyConstraintViolation, "integer %s is out of range", lit)
	}
	return int(f), nil
}

// ReadNumber reads a number and also returns its literal, for multipleOf.
func (s *Scanner) ReadNumber() (float64, []byte, *Error) {
	c := s.ws()
	if c != '-' && (c < '0' || c > '9') {
		return 0, nil, s.typeError("number", c)
	}
	lit, _, e := s.number()
	if e != nil {
		return 0, nil, e
	}
	f, err := strconv.ParseFloat(bytesString(lit), 64)
	if err != nil {
		return 0, nil, Errorf(ocppj.PropertyConstraintViolation, "number %s is out of range", lit)
	}
	return f, lit, nil
}

func (s *Scanner) literal(word string) bool {
	if len(s.buf)-s.pos >= len(word) && string(s.buf[s.pos:s.pos+len(word)]) == word {
		s.pos += len(word)
		return true
	}
	return false
}

// ReadBool reads true or false.
func (s *Scanner) ReadBool() (bool, *Error) {
	c := s.ws()
	switch {
	case c == 't' && s.literal("true"):
		return true, nil
	case c == 'f' && s.literal("false"):
		return false, nil
	case c == 't' || c == 'f':
		return false, s.syntaxError("invalid literal")
	}
	return false, s.typeError("boolean", c)
}

// ReadDateTime reads an RFC 3339 date-time and normalizes it to UTC.
func (s *Scanner) ReadDateTime() (time.Time, *Error) {
	raw, e := s.ReadStringRaw()
	if e != nil {
		return time.Time{}, e
	}
	return parseDateTime(raw)
}

// parseDateTime parses an RFC 3339 date-time (§5.6; 'T' and 'Z' in either
// case) into UTC. time.Parse alone is too lax: when its strict RFC 3339
// path fails it falls back to one that also takes a one-digit hour, ','
// before the fraction and offsets of 24 hours or 60 minutes
// (go.dev/issue/54580), so dateTimeShape checks the grammar first. A time
// whose UTC year is outside 0 to 9999 is refused as out of range: JSON
// (time.MarshalJSON) could not carry it back out.
func parseDateTime(raw []byte) (time.Time, *Error) {
	if dateTimeShape(raw) {
		str := bytesString(raw)
		if raw[10] == 't' || raw[len(raw)-1] == 'z' {
			str = strings.ToUpper(str) // all ASCII: dateTimeShape checked every byte
		}
		if t, err := time.Parse(time.RFC3339Nano, str); err == nil {
			t = t.UTC()
			if y := t.Year(); y < 0 || y > 9999 {
				return time.Time{}, Errorf(ocppj.PropertyConstraintViolation, "date-time %q is out of range (UTC year %d)", raw, y)
			}
			return t, nil
		}
	}
	return time.Time{}, Errorf(ocppj.PropertyConstraintViolation, "%q is not a valid RFC 3339 date-time", raw)
}

// dateTimeShape reports whether b has the shape of an RFC 3339 date-time:
// digits and separators in their places, a fraction after '.', and an
// offset of Z or ±hh:mm with hh up to 23 and mm up to 59. time.Parse checks
// the ranges of the date and the time of day.
func dateTimeShape(b []byte) bool {
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !digit(b[i]) {
			return false
		}
	}
	rest := b[19:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && digit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch len(rest) {
	case 1:
		return rest[0] == 'Z' || rest[0] == 'z'
	case 6:
		return (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
			digit(rest[1]) && digit(rest[2]) && digit(rest[4]) && digit(rest[5]) &&
			(rest[1] < '2' || (rest[1] == '2' && rest[2] <= '3')) && rest[4] <= '5'
	}
	return false
}

// ReadRaw returns a copy of the next JSON value, whatever its type, with
// invalid UTF-8 (which can only be inside its strings) replaced as in
// rawString.
func (s *Scanner) ReadRaw() ([]byte, *Error) {
	s.ws()
	start := s.pos
	if e := s.Skip(); e != nil {
		return nil, e
	}
	if raw := s.buf[start:s.pos]; !utf8.Valid(raw) {
		return toValidUTF8(nil, raw), nil
	}
	return append([]byte(nil), s.buf[start:s.pos]...), nil
}

// Skip consumes any JSON value (used for properties that the schema allows
// but does not describe).
func (s *Scanner) Skip() *Error {
	return s.skipDepth(0)
}

func (s *Scanner) skipDepth(depth int) *Error {
	if depth > 1000 {
		return s.syntaxError("nesting too deep")
	}
	switch c := s.ws(); {
	case c == '{':
		s.pos++
		n := 0
		for {
			_, ok, e := s.NextKey(&n)
			if e != nil {
				return e
			}
			if !ok {
				return nil
			}
			if e := s.skipDepth(depth + 1); e != nil {
				return e
			}
		}
	case c == '[':
		s.pos++
		for i := 0; ; i++ {
			ok, e := s.NextElem(i)
			if e != nil {
				return e
			}
			if !ok {
				return nil
			}
			if e := s.skipDepth(depth + 1); e != nil {
				return e
			}
		}
	case c == '"':
		_, e := s.rawString()
		return e
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, e := s.number()
		return e
	case c == 't' && s.literal("true"), c == 'f' && s.literal("false"), c == 'n' && s.literal("null"):
		return nil
	}
	return s.syntaxError("unexpected character")
}
