package charging

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestDecimalRoundsHalfAwayFromZero(t *testing.T) {
	for _, c := range []struct {
		in     string
		places int
		want   Decimal
	}{
		{"1.9137", 2, "1.91"}, {"1.915", 2, "1.92"}, {"1.905", 2, "1.91"}, {"-1.905", 2, "-1.91"},
		{"0.004999", 2, "0.00"}, {"2", 2, "2.00"}, {"2.5", 0, "3"}, {"1/3", 4, "0.3333"},
	} {
		r, _ := new(big.Rat).SetString(c.in)
		if got := DecimalFromRat(r, c.places); got != c.want {
			t.Errorf("DecimalFromRat(%s, %d) = %s, want %s", c.in, c.places, got, c.want)
		}
	}
}

func TestDecimalJSON(t *testing.T) {
	var p Price
	if err := json.Unmarshal([]byte(`{"exclVat":"0.30","inclVat":0.357}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.ExclVat != "0.30" || p.InclVat != "0.357" {
		t.Fatalf("got %+v", p)
	}
	b, _ := json.Marshal(p)
	if string(b) != `{"exclVat":"0.30","inclVat":"0.357"}` {
		t.Fatalf("marshal: %s", b)
	}
	for _, bad := range []string{`{"exclVat":"1e3"}`, `{"exclVat":"+1"}`, `{"exclVat":"abc"}`, `{"exclVat":".5"}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestMinorUnits(t *testing.T) {
	for _, c := range []struct {
		d    Decimal
		cur  string
		want int64
	}{{"1.91", "EUR", 191}, {"1.915", "EUR", 192}, {"-0.005", "EUR", -1}, {"1200", "JPY", 1200}, {"1.2345", "KWD", 1235}, {"", "EUR", 0}} {
		if got := RoundMinorUnits(c.d, c.cur); got != c.want {
			t.Errorf("RoundMinorUnits(%s %s) = %d, want %d", c.d, c.cur, got, c.want)
		}
		if c.d != "1.915" && c.d != "-0.005" && c.d != "1.2345" && c.d != "" {
			if back := Decimal(FormatMinor(c.want, c.cur)); back.Rat().Cmp(c.d.Rat()) != 0 {
				t.Errorf("FormatMinor(%d %s) = %s", c.want, c.cur, back)
			}
		}
	}
	if FormatMinor(190, "EUR") != "1.90" {
		t.Errorf("FormatMinor(190) = %s", FormatMinor(190, "EUR"))
	}
}
