package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/joule-ev/joule/internal/charging"
)

// Local is this node's gateway (*gateway.Gateway implements it).
type Local interface {
	charging.Commander
	charging.StationCommander
	charging.StationMaintenance
	charging.SecurityCommander
	charging.TransactionStatusAsker
	Disconnect(chargerID, reason string) bool
}

// Options tune a Router; zero values take the defaults.
type Options struct {
	// NodeID names this node, unique in the cluster; required. It must be
	// a valid NATS subject token and KV key: letters, digits, '-' and '_'.
	NodeID string
	// Bucket is the ownership KV bucket; default "joule_chargers". The
	// heartbeats live in Bucket+"_nodes".
	Bucket string
	// SubjectPrefix is the prefix of the nodes' command subjects
	// ("<prefix>.<node>.cmd"); default "joule.node".
	SubjectPrefix string
	// RequestTimeout bounds the wait for a remote node's answer when the
	// caller's context has no sooner deadline; default 35s (the gateway's
	// default call timeout of 30s plus a margin).
	RequestTimeout time.Duration
	// ReplyMargin is how much sooner than the requester the owner gives
	// up, so that its answer (ETIMEOUT at worst) arrives before the
	// requester stops waiting; default 500ms.
	ReplyMargin time.Duration
	// MaxInFlight bounds the requests a node runs at once for other nodes;
	// default 1024. Beyond it requests wait in the subscription's queue.
	MaxInFlight int
	// HeartbeatInterval is how often the node says it is alive; default
	// 2s. NodeTTL is how long a node counts as alive after its last
	// heartbeat; default 5 heartbeat intervals.
	HeartbeatInterval time.Duration
	NodeTTL           time.Duration
	Logger            *slog.Logger
}

