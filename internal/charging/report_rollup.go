package charging

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The pieces every store uses to answer UsageReport the same way: what it
// reads of sessions and presence, the per charger per day cells it rolls
// them up into (ReportCells), and the assembly of cells into rows
// (AssembleReport). See docs/adr/0010-usage-reports.md.

// ReportSession is what a report reads of a finished or active session.
type ReportSession struct {
	ChargerID string
	// Start is StartedAt, or CreatedAt without it.
	Start time.Time
	// End is StoppedAt (UpdatedAt without it) of a finished session;
	// ignored while Active (the session occupies its connector until now).
	End       time.Time
	Active    bool
	EnergyWh  float64
	Currency  string // of the final cost; "" when free
	CostMinor int64  // the final cost's total in the currency's minor units
}

// ReportSpan is a time a charger was online, from its connection to its
// disconnection; To is zero while it still is.
type ReportSpan struct {
	ChargerID string
	From, To  time.Time
}

// ReportCell is one charger's activity on one day (a day number,
// CivilDay, in the report's location). A cell without ChargerID is
// already summed over a group (a store's aggregate): over the chargers of
// site SiteID for a report by site, over every charger the report's
// filters match for a report of everything; its Day is any day of its
// period.
type ReportCell struct {
	ChargerID  string
	SiteID     string
	Day        int
	Sessions   int
	EnergyWh   float64
	OccupiedUS int64 // connector-microseconds occupied
	OnlineUS   int64
	Revenue    map[string]int64 // currency -> minor units; nil when none
}

type cellKey struct {
	charger string
	day     int
}

// ReportCells rolls sessions and presence spans up into cells, keeping
// only the days in [first, end).
type ReportCells struct {
	loc        *time.Location
	first, end int
	m          map[cellKey]*ReportCell
}

// NewReportCells returns an empty roll-up of the days [first, end) in loc.
func NewReportCells(loc *time.Location, first, end int) *ReportCells {
	return &ReportCells{loc: loc, first: first, end: end, m: map[cellKey]*ReportCell{}}
}

func (c *ReportCells) cell(charger string, day int) *ReportCell {
	if day < c.first || day >= c.end {
		return nil
	}
	k := cellKey{charger, day}
	x := c.m[k]
	if x == nil {
		x = &ReportCell{ChargerID: charger, Day: day}
		c.m[k] = x
	}
	return x
}

// AddSession adds a session: counted with its energy on the day it
// started, its final cost on the day it stopped, and its occupied time on
// every day it overlaps (up to now while active).
func (c *ReportCells) AddSession(s ReportSession, now time.Time) {
	if x := c.cell(s.ChargerID, civilDay(s.Start, c.loc)); x != nil {
		x.Sessions++
		x.EnergyWh += s.EnergyWh
	}
	end := s.End
	if s.Active {
		end = now
	} else if s.Currency != "" {
		if x := c.cell(s.ChargerID, civilDay(s.End, c.loc)); x != nil {
			if x.Revenue == nil {
				x.Revenue = map[string]int64{}
			}
			x.Revenue[s.Currency] += s.CostMinor
		}
	}
	c.spread(s.ChargerID, s.Start, end, func(x *ReportCell, us int64) { x.OccupiedUS += us })
}

// AddSpan adds a time online (up to now while it lasts).
func (c *ReportCells) AddSpan(sp ReportSpan, now time.Time) {
	to := sp.To
	if to.IsZero() {
		to = now
	}
	c.spread(sp.ChargerID, sp.From, to, func(x *ReportCell, us int64) { x.OnlineUS += us })
}

// spread adds the microseconds of [from, to) that fall on each day.
func (c *ReportCells) spread(charger string, from, to time.Time, add func(*ReportCell, int64)) {
	if !to.After(from) {
		return
	}
	first, last := max(civilDay(from, c.loc), c.first), min(civilDay(to, c.loc), c.end-1)
	for d := first; d <= last; d++ {
		a, b := DayStart(d, c.loc), DayStart(d+1, c.loc)
		if from.After(a) {
			a = from
		}
		if to.Before(b) {
			b = to
		}
		if us := b.UnixMicro() - a.UnixMicro(); us > 0 {
			add(c.cell(charger, d), us)
		}
	}
}

