package charging

import (
	"math/big"
	"regexp"
)

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether code looks like an ISO 4217 code (three
// upper-case letters).
func ValidCurrency(code string) bool { return currencyCode.MatchString(code) }

// minorUnits lists the ISO 4217 currencies whose minor unit is not two
// decimal places.
var minorUnits = map[string]int{
	"BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3,
	"JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0,
	"TND": 3, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}

// CurrencyPlaces returns the number of decimal places of a currency's
// minor unit (EUR 2, JPY 0, KWD 3); 2 for any currency not listed.
func CurrencyPlaces(code string) int {
	if n, ok := minorUnits[code]; ok {
		return n
	}
	return 2
}

// RoundMinorUnits returns d in the currency's minor unit (1.91 EUR is
// 191), rounded half away from zero (MinorUnits refuses extra places).
func RoundMinorUnits(d Decimal, currency string) int64 {
	places := CurrencyPlaces(currency)
	r := RoundRat(d.Rat(), places)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	n := new(big.Int).Mul(r.Num(), scale)
	return n.Quo(n, r.Denom()).Int64()
}

// FinalTotalMinor returns a session's final cost in minor units and its
// currency; 0 and "" while there is none.
func (s *Session) FinalTotalMinor() (int64, string) {
	if s.Cost == nil || !s.Cost.Final || s.Cost.Currency == "" {
		return 0, ""
	}
	return RoundMinorUnits(Decimal(s.Cost.Total), s.Cost.Currency), s.Cost.Currency
}

// PaymentStatusOf returns the session's payment status, "" without one.
func (s *Session) PaymentStatusOf() PaymentStatus {
	if s.Payment == nil {
		return ""
	}
	return s.Payment.Status
}
