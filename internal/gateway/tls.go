package gateway

import (
	"crypto/tls"
	"crypto/x509"
)

// cipherSuites are the TLS 1.2 suites Joule offers to chargers (TLS 1.3
// suites are not configurable in Go, and all are fine).
//
// OCPP requires the CSMS to support four suites (1.6 security whitepaper
// and 2.0.1 A00.FR.317/421): the two ECDHE-ECDSA AES-GCM ones and the two
// TLS_RSA_WITH_AES_*_GCM ones. Go dropped the RSA key-exchange suites
// (TLS_RSA_*, no forward secrecy) from its defaults in Go 1.22
// (golang/go#63413); they come back only through an explicit list like
// this one (or GODEBUG=tlsrsakex=1). Embedded chargers without ECDHE still
// use them, so we list them, next to the ECDHE-RSA and ChaCha20 suites
// that modern clients prefer. Go picks the order itself (ECDHE first).
//
// No CBC suite is listed: they are what A00.FR.319/423 calls unsuitable,
// and without them TLS 1.0 and 1.1 cannot be negotiated either.
var cipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, // OCPP required
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, // OCPP required
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,         // OCPP required; not a Go default since 1.22
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,         // OCPP required; not a Go default since 1.22
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ServerTLSConfig returns the TLS configuration for the chargers' port
// (security profiles 2 and 3).
//
// certs may hold several certificates, e.g. an RSA and an ECDSA one side by
// side: OCPP's required suites need both (TLS_RSA_* an RSA key,
// ECDHE_ECDSA_* an ECDSA one), and Go presents the one the client can use.
//
// minVersion defaults to TLS 1.2 (A00.FR.312/416); a lower value is raised
// to 1.2, since the suites above exist only from 1.2 on (OCPP 2.0.1 forbids
// 1.0/1.1, and 1.6 allows them only for legacy chargers).
//
// When clientCAs is not nil, a client certificate is requested and, when
// given, verified against clientCAs during the handshake: an unverifiable
// one fails the handshake. One port thus serves profile 2 (Basic auth, no
// certificate) and profile 3 (client certificate); which one a charger
// must use is enforced after the handshake by the ChargerAdmitter, which
// sees the verified certificate in ConnectAttempt.ClientCert.
//
// NextProtos is http/1.1 only: the OCPP WebSocket upgrade is an HTTP/1.1
// request, and a client that also offers h2 must not be moved to HTTP/2.
func ServerTLSConfig(certs []tls.Certificate, clientCAs *x509.CertPool, minVersion uint16) *tls.Config {
	if minVersion < tls.VersionTLS12 {
		minVersion = tls.VersionTLS12
	}
	c := &tls.Config{
		Certificates: certs,
		MinVersion:   minVersion,
		CipherSuites: append([]uint16(nil), cipherSuites...),
		NextProtos:   []string{"http/1.1"},
	}
	if clientCAs != nil {
		c.ClientCAs = clientCAs
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return c
}