// Add merges a cell (a stored roll-up) into c.
func (c *ReportCells) Add(in ReportCell) {
	x := c.cell(in.ChargerID, in.Day)
	if x == nil {
		return
	}
	x.Sessions += in.Sessions
	x.EnergyWh += in.EnergyWh
	x.OccupiedUS += in.OccupiedUS
	x.OnlineUS += in.OnlineUS
	for cur, v := range in.Revenue {
		if x.Revenue == nil {
			x.Revenue = map[string]int64{}
		}
		x.Revenue[cur] += v
	}
}

// Cells returns the cells, ordered by day, then charger.
func (c *ReportCells) Cells() []ReportCell {
	out := make([]ReportCell, 0, len(c.m))
	for _, x := range c.m {
		out = append(out, *x)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		return out[i].ChargerID < out[j].ChargerID
	})
	return out
}

// FormatRevenue encodes minor amounts per currency as a store keeps them:
// "EUR=1234;USD=5", ordered by currency; "" for none.
func FormatRevenue(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(m[k], 10))
	}
	return b.String()
}

// ParseRevenue decodes FormatRevenue's text; nil for "".
func ParseRevenue(s string) (map[string]int64, error) {
	if s == "" {
		return nil, nil
	}
	m := map[string]int64{}
	for _, part := range strings.Split(s, ";") {
		cur, v, ok := strings.Cut(part, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return nil, Errorf(EINVALID, "revenue %q is not CUR=minor;...", s)
		}
		m[cur] += n
	}
	return m, nil
}

// ReportCharger is what a report needs of a charger.
type ReportCharger struct {
	ID, SiteID string
	Connectors int        // connectors (not counting connector 0)
	FirstSeen  *time.Time // its first connection (presence log); nil: never
}

// ReportDays returns the day numbers [first, end) a query covers.
func (q ReportQuery) ReportDays() (first, end int) {
	return civilDay(q.From, q.Loc()), civilDay(q.To, q.Loc())
}

// ReportPeriods returns the starts of q's periods and, last, q.To: period
// i is [p[i], p[i+1]). The first period starts at From, even when From is
// within a week or month.
func (q ReportQuery) ReportPeriods() []time.Time {
	loc := q.Loc()
	p := []time.Time{q.From}
	for t := q.From; ; {
		y, m, d := t.In(loc).Date()
		switch q.Interval {
		case ReportDay:
			t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		case ReportWeek:
			wd := (int(t.In(loc).Weekday()) + 6) % 7 // Monday 0
			t = time.Date(y, m, d-wd+7, 0, 0, 0, 0, loc)
		default:
			t = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
		}
		if !t.Before(q.To) {
			return append(p, q.To)
		}
		p = append(p, t)
	}
}

