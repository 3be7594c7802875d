package tariff

import (
	"fmt"
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/joule-ev/joule/internal/charging"
)

// Limits on a tariff's texts (OCPI 2.2.1 gives the DisplayText text 512
// characters; the name is ours).
const (
	maxNameLen    = 255
	maxAltTextLen = 512
	// maxStepSize bounds a step (about 31 years, or 1 GWh): a larger one
	// is a mistake, and it keeps billed nanoseconds within int64.
	maxStepSize = 1_000_000_000
)

var (
	clockText    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	languageText = regexp.MustCompile(`^[a-z]{2}$`)
)

// tariffTypes are OCPI 2.2.1's TariffType values; "" is none given.
var tariffTypes = map[string]bool{
	"": true, "AD_HOC_PAYMENT": true, "PROFILE_CHEAP": true, "PROFILE_FAST": true,
	"PROFILE_GREEN": true, "REGULAR": true,
}

// weekdays maps OCPI's DayOfWeek to Go's.
var weekdays = map[string]time.Weekday{
	"MONDAY": time.Monday, "TUESDAY": time.Tuesday, "WEDNESDAY": time.Wednesday,
	"THURSDAY": time.Thursday, "FRIDAY": time.Friday, "SATURDAY": time.Saturday,
	"SUNDAY": time.Sunday,
}

// Validate normalizes t (trims texts, upper-cases the currency and the
// enumerations, lower-cases languages) and returns an EINVALID
// *charging.Error naming the JSON path of the first field that breaks a
// rule (e.g. elements[0].priceComponents[1].stepSize).
//
// Rules beyond the field formats: at least one element, each with at
// least one price component and at most one component per dimension (OCPI
// allows only one active component per dimension); prices, step sizes,
// restriction bounds and minPrice/maxPrice are not negative; each min is
// at most its max; endDate is after startDate, endTime differs from
// startTime, endDateTime is after startDateTime.
func Validate(t *charging.Tariff) error {
	t.Name = strings.TrimSpace(t.Name)
	t.Currency = strings.ToUpper(strings.TrimSpace(t.Currency))
	t.Type = strings.ToUpper(strings.TrimSpace(t.Type))
	t.TariffAltURL = strings.TrimSpace(t.TariffAltURL)

	if utf8.RuneCountInString(t.Name) > maxNameLen {
		return invalid("name", "must be at most %d characters", maxNameLen)
	}
	if !charging.ValidCurrency(t.Currency) {
		return invalid("currency", "must be an ISO 4217 code (three letters, e.g. EUR), got %q", t.Currency)
	}
	if !tariffTypes[t.Type] {
		return invalid("type", "must be one of AD_HOC_PAYMENT, PROFILE_CHEAP, PROFILE_FAST, PROFILE_GREEN, REGULAR, got %q", t.Type)
	}
	for i := range t.TariffAltText {
		d := &t.TariffAltText[i]
		d.Language = strings.ToLower(strings.TrimSpace(d.Language))
		d.Text = strings.TrimSpace(d.Text)
		path := fmt.Sprintf("tariffAltText[%d]", i)
		if !languageText.MatchString(d.Language) {
			return invalid(path+".language", "must be a two-letter ISO 639-1 code (e.g. en), got %q", d.Language)
		}
		if d.Text == "" {
			return invalid(path+".text", "must not be empty")
		}
		if utf8.RuneCountInString(d.Text) > maxAltTextLen {
			return invalid(path+".text", "must be at most %d characters", maxAltTextLen)
		}
	}
	if t.TariffAltURL != "" {
		u, err := url.Parse(t.TariffAltURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("tariffAltUrl", "must be an absolute http or https URL")
		}
	}
	if err := validatePrice("minPrice", t.MinPrice); err != nil {
		return err
	}
	if err := validatePrice("maxPrice", t.MaxPrice); err != nil {
		return err
	}
	if t.MinPrice != nil && t.MaxPrice != nil {
		if t.MaxPrice.ExclVat.Rat().Cmp(t.MinPrice.ExclVat.Rat()) < 0 {
			return invalid("maxPrice.exclVat", "must not be less than minPrice.exclVat")
		}
		if t.MinPrice.InclVat != "" && t.MaxPrice.InclVat != "" &&
			t.MaxPrice.InclVat.Rat().Cmp(t.MinPrice.InclVat.Rat()) < 0 {
			return invalid("maxPrice.inclVat", "must not be less than minPrice.inclVat")
		}
	}
	if len(t.Elements) == 0 {
		return invalid("elements", "must have at least one element")
	}
	for i := range t.Elements {
		if err := validateElement(fmt.Sprintf("elements[%d]", i), &t.Elements[i]); err != nil {
			return err
		}
	}
	if t.StartDateTime != nil && t.EndDateTime != nil && !t.EndDateTime.After(*t.StartDateTime) {
		return invalid("endDateTime", "must be after startDateTime")
	}
	return nil
}

