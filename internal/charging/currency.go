package charging

import "regexp"

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