// AssembleReport sums cells into q's rows: see ReportStore.UsageReport
// and ReportRow. chargers are every charger (the filters are applied
// here); now ends the time counted in ConnectorS and ChargerS.
func AssembleReport(q ReportQuery, now time.Time, chargers []ReportCharger, cells []ReportCell) []ReportRow {
	loc := q.Loc()
	periods := q.ReportPeriods()
	first, end := q.ReportDays()
	// period of each day of the range
	dayPeriod := make([]int, end-first)
	for i := range len(periods) - 1 {
		for d := civilDay(periods[i], loc); d < civilDay(periods[i+1], loc); d++ {
			dayPeriod[d-first] = i
		}
	}
	type acc struct {
		row         ReportRow
		occUS, onUS int64
		connS, chS  int64
		revenue     map[string]int64
		sessions    int
		energy      float64
	}
	groupOf := map[string]string{} // charger -> group key
	var groups []string
	seen := map[string]bool{}
	site := map[string]string{}
	for _, c := range chargers {
		if q.SiteID != "" && c.SiteID != q.SiteID || q.ChargerID != "" && c.ID != q.ChargerID {
			continue
		}
		var g string
		switch q.GroupBy {
		case ReportGroupSite:
			g = c.SiteID
		case ReportGroupCharger:
			g = c.SiteID + "\x00" + c.ID
		}
		groupOf[c.ID] = g
		site[g] = c.SiteID
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	if q.GroupBy == ReportGroupAll && len(groups) == 0 {
		groups = []string{""}
	}
	sort.Strings(groups)
	gi := map[string]int{}
	for i, g := range groups {
		gi[g] = i
	}
	np := len(periods) - 1
	accs := make([]acc, np*len(groups))
	for p := range np {
		for i, g := range groups {
			a := &accs[p*len(groups)+i]
			a.row.PeriodStart, a.row.PeriodEnd = periods[p].UTC(), periods[p+1].UTC()
			if q.GroupBy != ReportGroupAll {
				a.row.SiteID = site[g]
			}
			if q.GroupBy == ReportGroupCharger {
				_, a.row.ChargerID, _ = strings.Cut(g, "\x00")
			}
		}
	}
	seconds := func(from, to time.Time) int64 {
		if to.After(now) {
			to = now
		}
		if !to.After(from) {
			return 0
		}
		return int64(to.Sub(from) / time.Second)
	}
	for _, c := range chargers {
		g, ok := groupOf[c.ID]
		if !ok {
			continue
		}
		for p := range np {
			a := &accs[p*len(groups)+gi[g]]
			a.connS += int64(c.Connectors) * seconds(periods[p], periods[p+1])
			if c.FirstSeen != nil {
				from := periods[p]
				if c.FirstSeen.After(from) {
					from = *c.FirstSeen
				}
				a.chS += seconds(from, periods[p+1])
			}
		}
	}
	for _, x := range cells {
		g, ok := groupOf[x.ChargerID]
		if x.ChargerID == "" {
			g, ok = x.SiteID, q.GroupBy == ReportGroupSite
			if q.GroupBy == ReportGroupAll {
				g, ok = "", true
			}
			if _, known := gi[g]; !known {
				ok = false
			}
		}
		if !ok || x.Day < first || x.Day >= end {
			continue
		}
		a := &accs[dayPeriod[x.Day-first]*len(groups)+gi[g]]
		a.sessions += x.Sessions
		a.energy += x.EnergyWh
		a.occUS += x.OccupiedUS
		a.onUS += x.OnlineUS
		for cur, v := range x.Revenue {
			if a.revenue == nil {
				a.revenue = map[string]int64{}
			}
			a.revenue[cur] += v
		}
	}
	rows := make([]ReportRow, len(accs))
	for i, a := range accs {
		r := a.row
		r.Sessions, r.EnergyWh = a.sessions, a.energy
		r.Revenue = MoneyList(a.revenue)
		r.OccupiedS, r.ConnectorS = a.occUS/1e6, a.connS
		r.OnlineS, r.ChargerS = a.onUS/1e6, a.chS
		r.Utilisation = ratio(a.occUS, a.connS)
		r.Availability = ratio(a.onUS, a.chS)
		rows[i] = r
	}
	return rows
}

// ratio is us microseconds over s seconds, 0 when s is 0.
func ratio(us, s int64) float64 {
	if s == 0 {
		return 0
	}
	return float64(us) / 1e6 / float64(s)
}

// ReportTotal sums rows into one: periods from the first row's start to
// the last one's end, the ratios recomputed from the sums.
func ReportTotal(rows []ReportRow) ReportRow {
	var t ReportRow
	rev := map[string]*big.Rat{}
	for i, r := range rows {
		if i == 0 || r.PeriodStart.Before(t.PeriodStart) {
			t.PeriodStart = r.PeriodStart
		}
		if r.PeriodEnd.After(t.PeriodEnd) {
			t.PeriodEnd = r.PeriodEnd
		}
		t.Sessions += r.Sessions
		t.EnergyWh += r.EnergyWh
		t.OccupiedS += r.OccupiedS
		t.ConnectorS += r.ConnectorS
		t.OnlineS += r.OnlineS
		t.ChargerS += r.ChargerS
		for _, m := range r.Revenue {
			if rev[m.Currency] == nil {
				rev[m.Currency] = new(big.Rat)
			}
			rev[m.Currency].Add(rev[m.Currency], m.Amount.Rat())
		}
	}
	t.Revenue = []Money{}
	for cur, r := range rev {
		t.Revenue = append(t.Revenue, Money{Currency: cur, Amount: DecimalFromRat(r, CurrencyPlaces(cur))})
	}
	sort.Slice(t.Revenue, func(i, j int) bool { return t.Revenue[i].Currency < t.Revenue[j].Currency })
	t.Utilisation = ratio(t.OccupiedS*1e6, t.ConnectorS)
	t.Availability = ratio(t.OnlineS*1e6, t.ChargerS)
	return t
}

// ReportRebuild is a range of one charger's days a roll-up rebuilds:
// [FirstDay, EndDay).
type ReportRebuild struct {
	ChargerID        string
	FirstDay, EndDay int
}

// ReportRebuilds turns changed time ranges (a store's dirty log) into the
// days of each charger to rebuild, ordered by charger.
func ReportRebuilds(loc *time.Location, changed []ReportSpan) []ReportRebuild {
	m := map[string]*ReportRebuild{}
	for _, c := range changed {
		first, end := civilDay(c.From, loc), civilDay(c.To, loc)+1
		r := m[c.ChargerID]
		if r == nil {
			m[c.ChargerID] = &ReportRebuild{ChargerID: c.ChargerID, FirstDay: first, EndDay: end}
			continue
		}
		r.FirstDay, r.EndDay = min(r.FirstDay, first), max(r.EndDay, end)
	}
	out := make([]ReportRebuild, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ChargerID < out[j].ChargerID })
	return out
}

