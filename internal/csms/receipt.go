package csms

import (
	"context"
	"math/big"
	"slices"
	"strings"

	"github.com/joule-ev/joule/internal/charging"
)

// Receipt returns the receipt of a paid session: ENOTFOUND when it has
// none (free, not paid yet, or its capture failed).
func (s *Service) Receipt(ctx context.Context, sessionID string) (charging.Receipt, error) {
	ses, err := s.store.GetSession(ctx, sessionID)
	if err != nil {
		return charging.Receipt{}, err
	}
	pay := ses.Payment
	if pay == nil || pay.ReceiptNumber == "" || ses.Cost == nil {
		return charging.Receipt{}, charging.Errorf(charging.ENOTFOUND, "session %s has no receipt: it is free or not paid yet", sessionID)
	}
	cost := ses.Cost
	r := charging.Receipt{
		Number: pay.ReceiptNumber, IssuedAt: pay.UpdatedAt, SessionID: ses.ID, Seller: s.cfg.Seller,
		ChargerID: ses.ChargerID, ConnectorID: ses.ConnectorID, StartedAt: ses.StartedAt, StoppedAt: ses.StoppedAt,
		EnergyWh: ses.EnergyWh, TariffID: ses.TariffID, Currency: cost.Currency,
		TotalExclVat: charging.Decimal(cost.TotalExclVat), Tax: charging.Decimal(cost.Tax), Total: charging.Decimal(cost.Total),
		Paid: charging.Decimal(pay.Captured), Refunded: charging.Decimal(pay.Refunded), PaymentProvider: pay.Provider,
	}
	if c, err := s.store.GetCharger(ctx, ses.ChargerID); err == nil {
		r.ChargerName = c.Name
		if k, ok := c.Connector(ses.ConnectorID); ok {
			r.EVSEID = k.EVSEID
		}
		if c.SiteID != "" {
			if site, err := s.store.GetSite(ctx, c.SiteID); err == nil {
				r.SiteName = site.Name
				r.SiteAddress = siteAddress(site.Address)
			}
		}
	}
	if ses.OwnerID != "" {
		r.Buyer.UserID = ses.OwnerID
		if u, err := s.store.GetUser(ctx, ses.OwnerID); err == nil {
			r.Buyer.Name, r.Buyer.Email = u.Name, u.Email
		}
	}
	r.VATRate = singleVAT(ses.Tariff)
	r.Lines = receiptLines(cost)
	return r, nil
}

// receiptLines are the cost's charged dimensions, in a fixed order.
func receiptLines(c *charging.Cost) []charging.ReceiptLine {
	hours := func(sec int64) charging.Decimal {
		return charging.DecimalFromRat(big.NewRat(sec, 3600), 4)
	}
	lines := []charging.ReceiptLine{}
	add := func(dim charging.TariffDimension, desc string, qty charging.Decimal, unit, amount string) {
		if amount == "" || charging.Decimal(amount).Sign() == 0 {
			return
		}
		lines = append(lines, charging.ReceiptLine{Dimension: dim, Description: desc, Quantity: qty, Unit: unit, Amount: charging.Decimal(amount)})
	}
	kwh := charging.DecimalFromRat(new(big.Rat).SetFrac64(int64(c.EnergyWh+0.5), 1000), 3)
	add(charging.DimensionEnergy, "Energy", kwh, "kWh", c.Energy)
	add(charging.DimensionTime, "Charging time", hours(c.ChargingTimeS), "h", c.Time)
	add(charging.DimensionParkingTime, "Idle time (connected, not charging)", hours(c.IdleTimeS), "h", c.Idle)
	add(charging.DimensionFlat, "Session fee", "1", "session", c.Flat)
	return lines
}

// singleVAT returns the tariff's VAT rate when all its price components
// have the same one, else "".
func singleVAT(t *charging.Tariff) charging.Decimal {
	var first charging.Decimal
	seen := false
	for _, e := range tariffElements(t) {
		for _, p := range e.PriceComponents {
			switch {
			case !seen:
				first, seen = p.VAT, true
			case p.VAT.Rat().Cmp(first.Rat()) != 0:
				return "" // several rates
			}
		}
	}
	if first.Sign() == 0 {
		return ""
	}
	return first
}

// tariffElements is t's elements, none for nil.
func tariffElements(t *charging.Tariff) []charging.TariffElement {
	if t == nil {
		return nil
	}
	return t.Elements
}

// siteAddress is one line of a site's address.
func siteAddress(a charging.Address) string {
	var parts []string
	for _, p := range []string{a.Street, strings.TrimSpace(a.PostalCode + " " + a.City), a.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// SessionTotals sums the sessions q selects (every page): their count and
// energy, their final costs, what was paid and what is still owed, per
// currency.
func (s *Service) SessionTotals(ctx context.Context, q charging.SessionQuery) (charging.SessionTotals, error) {
	q.Limit = 1000
	q.Cursor = ""
	type sums struct{ cost, paid, unpaid *big.Rat }
	byCur := map[string]*sums{}
	get := func(cur string) *sums {
		if byCur[cur] == nil {
			byCur[cur] = &sums{new(big.Rat), new(big.Rat), new(big.Rat)}
		}
		return byCur[cur]
	}
	var t charging.SessionTotals
	for {
		page, err := s.store.ListSessions(ctx, q)
		if err != nil {
			return charging.SessionTotals{}, err
		}
		for _, ses := range page.Items {
			if ses.Status == charging.SessionFailed {
				continue
			}
			t.Sessions++
			t.EnergyWh += ses.EnergyWh
			if ses.Cost == nil || !ses.Cost.Final {
				continue
			}
			m := get(ses.Cost.Currency)
			total := charging.Decimal(ses.Cost.Total).Rat()
			m.cost.Add(m.cost, total)
			switch p := ses.Payment; {
			case p == nil:
			case p.Status == charging.PaymentCaptured || p.Status == charging.PaymentRefunded:
				paid := new(big.Rat).Sub(charging.Decimal(p.Captured).Rat(), charging.Decimal(p.Refunded).Rat())
				m.paid.Add(m.paid, paid)
			case p.Status == charging.PaymentUnpaid || p.Status == charging.PaymentAuthorized:
				m.unpaid.Add(m.unpaid, total)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	curs := make([]string, 0, len(byCur))
	for c := range byCur {
		curs = append(curs, c)
	}
	slices.Sort(curs)
	t.Costs, t.Paid, t.Unpaid = []charging.Money{}, []charging.Money{}, []charging.Money{}
	for _, c := range curs {
		m, places := byCur[c], charging.CurrencyPlaces(c)
		t.Costs = append(t.Costs, charging.Money{Currency: c, Amount: charging.DecimalFromRat(m.cost, places)})
		t.Paid = append(t.Paid, charging.Money{Currency: c, Amount: charging.DecimalFromRat(m.paid, places)})
		t.Unpaid = append(t.Unpaid, charging.Money{Currency: c, Amount: charging.DecimalFromRat(m.unpaid, places)})
	}
	return t, nil
}
