package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/joule-ev/joule/internal/ocpp/ocpp201"
)

// Kinds of simulated charger hardware, for Config.Kind.
const (
	// KindAC is a charging post: Config.Connectors Type 2 sockets
	// (sType2), each of Config.MaxPowerW on 3 phases. The default.
	KindAC = "ac"
	// KindDC is a DC fast charger with two cables: CCS2 (cCCS2, 150 kW)
	// and CHAdeMO (cG105, 50 kW), each its own EVSE (2.0.1) or connector
	// (1.6), as many DC chargers expose them. Config.Connectors and
	// Config.MaxPowerW do not apply.
	KindDC = "dc"
	// KindMixed is for RunFleet only: odd chargers are AC, even ones DC.
	KindMixed = "mixed"
)

// Outlet is one connector's hardware.
type Outlet struct {
	// Type is the OCPP 2.0.1 ConnectorEnumType of the plug: sType2 (a
	// Type 2 socket), cType2, cCCS2, cG105 (CHAdeMO), ... A 2.0.1 charger
	// reports it as its Connector component's ConnectorType; a 1.6 one
	// cannot report it (the operator sets it in Joule).
	Type string
	// MaxPowerW is the most the outlet delivers: a 2.0.1 charger reports
	// it as the maxLimit of its EVSE component's Power.
	MaxPowerW float64
	// Phases is the number of AC phases, 0 for DC (2.0.1 SupplyPhases).
	Phases int
}

// DC reports whether the outlet delivers direct current.
func (o Outlet) DC() bool { return o.Phases == 0 }

// Electrical model of an outlet: the nominal voltage (AC line to neutral,
// or the DC voltage of a typical 400 V battery) and the number of
// conductors the current is spread over.
func (o Outlet) voltageV() float64 {
	if o.DC() {
		return dcVoltageV
	}
	return nominalVoltageV
}

func (o Outlet) conductors() float64 {
	if o.DC() {
		return 1
	}
	return float64(o.Phases)
}

const dcVoltageV = 400.0

// outlets returns the outlets of cfg: Config.Outlets, else those of
// Config.Kind.
func outlets(cfg Config) ([]Outlet, error) {
	if len(cfg.Outlets) > 0 {
		for i, o := range cfg.Outlets {
			switch {
			case !ocpp201.ConnectorEnum(o.Type).IsValid() && !slices.Contains([]string{"cGBT", "cChaoJi", "OppCharge"}, o.Type):
				return nil, fmt.Errorf("outlet %d: type %q is not an OCPP 2.0.1 connector type (sType2, cCCS2, cG105, ...)", i+1, o.Type)
			case o.MaxPowerW <= 0:
				return nil, fmt.Errorf("outlet %d: maximum power %v W is not positive", i+1, o.MaxPowerW)
			case o.Phases != 0 && o.Phases != 1 && o.Phases != 3:
				return nil, fmt.Errorf("outlet %d: %d phases: want 0 (DC), 1 or 3", i+1, o.Phases)
			}
		}
		return slices.Clone(cfg.Outlets), nil
	}
	switch cfg.Kind {
	case KindDC:
		return []Outlet{{Type: "cCCS2", MaxPowerW: 150000, Phases: 0}, {Type: "cG105", MaxPowerW: 50000, Phases: 0}}, nil
	case "", KindAC:
		out := make([]Outlet, cfg.Connectors)
		for i := range out {
			out[i] = Outlet{Type: "sType2", MaxPowerW: cfg.MaxPowerW, Phases: defaultPhases}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown kind %q (want %q or %q)", cfg.Kind, KindAC, KindDC)
}

// Outlets returns the charger's outlets, connector 1 first.
func (c *Charger) Outlets() []Outlet {
	out := make([]Outlet, 0, len(c.connectors)-1)
	for _, cn := range c.connectors[1:] {
		out = append(out, cn.outlet)
	}
	return out
}

// describeOutlets says what the outlets are: "1: cCCS2 150 kW DC, 2: ...".
func describeOutlets(outs []Outlet) string {
	var b strings.Builder
	for i, o := range outs {
		if i > 0 {
			b.WriteString(", ")
		}
		supply := "DC"
		if !o.DC() {
			supply = fmt.Sprintf("AC %d-phase", o.Phases)
		}
		fmt.Fprintf(&b, "%d: %s %g kW %s", i+1, o.Type, o.MaxPowerW/1000, supply)
	}
	return b.String()
}
