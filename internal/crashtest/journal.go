package crashtest

import (
	"fmt"
	"strings"
	"time"
)

// kind is what an acknowledged transaction message did.
type kind int

const (
	kindStart kind = iota // 1.6 StartTransaction, 2.0.1 TransactionEvent Started
	kindMeter             // 1.6 MeterValues, 2.0.1 TransactionEvent Updated
	kindStop              // 1.6 StopTransaction, 2.0.1 TransactionEvent Ended
)

func (k kind) String() string {
	return [...]string{"start", "meter", "stop"}[k]
}

// sample is one sampled value a charger sent, in the base unit (Wh, W).
type sample struct {
	At        time.Time // the meterValue element's timestamp, whole milliseconds
	Measurand string
	Value     float64
}

func (s sample) String() string {
	return fmt.Sprintf("%s %s=%v", s.At.Format(time.RFC3339Nano), s.Measurand, s.Value)
}

// entry is one CALL that got a CALLRESULT, with what Joule must therefore
// have stored.
type entry struct {
	Action  string // StartTransaction, MeterValues, StopTransaction, TransactionEvent
	Kind    kind
	TxID    string    // the transaction id as the API shows it
	At      time.Time // the message's timestamp (start and stop)
	MeterWh float64   // start: meter start; stop: meter stop
	Samples []sample  // every sampled value of the message
	Gen     int       // the joule generation whose CALLRESULT it got
	Tries   int       // how many times it was sent (1: answered at once)
}

func (e entry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) tx %s", e.Action, e.Kind, e.TxID)
	switch e.Kind {
	case kindStart:
		fmt.Fprintf(&b, " at %s meterStart %v", e.At.Format(time.RFC3339Nano), e.MeterWh)
	case kindStop:
		fmt.Fprintf(&b, " at %s meterStop %v", e.At.Format(time.RFC3339Nano), e.MeterWh)
	}
	fmt.Fprintf(&b, ", %d samples, acknowledged by generation %d after %d tries", len(e.Samples), e.Gen, e.Tries)
	return b.String()
}