func invalid(path, format string, args ...any) error {
	return charging.Errorf(charging.EINVALID, "%s %s", path, fmt.Sprintf(format, args...))
}

// checkDecimal normalizes *d and checks that it is a decimal that is not
// negative.
func checkDecimal(path string, d *charging.Decimal) error {
	v, err := charging.ParseDecimal(string(*d))
	if err != nil {
		return invalid(path, "must be a decimal number (e.g. \"0.30\"), got %q", string(*d))
	}
	*d = v
	if v.Sign() < 0 {
		return invalid(path, "must not be negative, got %s", v)
	}
	return nil
}

func validatePrice(path string, p *charging.Price) error {
	if p == nil {
		return nil
	}
	if p.ExclVat == "" {
		return invalid(path+".exclVat", "is required")
	}
	if err := checkDecimal(path+".exclVat", &p.ExclVat); err != nil {
		return err
	}
	if p.InclVat != "" {
		if err := checkDecimal(path+".inclVat", &p.InclVat); err != nil {
			return err
		}
		if p.InclVat.Rat().Cmp(p.ExclVat.Rat()) < 0 {
			return invalid(path+".inclVat", "must not be less than exclVat")
		}
	}
	return nil
}

func validateElement(path string, e *charging.TariffElement) error {
	if len(e.PriceComponents) == 0 {
		return invalid(path+".priceComponents", "must have at least one price component")
	}
	seen := map[charging.TariffDimension]bool{}
	for j := range e.PriceComponents {
		c := &e.PriceComponents[j]
		cp := fmt.Sprintf("%s.priceComponents[%d]", path, j)
		c.Type = charging.TariffDimension(strings.ToUpper(strings.TrimSpace(string(c.Type))))
		switch c.Type {
		case charging.DimensionEnergy, charging.DimensionFlat, charging.DimensionParkingTime, charging.DimensionTime:
		default:
			return invalid(cp+".type", "must be one of ENERGY, FLAT, PARKING_TIME, TIME, got %q", string(c.Type))
		}
		if seen[c.Type] {
			return invalid(cp+".type", "%s appears twice in this element (one component per dimension)", c.Type)
		}
		seen[c.Type] = true
		if strings.TrimSpace(string(c.Price)) == "" {
			return invalid(cp+".price", "is required")
		}
		if err := checkDecimal(cp+".price", &c.Price); err != nil {
			return err
		}
		if strings.TrimSpace(string(c.VAT)) != "" {
			if err := checkDecimal(cp+".vat", &c.VAT); err != nil {
				return err
			}
			if c.VAT.Rat().Cmp(big.NewRat(100, 1)) > 0 {
				return invalid(cp+".vat", "must be a percentage from 0 to 100, got %s", c.VAT)
			}
		} else {
			c.VAT = ""
		}
		if c.StepSize < 0 || c.StepSize > maxStepSize {
			return invalid(cp+".stepSize", "must be from 0 to %d, got %d", maxStepSize, c.StepSize)
		}
	}
	if e.Restrictions != nil {
		return validateRestrictions(path+".restrictions", e.Restrictions)
	}
	return nil
}

