package tariff

import (
	"strings"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// validTariff has every field set, validly.
func validTariff() charging.Tariff {
	from, to := at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")
	return charging.Tariff{
		ID: "T1", Name: " Standard ", Currency: " eur ", Type: "regular",
		TariffAltText: []charging.DisplayText{{Language: "EN", Text: " 0.30 EUR/kWh "}},
		TariffAltURL:  "https://example.com/prices",
		MinPrice:      &charging.Price{ExclVat: "1.00", InclVat: "1.19"},
		MaxPrice:      &charging.Price{ExclVat: "50.00"},
		Elements: []charging.TariffElement{
			el(&charging.TariffRestrictions{
				StartTime: "08:00", EndTime: "22:00", StartDate: "2026-01-01", EndDate: "2026-12-31",
				MinKWh: fptr(0), MaxKWh: fptr(10), MinCurrent: fptr(6), MaxCurrent: fptr(32),
				MinPower: fptr(0), MaxPower: fptr(50), MinDuration: iptr(0), MaxDuration: iptr(3600),
				DayOfWeek: []string{"monday", "Tuesday"}, Reservation: "reservation",
			}, pc("energy", "0.30", "19", 1), pc(charging.DimensionTime, "1.00", "", 60)),
			el(nil, pc(charging.DimensionParkingTime, "2.00", "19", 300), pc(charging.DimensionFlat, "0", "", 0)),
		},
		StartDateTime: &from, EndDateTime: &to,
	}
}

func TestValidateNormalizes(t *testing.T) {
	tf := validTariff()
	if err := Validate(&tf); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	r := tf.Elements[0].Restrictions
	got := []string{tf.Name, tf.Currency, tf.Type, tf.TariffAltText[0].Language, tf.TariffAltText[0].Text,
		string(tf.Elements[0].PriceComponents[0].Type), r.DayOfWeek[0], r.DayOfWeek[1], r.Reservation}
	want := []string{"Standard", "EUR", "REGULAR", "en", "0.30 EUR/kWh", "ENERGY", "MONDAY", "TUESDAY", "RESERVATION"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("normalized = %q, want %q", got, want)
	}
}

func TestValidateErrors(t *testing.T) {
	r0 := func(t *charging.Tariff) *charging.TariffRestrictions { return t.Elements[0].Restrictions }
	c01 := func(t *charging.Tariff) *charging.PriceComponent { return &t.Elements[0].PriceComponents[1] }
	before := at("2025-01-01T00:00:00Z")
	for _, c := range []struct {
		change func(t *charging.Tariff)
		want   string // the message
	}{
		{func(t *charging.Tariff) { t.Name = strings.Repeat("é", 256) }, "name must be at most 255 characters"},
		{func(t *charging.Tariff) { t.Currency = "E1R" }, `currency must be an ISO 4217 code (three letters, e.g. EUR), got "E1R"`},
		{func(t *charging.Tariff) { t.Type = "CHEAP" }, `type must be one of AD_HOC_PAYMENT, PROFILE_CHEAP, PROFILE_FAST, PROFILE_GREEN, REGULAR, got "CHEAP"`},
		{func(t *charging.Tariff) { t.TariffAltText[0].Language = "eng" }, `tariffAltText[0].language must be a two-letter ISO 639-1 code (e.g. en), got "eng"`},
		{func(t *charging.Tariff) { t.TariffAltText[0].Text = strings.Repeat("x", 513) }, "tariffAltText[0].text must be at most 512 characters"},
		{func(t *charging.Tariff) { t.TariffAltText[0].Text = " " }, "tariffAltText[0].text must not be empty"},
		{func(t *charging.Tariff) { t.TariffAltURL = "example.com" }, "tariffAltUrl must be an absolute http or https URL"},
		{func(t *charging.Tariff) { t.MinPrice.ExclVat = "-1" }, "minPrice.exclVat must not be negative, got -1"},
		{func(t *charging.Tariff) { t.MinPrice.InclVat = "0.50" }, "minPrice.inclVat must not be less than exclVat"},
		{func(t *charging.Tariff) { t.MaxPrice.ExclVat = "" }, "maxPrice.exclVat is required"},
		{func(t *charging.Tariff) { t.MaxPrice.ExclVat = "0.50" }, "maxPrice.exclVat must not be less than minPrice.exclVat"},
		{func(t *charging.Tariff) { t.Elements = nil }, "elements must have at least one element"},
		{func(t *charging.Tariff) { t.Elements[1].PriceComponents = nil }, "elements[1].priceComponents must have at least one price component"},
		{func(t *charging.Tariff) { c01(t).Type = "KWH" }, `elements[0].priceComponents[1].type must be one of ENERGY, FLAT, PARKING_TIME, TIME, got "KWH"`},
		{func(t *charging.Tariff) { c01(t).Type = "energy" }, "elements[0].priceComponents[1].type ENERGY appears twice in this element (one component per dimension)"},
		{func(t *charging.Tariff) { c01(t).Price = "" }, "elements[0].priceComponents[1].price is required"},
		{func(t *charging.Tariff) { c01(t).Price = "1,00" }, `elements[0].priceComponents[1].price must be a decimal number (e.g. "0.30"), got "1,00"`},
		{func(t *charging.Tariff) { c01(t).Price = "-0.01" }, "elements[0].priceComponents[1].price must not be negative, got -0.01"},
		{func(t *charging.Tariff) { c01(t).VAT = "100.5" }, "elements[0].priceComponents[1].vat must be a percentage from 0 to 100, got 100.5"},
		{func(t *charging.Tariff) { c01(t).StepSize = -1 }, "elements[0].priceComponents[1].stepSize must be from 0 to 1000000000, got -1"},
		{func(t *charging.Tariff) { r0(t).StartTime = "8:00" }, `elements[0].restrictions.startTime must be HH:MM (00:00 to 23:59), got "8:00"`},
		{func(t *charging.Tariff) { r0(t).EndTime = "24:00" }, `elements[0].restrictions.endTime must be HH:MM (00:00 to 23:59), got "24:00"`},
		{func(t *charging.Tariff) { r0(t).EndTime = "08:00" }, "elements[0].restrictions.endTime must differ from startTime (leave both out for all day)"},
		{func(t *charging.Tariff) { r0(t).StartDate = "2026-02-30" }, `elements[0].restrictions.startDate must be a date YYYY-MM-DD, got "2026-02-30"`},
		{func(t *charging.Tariff) { r0(t).EndDate = "2026-01-01" }, "elements[0].restrictions.endDate must be after startDate (endDate is exclusive)"},
		{func(t *charging.Tariff) { r0(t).MinKWh = fptr(-1) }, "elements[0].restrictions.minKwh must be a number that is not negative"},
		{func(t *charging.Tariff) { r0(t).MinKWh = fptr(11) }, "elements[0].restrictions.maxKwh must not be less than minKwh"},
		{func(t *charging.Tariff) { r0(t).MaxCurrent = fptr(5) }, "elements[0].restrictions.maxCurrent must not be less than minCurrent"},
		{func(t *charging.Tariff) { r0(t).MinPower = fptr(60) }, "elements[0].restrictions.maxPower must not be less than minPower"},
		{func(t *charging.Tariff) { r0(t).MinDuration = iptr(-1) }, "elements[0].restrictions.minDuration must not be negative, got -1"},
		{func(t *charging.Tariff) { r0(t).MinDuration = iptr(7200) }, "elements[0].restrictions.maxDuration must not be less than minDuration"},
		{func(t *charging.Tariff) { r0(t).DayOfWeek = []string{"MONDAY", "MON"} }, `elements[0].restrictions.dayOfWeek[1] must be one of MONDAY ... SUNDAY, got "MON"`},
		{func(t *charging.Tariff) { r0(t).DayOfWeek = []string{"MONDAY", "monday"} }, "elements[0].restrictions.dayOfWeek[1] MONDAY appears twice"},
		{func(t *charging.Tariff) { r0(t).Reservation = "YES" }, `elements[0].restrictions.reservation must be RESERVATION or RESERVATION_EXPIRES, got "YES"`},
		{func(t *charging.Tariff) { t.EndDateTime = &before }, "endDateTime must be after startDateTime"},
	} {
		tf := validTariff()
		c.change(&tf)
		err := Validate(&tf)
		if charging.ErrorCode(err) != charging.EINVALID || charging.ErrorMessage(err) != c.want {
			t.Errorf("Validate: %v\nwant %s: %s", err, charging.EINVALID, c.want)
		}
	}
}

func TestValidAt(t *testing.T) {
	tf := validTariff() // 2026-01-01 to 2027-01-01
	for _, c := range []struct {
		at   string
		want bool
	}{
		{"2025-12-31T23:59:59Z", false}, {"2026-01-01T00:00:00Z", true}, {"2026-12-31T23:59:59Z", true}, {"2027-01-01T00:00:00Z", false},
	} {
		if got := ValidAt(tf, at(c.at)); got != c.want {
			t.Errorf("ValidAt(%s) = %v, want %v", c.at, got, c.want)
		}
	}
	if !ValidAt(tariffOf(), time.Time{}) {
		t.Error("ValidAt without a window = false, want true")
	}
}
