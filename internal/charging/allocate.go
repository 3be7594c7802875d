package charging

import "time"

// Demand is one active session as the site allocator sees it. Currents
// are amperes per phase.
type Demand struct {
	SessionID string
	Arrival   time.Time // when it started: first come, first served
	Priority  bool      // the operator's flag: admitted and served first
	// PhaseMask is the phases the session draws on: 1 = L1, 2 = L2, 4 = L3
	// (7 for a 3-phase vehicle; a DC charger counts as 3-phase).
	PhaseMask uint8
	MinA      float64 // the least it can charge with (6 A for AC)
	MaxA      float64 // the most the vehicle, cable and connector take
	// DrawA is the highest per-phase current it drew in its latest
	// reading; negative when unknown (no reading since its last change).
	DrawA float64
	// WantA caps it now (a departure plan waiting for cheaper hours: 0);
	// negative: no cap.
	WantA float64
	// NeedA is the current per phase it needs from now to meet its
	// departure (0: no departure): served before the fair share.
	NeedA float64
	// PrevA is its allocation now; negative when it has none yet.
	// PrevWaiting says it is waiting (PrevA is then 0).
	PrevA       float64
	PrevWaiting bool
}

// AllocOptions tune Allocate; zero values take the defaults.
type AllocOptions struct {
	// Hysteresis: a raise smaller than this is not made, nor a cut smaller
	// than it while the old limit still fits (default 1 A).
	Hysteresis float64
	// DrawMargin is the headroom above its measured draw a session that
	// draws less than its limit keeps (default 2 A).
	DrawMargin float64
}

// Grant is Allocate's answer for one Demand (same index).
type Grant struct {
	LimitA        float64 // per phase, rounded down to 0.1 A; 0 while waiting
	Waiting       bool
	QueuePosition int    // 1-based place in line while waiting
	Reason        string // ReasonSiteLimit, ReasonVehicle, ReasonDeparture, ReasonNoCapacity or "" (at MaxA)
}
