// Package csms holds Joule's use cases: starting and stopping sessions for
// apps, and applying what chargers report (boots, status, transactions, meter
// values) to the domain. It is the one place that correlates a remote start
// with the transaction that follows.
//
// It imports only package charging: no protocol, storage, HTTP or NATS
// package. Chargers are reached through charging.Commander, state through
// charging.Store, and apps are told through charging.EventBus.
package csms