func (o *Options) defaults() error {
	if o.NodeID == "" {
		return errors.New("cluster: NodeID is required")
	}
	for _, r := range o.NodeID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("cluster: NodeID %q may only hold letters, digits, '-' and '_'", o.NodeID)
		}
	}
	if o.Bucket == "" {
		o.Bucket = "joule_chargers"
	}
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = "joule.node"
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 35 * time.Second
	}
	if o.ReplyMargin <= 0 {
		o.ReplyMargin = 500 * time.Millisecond
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 1024
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 2 * time.Second
	}
	if o.NodeTTL <= 0 {
		o.NodeTTL = 5 * o.HeartbeatInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Router is this node's part of the cluster: it claims and releases
// chargers, watches who owns the others, answers the other nodes' requests
// and routes commands. Build it with New; it is safe for concurrent use.
type Router struct {
	nc     *nats.Conn
	local  Local
	opts   Options
	log    *slog.Logger
	kv     jetstream.KeyValue // ownership
	nodes  jetstream.KeyValue // heartbeats
	sub    *nats.Subscription
	sem    chan struct{} // MaxInFlight slots of the request handlers
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // watchers, heartbeat, request handlers

	closeOnce sync.Once

	mu       sync.Mutex
	closed   bool                          // Close has begun: no new request handlers; guarded by mu
	owners   map[string]owner              // by charger id; deletions stay as tombstones; guarded by mu
	claiming map[string]int                // charger ids with a Claim in progress; guarded by mu
	alive    map[string]time.Time          // node id → last heartbeat seen (local clock); guarded by mu
	inflight map[string]context.CancelFunc // request id → its cancel, for other nodes' cancels; guarded by mu
}

// owner is the cached state of one charger's key.
type owner struct {
	node    string
	rev     uint64
	deleted bool
}

// claimValue is the value of an ownership key.
type claimValue struct {
	Node string    `json:"node"`
	At   time.Time `json:"at"`
}

// New joins the cluster: it creates the buckets if needed, loads the
// owners, starts the watchers and the heartbeat and subscribes to this
// node's command subject. Close undoes it.
func New(ctx context.Context, nc *nats.Conn, local Local, opts Options) (*Router, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	kv, err := bucket(ctx, js, jetstream.KeyValueConfig{Bucket: opts.Bucket, History: 1,
		Description: "Joule: the node that holds each charger's connection"})
	if err != nil {
		return nil, err
	}
	nodes, err := bucket(ctx, js, jetstream.KeyValueConfig{Bucket: opts.Bucket + "_nodes", History: 1,
		TTL: opts.NodeTTL, Description: "Joule: node heartbeats"})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	r := &Router{
		nc: nc, local: local, opts: opts, log: opts.Logger.With("node", opts.NodeID),
		kv: kv, nodes: nodes, sem: make(chan struct{}, opts.MaxInFlight),
		ctx: rctx, cancel: cancel,
		owners: map[string]owner{}, claiming: map[string]int{}, alive: map[string]time.Time{},
		inflight: map[string]context.CancelFunc{},
	}
	fail := func(err error) (*Router, error) {
		r.Close()
		return nil, err
	}
	if err := r.heartbeat(ctx); err != nil {
		return fail(err)
	}
	if err := r.watch(ctx, r.nodes, r.applyNode); err != nil {
		return fail(fmt.Errorf("cluster: watch %s: %w", opts.Bucket+"_nodes", err))
	}
	if err := r.watch(ctx, r.kv, r.applyOwner); err != nil {
		return fail(fmt.Errorf("cluster: watch %s: %w", opts.Bucket, err))
	}
	r.sub, err = nc.Subscribe(r.subject(opts.NodeID), r.handle)
	if err != nil {
		return fail(fmt.Errorf("cluster: subscribe: %w", err))
	}
	// The subscription must be known to the server before a claim points
	// other nodes here.
	if err := nc.FlushWithContext(ctx); err != nil {
		return fail(fmt.Errorf("cluster: flush: %w", err))
	}
	r.wg.Add(1)
	go r.heartbeats()
	return r, nil
}

// bucket opens a KV bucket, creating it when it does not exist.
func bucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateKeyValue(ctx, cfg)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

func (r *Router) subject(node string) string {
	return r.opts.SubjectPrefix + "." + node + ".cmd"
}

// NodeID returns this node's id.
func (r *Router) NodeID() string { return r.opts.NodeID }

// Close leaves the cluster without releasing the chargers (ReleaseAll does
// that): it stops answering requests, waits for the requests it is running,
// stops the watchers and the heartbeat and deletes its heartbeat. It does
// not close nc.
func (r *Router) Close() {
	r.closeOnce.Do(func() {
		if r.sub != nil {
			_ = r.sub.Unsubscribe()
		}
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		r.cancel()
		r.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := r.nodes.Delete(ctx, r.opts.NodeID); err != nil {
			r.log.Warn("cluster: delete heartbeat", "err", err)
		}
	})
}

// Ping reports whether the cluster is usable: NATS is connected and
// JetStream answers.
func (r *Router) Ping(ctx context.Context) error {
	if !r.nc.IsConnected() {
		return fmt.Errorf("cluster: nats: %s", r.nc.Status())
	}
	if r.ctx.Err() != nil {
		return errors.New("cluster: closed")
	}
	if _, err := r.kv.Status(ctx); err != nil {
		return fmt.Errorf("cluster: bucket %s: %w", r.opts.Bucket, err)
	}
	return nil
}

// heartbeat writes this node's heartbeat once.
func (r *Router) heartbeat(ctx context.Context) error {
	if _, err := r.nodes.Put(ctx, r.opts.NodeID, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("cluster: heartbeat: %w", err)
	}
	return nil
}

func (r *Router) heartbeats() {
	defer r.wg.Done()
	t := time.NewTicker(r.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(r.ctx, r.opts.HeartbeatInterval)
			if err := r.heartbeat(ctx); err != nil && r.ctx.Err() == nil {
				r.log.Warn("cluster: heartbeat failed", "err", err)
			}
			cancel()
		}
	}
}

// watch starts a watcher of the whole bucket, applies its current values
// before it returns and the updates afterwards, until Close. A watcher
// that ends early (it should not) is started again after a second; its
// replay of the current values catches up (the revisions keep old news
// out).
func (r *Router) watch(ctx context.Context, kv jetstream.KeyValue, apply func(jetstream.KeyValueEntry)) error {
	w, err := r.startWatch(ctx, kv, apply)
	if err != nil {
		return err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			r.follow(kv, w, apply)
			for {
				select {
				case <-r.ctx.Done():
					return
				case <-time.After(time.Second):
				}
				ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
				w, err = r.startWatch(ctx, kv, apply)
				cancel()
				if err == nil {
					break
				}
				if r.ctx.Err() == nil {
					r.log.Error("cluster: restart watcher", "bucket", kv.Bucket(), "err", err)
				}
			}
		}
	}()
	return nil
}