// Covers reports whether r rebuilds a charger's day.
func (r ReportRebuild) Covers(charger string, day int) bool {
	return r.ChargerID == charger && day >= r.FirstDay && day < r.EndDay
}

// ReportLive is what a report reads at its time besides the roll-up.
type ReportLive struct {
	Chargers []ReportCharger
	Active   []ReportSession // active sessions
	Open     []ReportSpan    // open presence spans
}

// ExcludeRebuilt returns the stored cells that rebuilds do not replace.
func ExcludeRebuilt(stored []ReportCell, rebuilds []ReportRebuild) []ReportCell {
	if len(rebuilds) == 0 {
		return stored
	}
	idx := map[string]ReportRebuild{}
	for _, r := range rebuilds {
		idx[r.ChargerID] = r
	}
	out := stored[:0:0]
	for _, c := range stored {
		if r, ok := idx[c.ChargerID]; ok && r.Covers(c.ChargerID, c.Day) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// MergeReport assembles a report from a roll-up's stored cells (less
// those rebuilt: ExcludeRebuilt), the rebuilt cells and what is live.
func MergeReport(q ReportQuery, now time.Time, stored, rebuilt []ReportCell, live ReportLive) []ReportRow {
	first, end := q.ReportDays()
	cells := NewReportCells(q.Loc(), first, end)
	for _, s := range live.Active {
		cells.AddSession(s, now)
	}
	for _, sp := range live.Open {
		cells.AddSpan(sp, now)
	}
	all := make([]ReportCell, 0, len(stored)+len(rebuilt)+len(cells.m))
	all = append(append(append(all, stored...), rebuilt...), cells.Cells()...)
	return AssembleReport(q, now, live.Chargers, all)
}
