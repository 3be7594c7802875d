package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
)

// RunFleet runs n chargers configured like base, with ids idPrefix+%04d
// (SIM-0001, SIM-0002, ...), until ctx is done. It returns once every
// charger has stopped. With base.OCPPVersion OCPPMixed the chargers cycle
// through 1.6J, 2.0.1, 1.5 SOAP and 1.6 SOAP (SIM-0001 1.6J, SIM-0002
// 2.0.1, SIM-0003 1.5 SOAP, SIM-0004 1.6 SOAP, SIM-0005 1.6J, ...); with
// base.Kind KindMixed, odd numbers are AC, even numbers DC. A fixed port
// in base.SOAPListen or base.SOAPAdvertise is the first charger's: charger
// i (from 0) uses that port + i, so that a range of ports can be opened or
// forwarded for the fleet's services.
func RunFleet(ctx context.Context, base Config, n int, idPrefix string) error {
	if n <= 0 {
		return fmt.Errorf("sim: fleet of %d chargers", n)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		cfg := base
		cfg.ID = fmt.Sprintf("%s%04d", idPrefix, i+1)
		if base.OCPPVersion == OCPPMixed {
			cfg.OCPPVersion = mixedVersions[i%len(mixedVersions)]
		}
		if base.Kind == KindMixed {
			cfg.Kind = []string{KindAC, KindDC}[i%2]
		}
		cfg.SOAPListen = offsetPort(base.SOAPListen, i)
		cfg.SOAPAdvertise = offsetURLPort(base.SOAPAdvertise, i)
		ch := New(cfg)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ch.Run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// offsetPort adds i to the port of a host:port; a port 0 (any), an
// absent one or an address that does not parse is left alone (Run reports
// the latter).
func offsetPort(hostport string, i int) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || i == 0 {
		return hostport
	}
	p, err := strconv.Atoi(port)
	if err != nil || p == 0 {
		return hostport
	}
	return net.JoinHostPort(host, strconv.Itoa(p+i))
}

// offsetURLPort adds i to the port of a URL that names one.
func offsetURLPort(raw string, i int) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || i == 0 || u.Port() == "" {
		return raw
	}
	u.Host = offsetPort(u.Host, i)
	return u.String()
}
