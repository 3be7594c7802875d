package charging_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/charging"
)

// chargerIDCases are ids and whether ValidChargerID accepts them.
var chargerIDCases = []struct {
	id string
	ok bool
}{
	{"CP-1", true}, {"SIM-0001", true}, {"Ladesäule-7", true}, {"*-_=+|@.", true}, {"充电桩", true},
	{"", false}, {"a:b", false}, {"a b", false}, {"a/b", false}, {"a\x00b", false}, {"a\nb", false},
	{"a\tb", false}, {"a\x7fb", false}, {"\xff", false}, {"a\u200bb", false}, {"a\u00a0b", false},
	{".", false}, {"..", false}, {"...", true}, {".CP", true},
	{"a\u3000b", false}, {"a\u0085b", false}, {"a\u2028b", false}, {"\ufeffCP", false}, {"\ud7ff", false},
	{"123456789012345678901234567890123456789012345678", true},
	{"1234567890123456789012345678901234567890123456789", false},
	{strings.Repeat("ü", 48), true}, // 48 characters, 96 bytes
	{strings.Repeat("ü", 49), false},
}

func TestValidChargerID(t *testing.T) {
	for _, tc := range chargerIDCases {
		err := charging.ValidChargerID(tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidChargerID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
		if err != nil && charging.ErrorCode(err) != charging.EINVALID {
			t.Errorf("ValidChargerID(%q) = %v, want code %s", tc.id, err, charging.EINVALID)
		}
	}
}

// specChargerID is the charger id rule written from its definition rather
// than from ValidChargerID's code: 1 to 48 characters of valid UTF-8, each a
// letter, mark, number, punctuation or symbol (Unicode's graphic classes
// without the space separators), neither ':' nor '/', and not a URL
// dot-segment.
func specChargerID(id string) bool {
	if !utf8.ValidString(id) || id == "." || id == ".." {
		return false
	}
	n := 0
	for _, r := range id {
		n++
		if r == ':' || r == '/' || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
			return false
		}
	}
	return n >= 1 && n <= charging.MaxChargerIDLen
}

// FuzzValidChargerID checks the charger id rule against its definition and
// checks that an accepted id survives every place Joule carries it: a URL
// path segment, the Basic-auth user-id and JSON.
func FuzzValidChargerID(f *testing.F) {
	for _, tc := range chargerIDCases {
		f.Add(tc.id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := charging.ValidChargerID(id)
		if want := specChargerID(id); (err == nil) != want {
			t.Fatalf("ValidChargerID(%q) = %v; the rule's definition says ok=%v", id, err, want)
		}
		if err != nil {
			if charging.ErrorCode(err) != charging.EINVALID || charging.ErrorMessage(err) == "" {
				t.Fatalf("ValidChargerID(%q) = %#v, want an EINVALID error with a message", id, err)
			}
			return
		}
		if utf8.RuneCountInString(id) > charging.MaxChargerIDLen || len(id) > 4*charging.MaxChargerIDLen {
			t.Fatalf("accepted %q is longer than %d characters", id, charging.MaxChargerIDLen)
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; c <= ' ' || c == 0x7f {
				t.Fatalf("accepted %q holds the byte %#x", id, c)
			}
		}
		// The charger connects to /ocpp/{id}: the escaped id is one
		// segment that unescapes to the id.
		esc := url.PathEscape(id)
		u, perr := url.Parse("ws://csms.example/ocpp/" + esc)
		if perr != nil || strings.Contains(esc, "/") || u.Path != "/ocpp/"+id {
			t.Fatalf("id %q as a path segment %q: path %q, err %v", id, esc, u.Path, perr)
		}
		// Basic auth: the user-id ends at the first ':'.
		if user, _, _ := strings.Cut(id+":pw", ":"); user != id {
			t.Fatalf("id %q as a Basic-auth user-id reads back as %q", id, user)
		}
		var back string
		b, _ := json.Marshal(id)
		if json.Unmarshal(b, &back) != nil || back != id {
			t.Fatalf("id %q does not survive JSON: %s -> %q", id, b, back)
		}
	})
}
