package main

import (
	"fmt"
	"strings"
	"unicode"
)

// initialisms are written in capitals in Go names (idTag -> IDTag), as the
// OCPP-J packages do.
var initialisms = map[string]bool{"ID": true, "URL": true, "URI": true, "XML": true}

// words splits camelCase, PascalCase and punctuated names ("L1-N",
// "Energy.Active.Import.Register") into words.
func words(s string) []string {
	var out []string
	rs := []rune(s)
	start := -1
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if start >= 0 {
				out = append(out, string(rs[start:i]))
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		// A new word starts at an upper-case letter after a lower-case one
		// or a digit (idTag, Sample2Clock), or at the last capital of a
		// run followed by a lower-case letter (URLPath -> URL Path).
		prev := rs[i-1]
		if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) ||
			unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	if start >= 0 {
		out = append(out, string(rs[start:]))
	}
	return out
}

// goIdent turns an XML name into an exported Go identifier:
// connectorId -> ConnectorID, IdTagInfo -> IDTagInfo.
func goIdent(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		if up := strings.ToUpper(w); initialisms[up] {
			b.WriteString(up)
			continue
		}
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	if b.Len() == 0 {
		panic(fmt.Errorf("no Go name for %q", s))
	}
	return b.String()
}
