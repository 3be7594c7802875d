package charging

import "math"

// ConnectorUpdate sets operator-known facts about a connector that OCPP does
// not report (1.6 has no connector type or rating). A nil field is left as it is.
type ConnectorUpdate struct {
	Type      *string  `json:"type"`      // CCS2, CHAdeMO, Type2, ... or free text; "" clears it
	MaxPowerW *float64 `json:"maxPowerW"` // 0 clears it
}

// Validate returns an EINVALID *Error naming the first field that breaks a rule.
func (u ConnectorUpdate) Validate() error {
	if u.Type != nil && len(*u.Type) > 64 {
		return Errorf(EINVALID, "type must be at most 64 characters")
	}
	if u.MaxPowerW != nil {
		p := *u.MaxPowerW
		if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			return Errorf(EINVALID, "maxPowerW must be a non-negative number of watts")
		}
	}
	return nil
}

// Apply returns c with the update's fields set.
func (u ConnectorUpdate) Apply(c Connector) Connector {
	if u.Type != nil {
		c.Type = *u.Type
	}
	if u.MaxPowerW != nil {
		c.MaxPowerW = *u.MaxPowerW
	}
	return c
}
