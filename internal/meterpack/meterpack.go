// Package meterpack is the stored form of a meterValue element's samples,
// shared by the stores: the SQLite store's meter log and PostgreSQL's
// meter_elements table keep the same bytes.
package meterpack

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/joule-ev/joule/internal/charging"
)

// A store keeps one record per meterValue element: the samples a charger
// took at one timestamp, packed into bytes. Packed, a sample of
// the common measurands costs 8 bytes of value and 6 one-byte codes
// instead of a 14-column row in three B-trees.
//
// Format (version 1): a version byte, the sample count (uvarint), then per
// sample the codes of measurand, phase, location, context, format and unit
// (each a byte: 0 is "", 1..len(packDict) an entry of packDict, 255 a
// literal: uvarint length and bytes), the value (float64 bits, 8 bytes
// little endian) and raw (uvarint length and bytes).
//
// packDict is part of the stored format: entries are only ever appended,
// never reordered or removed.
var packDict = [...]string{
	// measurands (OCPP 1.6 and 2.0.1)
	"Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
	"Energy.Active.Import.Register", "Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
	"Energy.Active.Export.Interval", "Energy.Active.Import.Interval", "Energy.Active.Net",
	"Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Energy.Reactive.Net",
	"Energy.Apparent.Net", "Energy.Apparent.Import", "Energy.Apparent.Export", "Frequency",
	"Power.Active.Export", "Power.Active.Import", "Power.Factor", "Power.Offered",
	"Power.Reactive.Export", "Power.Reactive.Import", "RPM", "SoC", "Temperature", "Voltage",
	// phases
	"L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1",
	// locations
	"Body", "Cable", "EV", "Inlet", "Outlet",
	// contexts
	"Interruption.Begin", "Interruption.End", "Other", "Sample.Clock", "Sample.Periodic",
	"Transaction.Begin", "Transaction.End", "Trigger",
	// formats
	"Raw", "SignedData",
	// units (base units after conversion, and those kept as sent)
	"Wh", "varh", "VAh", "W", "var", "VA", "A", "V", "K", "Celsius", "Fahrenheit", "Percent", "%", "Hz",
}

const packLiteral = 255

var packCode = func() map[string]byte {
	if len(packDict) >= packLiteral {
		panic("meterpack: packDict is full")
	}
	m := make(map[string]byte, len(packDict))
	for i, s := range packDict {
		m[s] = byte(i + 1)
	}
	return m
}()

const packVersion = 1

// Append appends the packed form of samples to dst.
func Append(dst []byte, samples []charging.MeterSample) []byte {
	dst = append(dst, packVersion)
	dst = binary.AppendUvarint(dst, uint64(len(samples)))
	for i := range samples {
		m := &samples[i]
		for _, s := range [...]string{m.Measurand, m.Phase, m.Location, m.Context, m.Format, m.Unit} {
			dst = packString(dst, s)
		}
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(m.Value))
		dst = binary.AppendUvarint(dst, uint64(len(m.Raw)))
		dst = append(dst, m.Raw...)
	}
	return dst
}

func packString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, 0)
	}
	if c, ok := packCode[s]; ok {
		return append(dst, c)
	}
	dst = append(dst, packLiteral)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// ErrCorrupt is Unpack's error for bytes that are not a packed element.
var ErrCorrupt = errors.New("corrupt packed meter samples")

// Unpack appends the samples packed in b to dst, each a copy of
// tmpl (the element's session, charger, connector, transaction and
// timestamp) with its own fields; id0 is the first sample's ID, the next
// ones count up.
func Unpack(dst []charging.MeterSample, b []byte, tmpl charging.MeterSample, id0 int64) ([]charging.MeterSample, error) {
	if len(b) == 0 || b[0] != packVersion {
		return dst, ErrCorrupt
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return dst, ErrCorrupt
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		m := tmpl
		m.ID = id0 + int64(i)
		var fields [6]string
		for j := range fields {
			var ok bool
			if fields[j], b, ok = unpackString(b); !ok {
				return dst, ErrCorrupt
			}
		}
		m.Measurand, m.Phase, m.Location, m.Context, m.Format, m.Unit = fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
		if len(b) < 8 {
			return dst, ErrCorrupt
		}
		m.Value = math.Float64frombits(binary.LittleEndian.Uint64(b))
		b = b[8:]
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return dst, ErrCorrupt
		}
		m.Raw = string(b[k : k+int(l)])
		b = b[k+int(l):]
		dst = append(dst, m)
	}
	if len(b) != 0 {
		return dst, ErrCorrupt
	}
	return dst, nil
}

func unpackString(b []byte) (string, []byte, bool) {
	if len(b) == 0 {
		return "", b, false
	}
	c := b[0]
	switch {
	case c == 0:
		return "", b[1:], true
	case c == packLiteral:
		l, k := binary.Uvarint(b[1:])
		if k <= 0 || l > uint64(len(b)-1-k) {
			return "", b, false
		}
		start := 1 + k
		return string(b[start : start+int(l)]), b[start+int(l):], true
	case int(c) <= len(packDict):
		return packDict[c-1], b[1:], true
	}
	return "", b, false
}
