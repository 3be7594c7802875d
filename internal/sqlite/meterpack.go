package sqlite

import (
	"encoding/binary"
	"hash/fnv"
)

// The meter log keeps one record per meterValue element, its samples packed
// by meterpack.

// elementDigest is a meterValue element's identity for deduplication: a
// charger that retries a message sends the same element again (same
// charger, connector, transaction, timestamp and samples), while a new
// reading taken at the same timestamp differs in at least one sample.
func elementDigest(chargerID string, connectorID int, transactionID string, packed []byte) int64 {
	h := fnv.New64a()
	var n [8]byte
	_, _ = h.Write([]byte(chargerID))
	_, _ = h.Write([]byte{0})
	binary.LittleEndian.PutUint64(n[:], uint64(connectorID))
	_, _ = h.Write(n[:])
	_, _ = h.Write([]byte(transactionID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(packed)
	return int64(h.Sum64())
}