func validateRestrictions(path string, r *charging.TariffRestrictions) error {
	r.StartTime = strings.TrimSpace(r.StartTime)
	r.EndTime = strings.TrimSpace(r.EndTime)
	r.StartDate = strings.TrimSpace(r.StartDate)
	r.EndDate = strings.TrimSpace(r.EndDate)
	r.Reservation = strings.ToUpper(strings.TrimSpace(r.Reservation))
	if r.StartTime != "" && !clockText.MatchString(r.StartTime) {
		return invalid(path+".startTime", "must be HH:MM (00:00 to 23:59), got %q", r.StartTime)
	}
	if r.EndTime != "" && !clockText.MatchString(r.EndTime) {
		return invalid(path+".endTime", "must be HH:MM (00:00 to 23:59), got %q", r.EndTime)
	}
	if r.StartTime != "" && r.StartTime == r.EndTime {
		return invalid(path+".endTime", "must differ from startTime (leave both out for all day)")
	}
	var start, end time.Time
	var err error
	if r.StartDate != "" {
		if start, err = time.Parse(time.DateOnly, r.StartDate); err != nil {
			return invalid(path+".startDate", "must be a date YYYY-MM-DD, got %q", r.StartDate)
		}
	}
	if r.EndDate != "" {
		if end, err = time.Parse(time.DateOnly, r.EndDate); err != nil {
			return invalid(path+".endDate", "must be a date YYYY-MM-DD, got %q", r.EndDate)
		}
		if r.StartDate != "" && !end.After(start) {
			return invalid(path+".endDate", "must be after startDate (endDate is exclusive)")
		}
	}
	for _, p := range []struct {
		name     string
		min, max *float64
	}{
		{"Kwh", r.MinKWh, r.MaxKWh},
		{"Current", r.MinCurrent, r.MaxCurrent},
		{"Power", r.MinPower, r.MaxPower},
	} {
		for _, v := range []struct {
			name string
			v    *float64
		}{{"min" + p.name, p.min}, {"max" + p.name, p.max}} {
			if v.v != nil && (math.IsNaN(*v.v) || math.IsInf(*v.v, 0) || *v.v < 0) {
				return invalid(path+"."+v.name, "must be a number that is not negative")
			}
		}
		if p.min != nil && p.max != nil && *p.max < *p.min {
			return invalid(path+".max"+p.name, "must not be less than min%s", p.name)
		}
	}
	if r.MinDuration != nil && *r.MinDuration < 0 {
		return invalid(path+".minDuration", "must not be negative, got %d", *r.MinDuration)
	}
	if r.MaxDuration != nil && *r.MaxDuration < 0 {
		return invalid(path+".maxDuration", "must not be negative, got %d", *r.MaxDuration)
	}
	if r.MinDuration != nil && r.MaxDuration != nil && *r.MaxDuration < *r.MinDuration {
		return invalid(path+".maxDuration", "must not be less than minDuration")
	}
	seen := map[string]bool{}
	for k := range r.DayOfWeek {
		d := strings.ToUpper(strings.TrimSpace(r.DayOfWeek[k]))
		r.DayOfWeek[k] = d
		dp := fmt.Sprintf("%s.dayOfWeek[%d]", path, k)
		if _, ok := weekdays[d]; !ok {
			return invalid(dp, "must be one of MONDAY ... SUNDAY, got %q", d)
		}
		if seen[d] {
			return invalid(dp, "%s appears twice", d)
		}
		seen[d] = true
	}
	switch r.Reservation {
	case "", "RESERVATION", "RESERVATION_EXPIRES":
	default:
		return invalid(path+".reservation", "must be RESERVATION or RESERVATION_EXPIRES, got %q", r.Reservation)
	}
	return nil
}

// clone returns a deep copy of t, so that Validate may normalize it
// without touching the caller's slices.
func clone(t charging.Tariff) charging.Tariff {
	c := t
	c.TariffAltText = append([]charging.DisplayText(nil), t.TariffAltText...)
	if t.MinPrice != nil {
		p := *t.MinPrice
		c.MinPrice = &p
	}
	if t.MaxPrice != nil {
		p := *t.MaxPrice
		c.MaxPrice = &p
	}
	c.Elements = make([]charging.TariffElement, len(t.Elements))
	for i, e := range t.Elements {
		c.Elements[i].PriceComponents = append([]charging.PriceComponent(nil), e.PriceComponents...)
		if e.Restrictions != nil {
			r := *e.Restrictions
			r.DayOfWeek = append([]string(nil), r.DayOfWeek...)
			c.Elements[i].Restrictions = &r
		}
	}
	return c
}
