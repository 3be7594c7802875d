package ocppjson

import (
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocppj"
)

// rfc3339 reports whether s is an RFC 3339 §5.6 date-time, written from the
// grammar and independent of the code under test:
//
//	date-time  = full-date "T" full-time        ; "T" and "Z" in any case
//	full-date  = 4DIGIT "-" 2DIGIT "-" 2DIGIT   ; month 01-12, day 01-28..31
//	full-time  = 2DIGIT ":" 2DIGIT ":" 2DIGIT ["." 1*DIGIT] time-offset
//	time-offset = "Z" / ("+" / "-") 2DIGIT ":" 2DIGIT  ; hour 00-23, minute 00-59
//
// Seconds run 00-59: Go has no leap second, and Joule refuses 60.
func rfc3339(s string) bool {
	num := func(p string, max int) (int, bool) {
		n := 0
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return 0, false
			}
			n = n*10 + int(p[i]-'0')
		}
		return n, n <= max
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return false
	}
	year, ok1 := num(s[0:4], 9999)
	month, ok2 := num(s[5:7], 12)
	day, ok3 := num(s[8:10], 31)
	_, ok4 := num(s[11:13], 23)
	_, ok5 := num(s[14:16], 59)
	_, ok6 := num(s[17:19], 59)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month == 0 || day == 0 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	if day > days {
		return false
	}
	rest := s[19:]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	if len(rest) != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return false
	}
	_, okh := num(rest[1:3], 23)
	_, okm := num(rest[4:6], 59)
	return okh && okm
}

// FuzzParseDateTime checks the date-time parser of the generated decoders:
// it accepts exactly RFC 3339 date-times whose instant has a UTC year of 0
// to 9999 (what JSON can carry back out), agrees with time.Parse on them,
// and returns UTC.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"2024-05-01T12:34:56Z", "2024-05-01T12:34:56.789Z", "2024-05-01T14:34:56+02:00", "2023-12-31T23:59:59.5-05:30",
		"2013-02-01T20:53:32.486Z", "2024-05-01t12:00:00z", "2024-05-01T12:00:00.123456789123Z", "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z", "2024-05-01T12:34:60Z", "2024-05-01T24:00:00Z", "2024-05-01 12:34:56Z",
		"2024-05-01T12:34:56", "2024-13-01T12:34:56Z", "2024-05-01T12:34:56+0200", "2024-05-01T12:34:56.Z",
		"2024-05-01T12:34:56,5Z", "2024-05-01T1:34:56.5Z", "2024-05-01T12:34:56+24:00", "2024-05-01T12:34:56+01:60",
		"0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
		"+2024-05-01T12:34:56Z", "2024-05-01T12:34:56-00:00", "2024-05-01T12:34:56ZZ", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := string(raw)
		got, e := parseDateTime(raw)
		if string(raw) != in {
			t.Fatalf("parseDateTime changed its input %q to %q", in, raw)
		}
		want, perr := time.Parse(time.RFC3339Nano, strings.ToUpper(in))
		inRange := perr == nil && want.UTC().Year() >= 0 && want.UTC().Year() <= 9999
		if e != nil {
			if e.code != ocppj.PropertyConstraintViolation || e.msg == "" {
				t.Fatalf("parseDateTime(%q) error %v: want PropertyConstraintViolation", in, e.OCPP())
			}
			if rfc3339(in) && inRange {
				t.Fatalf("parseDateTime(%q) refuses an RFC 3339 date-time: %s", in, e.msg)
			}
			return
		}
		if !rfc3339(in) {
			t.Fatalf("parseDateTime(%q) = %v, but it is not an RFC 3339 date-time", in, got)
		}
		if perr != nil || !got.Equal(want) {
			t.Fatalf("parseDateTime(%q) = %v; time.Parse says %v, %v", in, got, want, perr)
		}
		if got.Location() != time.UTC {
			t.Fatalf("parseDateTime(%q) = %v, not in UTC", in, got)
		}
		// It can go back out: as JSON, and as RFC 3339 that parses to the
		// same instant.
		b, err := got.MarshalJSON()
		if err != nil {
			t.Fatalf("parseDateTime(%q) = %v, which JSON cannot carry: %v", in, got, err)
		}
		back, e := parseDateTime(b[1 : len(b)-1])
		if e != nil || !back.Equal(got) || back != got {
			t.Fatalf("parseDateTime(%q) = %v; re-encoded as %s it parses to %v, %v", in, got, b, back, e)
		}
	})
}