// startWatch starts a watcher and applies the current values, up to the
// watcher's nil marker.
func (r *Router) startWatch(ctx context.Context, kv jetstream.KeyValue, apply func(jetstream.KeyValueEntry)) (jetstream.KeyWatcher, error) {
	w, err := kv.WatchAll(r.ctx)
	if err != nil {
		return nil, err
	}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("watcher ended during its replay")
			}
			if e == nil {
				return w, nil
			}
			apply(e)
		case <-ctx.Done():
			_ = w.Stop()
			return nil, ctx.Err()
		}
	}
}

// follow applies a watcher's updates until it ends or Close.
func (r *Router) follow(kv jetstream.KeyValue, w jetstream.KeyWatcher, apply func(jetstream.KeyValueEntry)) {
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-r.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				if r.ctx.Err() == nil {
					r.log.Error("cluster: watcher ended; restarting it", "bucket", kv.Bucket())
				}
				return
			}
			if e != nil {
				apply(e)
			}
		}
	}
}

// applyNode records a heartbeat (or a node's goodbye).
func (r *Router) applyNode(e jetstream.KeyValueEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		delete(r.alive, e.Key())
		return
	}
	r.alive[e.Key()] = time.Now()
}

// live reports whether a node's heartbeat is recent. r.mu must be held.
func (r *Router) liveLocked(node string) bool {
	if node == r.opts.NodeID {
		return r.ctx.Err() == nil
	}
	at, ok := r.alive[node]
	return ok && time.Since(at) < r.opts.NodeTTL
}

// applyOwner applies a change of a charger's key and lets go of a charger
// that another node took over.
func (r *Router) applyOwner(e jetstream.KeyValueEntry) {
	id, err := idFor(e.Key())
	if err != nil {
		r.log.Warn("cluster: foreign key in bucket", "key", e.Key(), "err", err)
		return
	}
	o := owner{rev: e.Revision(), deleted: e.Operation() != jetstream.KeyValuePut}
	if !o.deleted {
		var v claimValue
		if err := json.Unmarshal(e.Value(), &v); err != nil || v.Node == "" {
			r.log.Warn("cluster: invalid claim", "charger", id, "value", string(e.Value()))
			return
		}
		o.node = v.Node
	}
	r.mu.Lock()
	newer := r.setLocked(id, o)
	takeover := newer && !o.deleted && o.node != r.opts.NodeID && r.claiming[id] == 0
	r.mu.Unlock()
	if takeover && r.local.Connected(id) {
		r.log.Info("cluster: charger connected to another node, letting go", "charger", id, "other", o.node)
		// Closing may wait on a dead peer's full send buffer: not on the
		// watcher's goroutine.
		r.mu.Lock()
		if !r.closed {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.local.Disconnect(id, "connected to node "+o.node)
			}()
		}
		r.mu.Unlock()
	}
}

// setLocked stores o unless the cache knows a newer revision; it reports
// whether it stored it. r.mu must be held.
func (r *Router) setLocked(id string, o owner) bool {
	if cur, ok := r.owners[id]; ok && cur.rev >= o.rev {
		return false
	}
	r.owners[id] = o
	return true
}

// Owner returns the node that holds the charger's connection, as this
// node's cache knows it; ok is false when no node claims it.
func (r *Router) Owner(chargerID string) (node string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.owners[chargerID]
	if !ok || o.deleted {
		return "", false
	}
	return o.node, true
}

