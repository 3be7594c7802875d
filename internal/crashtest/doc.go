// Package crashtest is Joule's crash harness: it proves, from the outside,
// that every transaction message Joule acknowledged survives a kill -9.
//
// Run builds the joule binary, starts `joule serve` on a fresh data
// directory and a loopback port, registers chargers at security profile 1
// through the REST API (as an operator does) and lets them charge: OCPP
// 1.6J chargers send StartTransaction, MeterValues and StopTransaction,
// OCPP 2.0.1 stations send TransactionEvent Started, Updated and Ended,
// with an energy register that only goes up. After a random 0.2 to 2 s
// of this, the harness sends the server SIGKILL and starts it again on
// the same data directory; the chargers reconnect
// and send again what was not answered, with the same payload, as a real
// charger does (OCPP 1.6 "Error responses to transaction-related
// messages"; 2.0.1 E12).
//
// Each charger keeps a journal of the CALLs that got a CALLRESULT, with
// what must therefore be durable: the transaction id, the meter start and
// its timestamp, every sampled value, the meter stop. After the last
// cycle the server is killed once more and restarted, and the journals
// are compared with what the REST API returns (sessions and their meter
// values). Anything acknowledged and not found is reported as missing;
// the invariant is that nothing ever is. Right after each restart the
// sessions running at the kill are checked too: there, with at least the
// energy of their last acknowledged register (live values are rebuilt
// from the meter log, ADR 7).
//
// The chargers here are not internal/sim's: they are small and scripted,
// so that "acknowledged" means exactly "ocppj.Conn.Call returned a
// CALLRESULT" for one known payload. Like sim, the package talks to Joule
// only over the wire (ocppj, the generated ocpp16/ocpp201 types, HTTP) and
// imports no server package.
package crashtest
