package soapcs

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// ErrAddressRefused: Joule does not call a charger at this IP address.
var ErrAddressRefused = errors.New("outside the networks Joule calls SOAP chargers in")

// Networks says which IP addresses Joule may call SOAP chargers at. Joule
// calls the address a charger names in its messages (wsa:From), so an
// admitted charger could name an address inside Joule's own network. With
// no networks listed, every address is allowed but those no charger's
// service has: link-local (where clouds serve instance metadata and
// credentials, 169.254.169.254), unspecified and multicast. With networks
// listed, only addresses in them are called.
//
// The check is made on the address each connection dials, after name
// resolution (Control), so a host name that resolves elsewhere later is
// checked again.
type Networks struct {
	allow []netip.Prefix
}

// ParseNetworks reads CIDR prefixes (10.0.0.0/8, fd00::/8) or single
// addresses; none allows every address but the ones Networks refuses.
func ParseNetworks(list []string) (Networks, error) {
	var n Networks
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return Networks{}, fmt.Errorf("%q is not a network (10.0.0.0/8) or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		n.allow = append(n.allow, p.Masked())
	}
	return n, nil
}

// Allowed reports whether Joule may call a charger at a.
func (n Networks) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if len(n.allow) > 0 {
		for _, p := range n.allow {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return a.IsValid() && !a.IsUnspecified() && !a.IsLinkLocalUnicast() && !a.IsMulticast()
}

// String lists the allowed networks ("" for the default).
func (n Networks) String() string {
	s := make([]string, len(n.allow))
	for i, p := range n.allow {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Control is a net.Dialer's Control: it refuses, before connecting, an
// address Allowed refuses.
func (n Networks) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("soap: dial %s: %w", address, err)
	}
	if !n.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrAddressRefused, ap.Addr())
	}
	return nil
}
