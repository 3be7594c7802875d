// Package pki is Joule's certificate authority for chargers: a built-in CA
// kept in the data directory (created on first use) or an operator's own CA
// files. It signs chargers' certificate signing requests (OCPP 1.6 security
// whitepaper A02/A03, 2.0.1 A02/A03: SignCertificate, then
// CertificateSigned) and issues the server and client certificates that
// `joule certs` writes for security profiles 2 and 3.
//
// The certificates follow the OCPP rules on key sizes and properties
// (whitepaper Table 11, 2.0.1 A00.FR.5xx): at least 112-bit security (RSA
// 2048, EC P-256), SHA-256, X.509 PEM, a random serial number, the
// charger's O and CN kept as they were requested.
//
// It uses the standard library's crypto only, and imports charging for the
// error codes of the CertificateSigner contract.
package pki
