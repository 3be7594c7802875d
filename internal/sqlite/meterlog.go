package sqlite

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/joule-ev/joule/internal/charging"
	"github.com/joule-ev/joule/internal/meterpack"
)

// The meter log lives in a Pebble database (a pure-Go LSM tree) beside the
// SQLite file; everything else is in SQLite. Measured on the development
// machine, one SQLite row per message through modernc and database/sql
// costs ~60 µs of CPU whatever its shape, more than the whole budget of a
// MeterValues message at the target rate, while a Pebble batch appends a
// record in a few µs (docs/performance.md, docs/adr/0007).
//
// Both stores share the group commit (commit.go): the units of one batch
// write their elements into one indexed Pebble batch; before the SQLite
// COMMIT the committer commits that batch with a sync, then commits
// SQLite. So a caller is answered only when both are durable. A crash (or
// a failed SQLite COMMIT) between the two leaves elements whose unit did
// not commit in SQLite: the caller got an error, the charger sends the
// message again, and the element, keyed by its identity, is found and not
// written twice, while the SQLite part is applied. Nothing acknowledged is
// lost, and nothing is stored twice.
//
// Keys: 'e' session_id 0x00 timestamp(8, big endian, sign flipped)
// digest(8) -> seq (uvarint), charger id, connector, transaction id
// (length-prefixed), packed samples (meterpack.go). A session's elements
// are contiguous and in timestamp order; the key is the element's
// identity, so a retried element is found by a point lookup. seq orders
// elements of one timestamp and makes sample IDs; the last one handed out
// is kept under 'm' "seq".

var seqKey = []byte("mseq")

// meterLog is the Pebble side of the store.
type meterLog struct {
	db  *pebble.DB
	seq int64 // the last seq handed out: committer goroutine only (after Open)

	// latest is, per session, a timestamp (µs) no stored element of the
	// session is later than: an element after it cannot be a retry, and
	// needs no lookup. Committer goroutine only. It may be too high (an
	// element rolled back), never too low; a session not in it is looked
	// up once.
	latest map[string]int64

	// Readers outside units of work read a snapshot the committer
	// publishes after each SQLite COMMIT: elements become visible with the
	// rest of their unit, never before it (Pebble commits first).
	viewMu sync.RWMutex
	view   *meterView
}

// meterView is a published snapshot, closed when the last reader is done
// with it after a newer one replaced it.
type meterView struct {
	snap *pebble.Snapshot
	refs atomic.Int64 // readers, plus one while it is the published view
}

func (v *meterView) release() {
	if v.refs.Add(-1) == 0 {
		_ = v.snap.Close()
	}
}

// acquire returns the published view; the caller releases it.
func (m *meterLog) acquire() *meterView {
	m.viewMu.RLock()
	v := m.view
	v.refs.Add(1)
	m.viewMu.RUnlock()
	return v
}

// publish makes what is committed now the readers' view.
func (m *meterLog) publish() {
	v := &meterView{snap: m.db.NewSnapshot()}
	v.refs.Store(1)
	m.viewMu.Lock()
	old := m.view
	m.view = v
	m.viewMu.Unlock()
	if old != nil {
		old.release()
	}
}

// meterLogDir is where the meter log of the SQLite file at path lives:
// "joule.db" -> "joule.meterlog".
func meterLogDir(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, strings.TrimSuffix(base, filepath.Ext(base))+".meterlog")
}

// openMeterLog opens (creating) the meter log in dir; dir "" keeps it in
// memory (for ":memory:" stores).
func openMeterLog(dir string) (*meterLog, error) {
	opts := &pebble.Options{Logger: quietLogger{}, FormatMajorVersion: pebble.FormatNewest}
	if dir == "" {
		opts.FS = vfs.NewMem()
	}
	db, err := pebble.Open(dir, opts)
	// Pebble's LOCK file is held: one data directory, one process (Pebble
	// says EWOULDBLOCK for another process and "lock held by current
	// process" for a second Open in this one).
	if errors.Is(err, syscall.EWOULDBLOCK) || err != nil && strings.Contains(err.Error(), "lock held by current process") {
		return nil, fmt.Errorf("meter log %s is locked: another joule is using this data directory (stop it, or give this one its own --data): %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("meter log: %w", err)
	}
	m := &meterLog{db: db, latest: map[string]int64{}}
	m.publish()
	v, closer, err := db.Get(seqKey)
	switch {
	case errors.Is(err, pebble.ErrNotFound):
	case err != nil:
		m.close()
		return nil, fmt.Errorf("meter log: read seq: %w", err)
	default:
		m.seq = int64(binary.BigEndian.Uint64(v))
		closer.Close()
	}
	return m, nil
}

func (m *meterLog) close() error {
	m.viewMu.Lock()
	if m.view != nil {
		m.view.release()
		m.view = nil
	}
	m.viewMu.Unlock()
	return m.db.Close()
}

// quietLogger keeps Pebble's routine messages (flushes, compactions) out of
// Joule's log; errors still reach it through the operations that fail.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("meter log: "+format, args...))
}