// Connected reports whether the charger is connected to this node, or is
// claimed by another node whose heartbeat is recent.
func (r *Router) Connected(chargerID string) bool {
	if r.local.Connected(chargerID) {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	o, ok := r.owners[chargerID]
	return ok && !o.deleted && o.node != r.opts.NodeID && r.liveLocked(o.node)
}

// Claim records that this node now holds the charger's connection. Call it
// when the gateway admitted the connection, before any domain event of it;
// the node that held the charger before lets go of it. An error means the
// other nodes cannot route to the charger (and the old node may keep a
// stale connection); the caller may refuse the connection.
func (r *Router) Claim(ctx context.Context, chargerID string) error {
	key, err := keyFor(chargerID)
	if err != nil {
		return err
	}
	val, err := json.Marshal(claimValue{Node: r.opts.NodeID, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.claiming[chargerID]++
	r.mu.Unlock()
	rev, err := r.kv.Put(ctx, key, val)
	r.mu.Lock()
	if r.claiming[chargerID]--; r.claiming[chargerID] == 0 {
		delete(r.claiming, chargerID)
	}
	if err == nil {
		r.setLocked(chargerID, owner{node: r.opts.NodeID, rev: rev})
	}
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("cluster: claim %s: %w", chargerID, err)
	}
	return nil
}

// Release forgets this node's claim on the charger after its connection
// ended: it deletes the key only if it still names this node (compare and
// delete by revision), so a newer owner's claim stays.
func (r *Router) Release(ctx context.Context, chargerID string) error {
	_, err := r.release(ctx, chargerID)
	return err
}

// release is Release; elsewhere reports that another node holds the
// charger now.
func (r *Router) release(ctx context.Context, chargerID string) (elsewhere bool, err error) {
	key, err := keyFor(chargerID)
	if err != nil {
		return false, err
	}
	for range 3 { // a conflict means a newer write: look again
		e, err := r.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("cluster: release %s: %w", chargerID, err)
		}
		var v claimValue
		if json.Unmarshal(e.Value(), &v) == nil && v.Node != r.opts.NodeID {
			return true, nil // another node's now
		}
		err = r.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		if err == nil {
			r.mu.Lock()
			if cur, ok := r.owners[chargerID]; ok && cur.rev == e.Revision() {
				r.owners[chargerID] = owner{rev: cur.rev, deleted: true}
			}
			r.mu.Unlock()
			return false, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return false, fmt.Errorf("cluster: release %s: %w", chargerID, err)
		}
	}
	return false, fmt.Errorf("cluster: release %s: the key keeps changing", chargerID)
}

// ReleaseAll releases every charger this node's cache says it holds, for
// a node that drains (after the gateway closed its connections). It
// returns the first error and goes on with the others.
func (r *Router) ReleaseAll(ctx context.Context) error {
	r.mu.Lock()
	var ids []string
	for id, o := range r.owners {
		if !o.deleted && o.node == r.opts.NodeID {
			ids = append(ids, id)
		}
	}
	r.mu.Unlock()
	var first error
	for _, id := range ids {
		if err := r.Release(ctx, id); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// refresh reads the charger's owner from the bucket into the cache.
func (r *Router) refresh(ctx context.Context, chargerID string) (node string, ok bool, err error) {
	key, err := keyFor(chargerID)
	if err != nil {
		return "", false, err
	}
	e, err := r.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	var v claimValue
	if err := json.Unmarshal(e.Value(), &v); err != nil || v.Node == "" {
		return "", false, fmt.Errorf("invalid claim %q", e.Value())
	}
	r.mu.Lock()
	r.setLocked(chargerID, owner{node: v.Node, rev: e.Revision()})
	r.mu.Unlock()
	return v.Node, true, nil
}

// keyFor escapes a charger id to a KV key: letters, digits, '-' and '_'
// stay, every other byte becomes '=' and two hex digits ("CP.1" → "CP=2E1").
func keyFor(chargerID string) (string, error) {
	if chargerID == "" {
		return "", charging.Errorf(charging.EINVALID, "charger id must not be empty")
	}
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(chargerID); i++ {
		c := chargerID[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String(), nil
}

// idFor reverses keyFor.
func idFor(key string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if key[i] != '=' {
			b.WriteByte(key[i])
			continue
		}
		if i+2 >= len(key) {
			return "", errors.New("truncated escape")
		}
		hi, lo := unhex(key[i+1]), unhex(key[i+2])
		if hi < 0 || lo < 0 {
			return "", errors.New("invalid escape")
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
