package charging

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxChargerIDLen is the longest charger id, in characters: OCPP's charger
// identity is an identifierString of at most 48 characters.
const MaxChargerIDLen = 48

// ValidChargerID applies Joule's charger id rule, the one every edge uses
// (the WebSocket path, the API, the service): 1 to 48 characters of valid
// UTF-8, each printable (a letter, mark, number, punctuation or symbol),
// none white space, ':' (the id is the Basic-auth user-id, which RFC 7617
// ends at the first ':') or '/' (it would end the URL path segment), and
// neither "." nor "..", which URLs treat as dot-segments (RFC 3986 §5.2.4):
// a charger could not connect to /ocpp/.. as "..".
//
// The rule admits any printable character, not only an ASCII identifier
// set, because 1.6 chargers in the field use others (e.g. "Ladesäule-7");
// it refuses what would break the URL, the Basic-auth header or a log line.
func ValidChargerID(id string) error {
	switch {
	case id == "":
		return Errorf(EINVALID, "charger id must not be empty")
	case !utf8.ValidString(id):
		return Errorf(EINVALID, "charger id must be valid UTF-8")
	case id == "." || id == "..":
		return Errorf(EINVALID, "charger id must not be \".\" or \"..\" (URL dot-segments)")
	case utf8.RuneCountInString(id) > MaxChargerIDLen:
		return Errorf(EINVALID, "charger id must be at most %d characters", MaxChargerIDLen)
	case strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) || r == ':' || r == '/' }):
		return Errorf(EINVALID, "charger id must be printable, without spaces, ':' or '/'")
	}
	return nil
}
