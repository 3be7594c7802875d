package charging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Decimal is an exact decimal number kept as its text ("0.30"), so that a
// price reads back exactly as the operator wrote it. JSON carries it as a
// string; a JSON number is accepted too. The zero value is "" (no value).
type Decimal string

// decimalText is a plain decimal: an optional minus, digits, an optional
// fraction of at most 12 digits; no exponent, no plus.
var decimalText = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,12})?$`)

// ParseDecimal checks s and returns it as a Decimal.
func ParseDecimal(s string) (Decimal, error) {
	s = strings.TrimSpace(s)
	if !decimalText.MatchString(s) {
		return "", Errorf(EINVALID, "%q is not a decimal number (digits, an optional fraction with a dot, e.g. \"0.30\")", s)
	}
	return Decimal(s), nil
}

// Rat returns the exact value; "" is zero.
func (d Decimal) Rat() *big.Rat {
	r := new(big.Rat)
	if d != "" {
		r.SetString(string(d))
	}
	return r
}

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.Rat().Sign() }

// DecimalFromRat formats r rounded half away from zero to places fraction digits.
func DecimalFromRat(r *big.Rat, places int) Decimal {
	return Decimal(RoundRat(r, places).FloatString(places))
}

// pow10 holds 10^0 ... 10^18, the scales RoundRat uses (read only).
var pow10 = func() []*big.Int {
	p := make([]*big.Int, 19)
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

// scale returns 10^places.
func scale(places int) *big.Int {
	if places >= 0 && places < len(pow10) {
		return pow10[places]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
}

// RoundRat rounds r half away from zero to places fraction digits.
func RoundRat(r *big.Rat, places int) *big.Rat {
	sc := scale(places)
	n := new(big.Int).Mul(r.Num(), sc)
	den := r.Denom()
	q, m := n.QuoRem(n, den, new(big.Int))
	// |m|*2 >= den rounds away from zero.
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(den) >= 0 {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, sc)
}

func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte(`null`), nil
	}
	return json.Marshal(string(d))
}

func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return fmt.Errorf("%s", ErrorMessage(err))
	}
	*d = v
	return nil
}