func sessionPrefix(sessionID string) []byte {
	k := make([]byte, 0, len(sessionID)+2)
	k = append(k, 'e')
	k = append(k, sessionID...)
	return append(k, 0)
}

// sessionEnd is the first key after every key of the session.
func sessionEnd(sessionID string) []byte {
	k := sessionPrefix(sessionID)
	k[len(k)-1] = 1
	return k
}

func appendTS(k []byte, us int64) []byte {
	return binary.BigEndian.AppendUint64(k, uint64(us)^(1<<63))
}

func elementKey(sessionID string, us, digest int64) []byte {
	k := appendTS(sessionPrefix(sessionID), us)
	return binary.BigEndian.AppendUint64(k, uint64(digest))
}

// keyTS returns the timestamp (µs) of an element key of a session whose
// prefix has length p.
func keyTS(k []byte, p int) int64 {
	return int64(binary.BigEndian.Uint64(k[p:p+8]) ^ (1 << 63))
}

func encodeElement(seq int64, e *element) []byte {
	m := e.first
	v := make([]byte, 0, 16+len(m.ChargerID)+len(m.TransactionID)+len(e.packed))
	v = binary.AppendUvarint(v, uint64(seq))
	v = binary.AppendUvarint(v, uint64(len(m.ChargerID)))
	v = append(v, m.ChargerID...)
	v = binary.AppendVarint(v, int64(m.ConnectorID))
	v = binary.AppendUvarint(v, uint64(len(m.TransactionID)))
	v = append(v, m.TransactionID...)
	return append(v, e.packed...)
}

// decodedElement is one stored element, its samples not yet unpacked.
type decodedElement struct {
	seq    int64
	ts     int64
	tmpl   charging.MeterSample
	packed []byte
}

func decodeElement(sessionID string, ts int64, v []byte) (decodedElement, error) {
	d := decodedElement{ts: ts}
	d.tmpl.SessionID, d.tmpl.Timestamp = sessionID, fromMicro(ts)
	seq, k := binary.Uvarint(v)
	if k <= 0 {
		return d, meterpack.ErrCorrupt
	}
	d.seq, v = int64(seq), v[k:]
	str := func() (string, bool) {
		l, k := binary.Uvarint(v)
		if k <= 0 || l > uint64(len(v)-k) {
			return "", false
		}
		s := string(v[k : k+int(l)])
		v = v[k+int(l):]
		return s, true
	}
	var ok bool
	if d.tmpl.ChargerID, ok = str(); !ok {
		return d, meterpack.ErrCorrupt
	}
	conn, k := binary.Varint(v)
	if k <= 0 {
		return d, meterpack.ErrCorrupt
	}
	d.tmpl.ConnectorID, v = int(conn), v[k:]
	if d.tmpl.TransactionID, ok = str(); !ok {
		return d, meterpack.ErrCorrupt
	}
	d.packed = v
	return d, nil
}

// meterBatch is the Pebble side of one group commit, on the committer
// goroutine: an indexed batch (reads inside units see it) and the keys it
// added, so that a unit or a savepoint that rolls back can take its own
// back (marks mirror SQLite's savepoints).
type meterBatch struct {
	ml    *meterLog
	b     *pebble.Batch
	ops   []batchOp // what the batch did, in order, to undo
	seq0  int64     // ml.seq when the batch began
	dirty bool      // anything to commit
}

// batchOp is one change to the batch: a key set (val nil) or deleted (val
// its value before).
type batchOp struct {
	key, val []byte
}

// batchMark is a point a unit or savepoint can roll the batch back to.
type batchMark int

func (m *meterLog) newBatch() *meterBatch {
	return &meterBatch{ml: m, b: m.db.NewIndexedBatch(), seq0: m.seq}
}

func (mb *meterBatch) mark() batchMark {
	if mb == nil {
		return 0
	}
	return batchMark(len(mb.ops))
}

// undo takes back, newest first, every change since mark.
func (mb *meterBatch) undo(m batchMark) error {
	if mb == nil {
		return nil
	}
	for i := len(mb.ops) - 1; i >= int(m); i-- {
		op := mb.ops[i]
		var err error
		if op.val == nil {
			err = mb.b.Delete(op.key, nil)
		} else {
			err = mb.b.Set(op.key, op.val, nil)
		}
		if err != nil {
			return err
		}
	}
	mb.ops = mb.ops[:m]
	return nil
}

// add stores an element unless an element with its identity is stored
// (or added earlier in this batch).
func (mb *meterBatch) add(e *element) error {
	m := e.first
	ts := toMicro(m.Timestamp)
	key := elementKey(m.SessionID, ts, e.digest)
	latest, known := mb.ml.latest[m.SessionID]
	if !known {
		var err error
		if latest, err = mb.lastTS(m.SessionID); err != nil {
			return err
		}
		if len(mb.ml.latest) >= maxLatest {
			clear(mb.ml.latest) // looked up again when next seen
		}
	}
	if ts <= latest {
		_, closer, err := mb.b.Get(key)
		switch {
		case err == nil:
			return closer.Close() // a retry: already stored
		case !errors.Is(err, pebble.ErrNotFound):
			return err
		}
	}
	mb.ml.latest[m.SessionID] = max(latest, ts)
	mb.ml.seq++
	if err := mb.b.Set(key, encodeElement(mb.ml.seq, e), nil); err != nil {
		return err
	}
	mb.ops = append(mb.ops, batchOp{key: key})
	mb.dirty = true
	return nil
}

// maxLatest bounds meterLog.latest (about 100 bytes an entry).
const maxLatest = 200_000

// lastTS returns the timestamp of the session's last element (stored or in
// the batch), or the smallest time when it has none.
func (mb *meterBatch) lastTS(sessionID string) (int64, error) {
	lo := sessionPrefix(sessionID)
	it, err := mb.b.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: sessionEnd(sessionID)})
	if err != nil {
		return 0, err
	}
	ts := int64(math.MinInt64)
	if it.Last() {
		ts = keyTS(it.Key(), len(lo))
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	return ts, nil
}

// deleteRange deletes the elements in [start, end), one by one so that
// the batch can undo it and reads inside it see it, and returns how many
// there were.
func (mb *meterBatch) deleteRange(start, end []byte) (int, error) {
	it, err := mb.b.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return 0, err
	}
	var del []batchOp
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return 0, err
		}
		del = append(del, batchOp{key: bytes.Clone(it.Key()), val: bytes.Clone(v)})
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	for _, op := range del {
		if err := mb.b.Delete(op.key, nil); err != nil {
			return 0, err
		}
		mb.ops = append(mb.ops, op)
	}
	if len(del) > 0 {
		mb.dirty = true
	}
	return len(del), nil
}

// commit makes the batch durable (one fsync) with the last seq.
func (mb *meterBatch) commit() error {
	if !mb.dirty {
		return nil
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(mb.ml.seq))
	if err := mb.b.Set(seqKey, v[:], nil); err != nil {
		return err
	}
	if err := mb.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("meter log: commit: %w", err)
	}
	return nil
}

// discard drops the batch uncommitted; seqs it handed out are free again.
func (mb *meterBatch) discard() {
	mb.ml.seq = mb.seq0
	mb.close()
}

func (mb *meterBatch) close() { _ = mb.b.Close() }

// reader is what meter reads iterate: the published view, or inside a
// unit of work the batch that holds the unit's own elements.
type reader interface {
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// meterReader returns the reader and the function that ends its use.
func (s *Store) meterReader() (reader, func()) {
	if s.tx != nil {
		return s.gc.meterBatch().b, func() {}
	}
	v := s.ml.acquire()
	return v.snap, v.release
}

// scanElements reads a session's elements from start (a key inside its
// range, or nil for the first) forwards, calling fn with each group of
// elements of one timestamp in seq order, until fn returns false.
func scanElements(r reader, sessionID string, start []byte, fn func([]decodedElement) (bool, error)) error {
	lo, hi := sessionPrefix(sessionID), sessionEnd(sessionID)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	ok := it.First()
	if start != nil {
		ok = it.SeekGE(start)
	}
	var group []decodedElement
	flush := func() (bool, error) {
		if len(group) == 0 {
			return true, nil
		}
		slices.SortFunc(group, func(a, b decodedElement) int { return int(a.seq - b.seq) })
		more, err := fn(group)
		group = group[:0]
		return more, err
	}
	for ; ok; ok = it.Next() {
		k := it.Key()
		ts := keyTS(k, len(lo))
		if len(group) > 0 && group[0].ts != ts {
			if more, err := flush(); err != nil || !more {
				return err
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		d, err := decodeElement(sessionID, ts, bytes.Clone(v))
		if err != nil {
			return fmt.Errorf("meter log element %x: %w", k, err)
		}
		group = append(group, d)
	}
	if err := it.Error(); err != nil {
		return err
	}
	_, err = flush()
	return err
}

// lastElements returns a session's last n elements in (timestamp, seq)
// order.
func lastElements(r reader, sessionID string, n int) ([]decodedElement, error) {
	lo, hi := sessionPrefix(sessionID), sessionEnd(sessionID)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []decodedElement
	for ok := it.Last(); ok; ok = it.Prev() {
		ts := keyTS(it.Key(), len(lo))
		// Complete the oldest timestamp's group: its order is by seq.
		if len(out) >= n && out[len(out)-1].ts != ts {
			break
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		d, err := decodeElement(sessionID, ts, bytes.Clone(v))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b decodedElement) int {
		if a.ts != b.ts {
			if a.ts < b.ts {
				return -1
			}
			return 1
		}
		return int(a.seq - b.seq)
	})
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}
