package natsbus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/joule-ev/joule/internal/charging"
)

// Defaults for Options.
const (
	DefaultStream         = "JOULE_EVENTS"
	DefaultSubjectPrefix  = "joule.events"
	DefaultMaxAge         = 24 * time.Hour
	DefaultMaxBytes       = 1 << 30 // 1 GiB of history
	DefaultMaxMsgs        = 10_000_000
	DefaultReplicas       = 1
	DefaultBuffer         = 256 // events buffered per subscriber, as inmem.DefaultBuffer
	DefaultPublishQueue   = 4096
	DefaultMaxInFlight    = 256
	DefaultPublishTimeout = 5 * time.Second
	DefaultRequestTimeout = 5 * time.Second
)

// Options configure a Bus; zero fields take the defaults. The stream's
// limits (MaxAge, MaxBytes, MaxMsgs, Replicas) are applied by every New:
// give every node the same ones.
type Options struct {
	Stream        string        // stream name
	SubjectPrefix string        // the stream holds <SubjectPrefix>.>
	MaxAge        time.Duration // how long events are kept for resuming
	MaxBytes      int64         // history size limit; -1 for none
	MaxMsgs       int64         // history length limit; -1 for none
	Replicas      int           // stream replicas (1, 3 or 5 in a NATS cluster)
	// Buffer is how many events a subscriber may have pending before it
	// is dropped.
	Buffer int
	// PublishQueue is how many events may wait to be published before
	// Publish drops them; MaxInFlight how many publishes may await their
	// acknowledgement; PublishTimeout how long one may.
	PublishQueue   int
	MaxInFlight    int
	PublishTimeout time.Duration
	// RequestTimeout bounds JetStream requests made without a context
	// (ResumeFrom's stream state, the catch-up reads, Close).
	RequestTimeout time.Duration
	Logger         *slog.Logger
}

func (o *Options) defaults() {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	o.SubjectPrefix = strings.TrimSuffix(o.SubjectPrefix, ".")
	if o.SubjectPrefix == "" {
		o.SubjectPrefix = DefaultSubjectPrefix
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxMsgs == 0 {
		o.MaxMsgs = DefaultMaxMsgs
	}
	if o.Replicas <= 0 {
		o.Replicas = DefaultReplicas
	}
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.PublishQueue <= 0 {
		o.PublishQueue = DefaultPublishQueue
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = DefaultPublishTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Bus is a charging.EventBus on a NATS JetStream stream (see the package
// documentation). Create it with New; the NATS connection stays the
// caller's.
type Bus struct {
	opts   Options
	log    *slog.Logger
	js     jetstream.JetStream
	stream jetstream.Stream
	cc     jetstream.ConsumeContext

	// The publish queue: Publish sends under qmu (read-locked) unless
	// qclosed; Close closes queue under qmu (write-locked).
	qmu      sync.RWMutex
	queue    chan *nats.Msg
	qclosed  bool
	pubDone  chan struct{}
	draining atomic.Int64 // unix nanos after which Close drops queued events; 0 while open
	lost     atomic.Uint64
	lostLog  atomic.Int64 // unix nanos of the last lostEvent log line

	mu      sync.Mutex
	lastID  uint64                     // guarded by mu; last stream sequence delivered to this node
	subs    map[*subscription]struct{} // guarded by mu
	dropped uint64                     // guarded by mu
	closed  bool                       // guarded by mu
	catchUp sync.WaitGroup             // catch-up goroutines
}

var _ charging.EventBus = (*Bus)(nil)

// New creates or updates the stream and starts this node's consumer and
// publisher. ctx bounds the setup requests only.
func New(ctx context.Context, nc *nats.Conn, opts Options) (*Bus, error) {
	if nc == nil {
		return nil, errors.New("natsbus: nil NATS connection")
	}
	opts.defaults()
	b := &Bus{
		opts:    opts,
		log:     opts.Logger.With("component", "natsbus"),
		queue:   make(chan *nats.Msg, opts.PublishQueue),
		pubDone: make(chan struct{}),
		subs:    make(map[*subscription]struct{}),
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(opts.MaxInFlight),
		jetstream.WithPublishAsyncTimeout(opts.PublishTimeout),
		jetstream.WithPublishAsyncErrHandler(b.publishFailed),
		jetstream.WithDefaultTimeout(opts.RequestTimeout),
	)
	if err != nil {
		return nil, fmt.Errorf("natsbus: jetstream: %w", err)
	}
	b.js = js
	cfg := jetstream.StreamConfig{
		Name:        opts.Stream,
		Description: "Joule events (charging.Event), one message per event; the sequence is the event id",
		Subjects:    []string{opts.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      opts.MaxAge,
		MaxBytes:    opts.MaxBytes,
		MaxMsgs:     opts.MaxMsgs,
		Replicas:    opts.Replicas,
		Storage:     jetstream.FileStorage,
	}
	// Several nodes may start at once: one's create may lose to
	// another's, and the update that follows succeeds.
	for attempt := 0; ; attempt++ {
		b.stream, err = js.CreateOrUpdateStream(ctx, cfg)
		if err == nil || attempt == 2 || !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natsbus: create stream %s: %w", opts.Stream, err)
	}
	info, err := b.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("natsbus: stream %s: %w", opts.Stream, err)
	}
	b.lastID = info.State.LastSeq

	cons, err := js.OrderedConsumer(ctx, opts.Stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   b.lastID + 1,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: consumer: %w", err)
	}
	b.cc, err = cons.Consume(b.deliver, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		b.log.Warn("event consumer", "err", err)
	}))
	if err != nil {
		return nil, fmt.Errorf("natsbus: consume: %w", err)
	}
	go b.publishLoop()
	return b, nil
}

// Publish stamps e with the current UTC time when its Time is zero and
// queues it for the stream; its id is the sequence the stream gives it.
// It never waits for NATS: when the queue is full the event is dropped
// and logged. Publishing on a closed Bus does nothing; ctx is unused.
func (b *Bus) Publish(_ context.Context, e charging.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.ID = 0
	msg, err := b.encodeMsg(e)
	if err != nil {
		b.lost.Add(1)
		b.log.Error("encode event", "type", e.Type, "err", err)
		return
	}
	b.qmu.RLock()
	defer b.qmu.RUnlock()
	if b.qclosed {
		return
	}
	select {
	case b.queue <- msg:
	default:
		b.lostEvent("event publish queue full: event dropped", e.Type, nil)
	}
}

// lostEvent counts an event that was not published and logs it, one line
// a second at most: when NATS is down every event would say so.
func (b *Bus) lostEvent(msg, typ string, err error) {
	lost := b.lost.Add(1)
	now := time.Now().UnixNano()
	if last := b.lostLog.Load(); now-last > int64(time.Second) && b.lostLog.CompareAndSwap(last, now) {
		b.log.Error(msg, "type", typ, "err", err, "lost", lost)
	}
}

// publishLoop publishes the queue in order until Close closes it.
func (b *Bus) publishLoop() {
	defer close(b.pubDone)
	for msg := range b.queue {
		if d := b.draining.Load(); d != 0 && time.Now().UnixNano() > d {
			b.lost.Add(1)
			continue
		}
		deadline := time.Now().Add(b.opts.PublishTimeout)
		for {
			// No retries by the client: it retries a message later, after
			// the ones published meanwhile, which would break the order.
			_, err := b.js.PublishMsgAsync(msg, jetstream.WithRetryAttempts(0), jetstream.WithExpectStream(b.opts.Stream))
			if err == nil {
				break
			}
			// Too many awaiting their ack: wait (PublishMsgAsync did,
			// a little) and try again, up to PublishTimeout.
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) && time.Now().Before(deadline) {
				continue
			}
			b.lostEvent("publish event", msg.Header.Get(hdrType), err)
			break
		}
	}
	// Wait for the acks of the last publishes (bounded).
	select {
	case <-b.js.PublishAsyncComplete():
	case <-time.After(b.opts.PublishTimeout):
	}
}

// publishFailed logs an async publish the stream did not acknowledge.
func (b *Bus) publishFailed(_ jetstream.JetStream, msg *nats.Msg, err error) {
	b.lostEvent("publish event not acknowledged", msg.Header.Get(hdrType), err)
}

// Lost returns how many events this node failed to publish (queue full,
// publish error or timeout). A timed-out publish may still have been
// stored.
func (b *Bus) Lost() uint64 { return b.lost.Load() }

// deliver is the ordered consumer's handler: it fans a stream message out
// to this node's subscribers.
func (b *Bus) deliver(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		b.log.Error("event without metadata", "err", err)
		return
	}
	seq := meta.Sequence.Stream
	e, derr := decodeMsg(msg.Headers(), msg.Data())

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || seq <= b.lastID {
		return
	}
	if seq > b.lastID+1 {
		// The stream no longer holds the events between (they expired
		// while this node was cut off): every subscriber missed them.
		b.log.Warn("events missed: dropping every subscriber", "after", b.lastID, "next", seq)
		for s := range b.subs {
			b.dropLocked(s)
			b.dropped++
		}
	}
	b.lastID = seq
	if derr != nil {
		b.log.Error("decode event", "id", seq, "err", derr)
		return
	}
	e.ID = seq
	for s := range b.subs {
		if e.ID <= s.after || !s.filter.Match(e) {
			continue
		}
		if !s.live {
			if len(s.pending) >= b.opts.Buffer {
				b.dropLocked(s)
				b.dropped++
				continue
			}
			s.pending = append(s.pending, e)
			continue
		}
		select {
		case s.ch <- e:
		default:
			b.dropLocked(s)
			b.dropped++
		}
	}
}

// Subscribe returns a feed of the events this node receives from now on
// that match f.
func (b *Bus) Subscribe(f charging.EventFilter) charging.Subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.newSubLocked(f, b.lastID)
}

// SubscribeFrom is ResumeFrom without the completeness report.
func (b *Bus) SubscribeFrom(f charging.EventFilter, afterID uint64) charging.Subscription {
	sub, _ := b.ResumeFrom(f, afterID)
	return sub
}

// ResumeFrom returns a feed of the events after afterID that match f: the
// stored ones, then live ones, each once and in order. complete is false
// when the stream no longer holds every event after afterID, or never
// issued afterID, or cannot be asked (NATS down): the feed is then live
// only and the client should reload its state.
func (b *Bus) ResumeFrom(f charging.EventFilter, afterID uint64) (charging.Subscription, bool) {
	complete := false
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.RequestTimeout)
	info, err := b.stream.Info(ctx)
	cancel()
	if err != nil {
		b.log.Warn("resume: stream state", "err", err)
	} else {
		st := info.State
		complete = afterID <= st.LastSeq && afterID+1 >= st.FirstSeq
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.lastID
	if !complete || b.closed {
		return b.newSubLocked(f, h), complete // live only
	}
	if afterID >= h {
		// This node has not yet received every event up to afterID
		// (another node published them a moment ago): skip them live.
		return b.newSubLocked(f, afterID), true
	}
	s := b.newSubLocked(f, afterID)
	s.live = false
	b.catchUp.Add(1)
	go b.catchUpLoop(s, afterID, h)
	return s, true
}

// newSubLocked registers a live subscriber to events above after; b.mu
// must be held. On a closed Bus it returns a closed subscription.
func (b *Bus) newSubLocked(f charging.EventFilter, after uint64) *subscription {
	s := &subscription{
		bus:    b,
		filter: f,
		after:  after,
		live:   true,
		ch:     make(chan charging.Event, b.opts.Buffer),
		stop:   make(chan struct{}),
	}
	if b.closed {
		s.stopped = true
		close(s.stop)
		close(s.ch)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// catchUpLoop reads (after, to] from the stream into s, then hands over
// the live events queued meanwhile and makes s live. While s is not live
// this goroutine is the only one sending on s.ch, and it closes s.ch when
// s stops.
func (b *Bus) catchUpLoop(s *subscription, after, to uint64) {
	defer b.catchUp.Done()
	err := b.readRange(s, after, to)
	for err == nil {
		b.mu.Lock()
		if s.stopped {
			b.mu.Unlock()
			break
		}
		if len(s.pending) == 0 {
			s.live = true // from now on deliver sends, and drop closes
			b.mu.Unlock()
			return
		}
		p := s.pending
		s.pending = nil
		b.mu.Unlock()
		for _, e := range p {
			if !s.send(e) {
				break
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil && !s.stopped {
		if !errors.Is(err, errStopped) {
			b.log.Warn("event catch-up failed: subscriber dropped", "err", err)
		}
		b.dropLocked(s)
		b.dropped++
	}
	close(s.ch)
}

var errStopped = errors.New("subscription stopped")

// readRange sends the events with ids in (after, to] that match s.filter
// to s, reading them from the stream with an ephemeral consumer.
func (b *Bus) readRange(s *subscription, after, to uint64) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	cfg := jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	}
	if s.filter.ChargerID != "" {
		cfg.FilterSubject = b.subject(s.filter.ChargerID)
	}
	cctx, ccancel := context.WithTimeout(ctx, b.opts.RequestTimeout)
	cons, err := b.stream.CreateConsumer(cctx, cfg)
	ccancel()
	if err != nil {
		if ctx.Err() != nil {
			return errStopped
		}
		return fmt.Errorf("create catch-up consumer: %w", err)
	}
	defer func() {
		dctx, dcancel := context.WithTimeout(context.Background(), b.opts.RequestTimeout)
		_ = b.stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
		dcancel()
	}()
	remaining := cons.CachedInfo().NumPending
	for remaining > 0 {
		done, err := b.fetchBatch(ctx, s, cons, &remaining, to)
		if ctx.Err() != nil {
			return errStopped
		}
		if err != nil || done {
			return err
		}
	}
	return nil
}

// fetchBatch reads one batch of the catch-up into s; done when it reached
// the handover point or the end of the stream. remaining is updated with
// the consumer's count of messages still to read.
func (b *Bus) fetchBatch(ctx context.Context, s *subscription, cons jetstream.Consumer, remaining *uint64, to uint64) (done bool, err error) {
	fctx, cancel := context.WithTimeout(ctx, b.opts.RequestTimeout)
	defer cancel()
	batch, err := cons.Fetch(int(min(*remaining, 256)), jetstream.FetchContext(fctx))
	if err != nil {
		return false, fmt.Errorf("catch-up fetch: %w", err)
	}
	n := 0
	for msg := range batch.Messages() {
		n++
		meta, err := msg.Metadata()
		if err != nil {
			return false, fmt.Errorf("catch-up metadata: %w", err)
		}
		seq := meta.Sequence.Stream
		if seq > to {
			return true, nil // the rest is live
		}
		*remaining = meta.NumPending
		e, err := decodeMsg(msg.Headers(), msg.Data())
		if err != nil {
			b.log.Error("decode event", "id", seq, "err", err)
		} else if e.ID = seq; s.filter.Match(e) && !s.send(e) {
			return false, errStopped
		}
		if seq == to {
			return true, nil
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		return false, fmt.Errorf("catch-up fetch: %w", err)
	}
	// Nothing more stored (it expired meanwhile) or read to the end.
	return n == 0 || *remaining == 0, nil
}

// dropLocked removes s; b.mu must be held. A live subscriber's channel is
// closed here; a catching-up one's by its catch-up goroutine.
func (b *Bus) dropLocked(s *subscription) {
	if s.stopped {
		return
	}
	s.stopped = true
	delete(b.subs, s)
	close(s.stop)
	s.pending = nil
	if s.live {
		close(s.ch)
	}
}

// Subscribers returns how many subscriptions are open on this node.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// LastID returns the stream sequence of the last event this node received
// (the stream's last sequence at New before any).
func (b *Bus) LastID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastID
}

// Dropped returns how many subscribers this node dropped for falling
// behind (or for missing events).
func (b *Bus) Dropped() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Ping reports whether JetStream answers for the stream (readiness).
func (b *Bus) Ping(ctx context.Context) error {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return errors.New("natsbus: closed")
	}
	if _, err := b.stream.Info(ctx); err != nil {
		return fmt.Errorf("natsbus: stream %s: %w", b.opts.Stream, err)
	}
	return nil
}

// Close publishes what is queued (for up to PublishTimeout; the rest is
// dropped), stops the consumer and closes every subscription; later
// Publish calls do nothing and later subscriptions start closed. It does
// not close the NATS connection. It is safe to call more than once.
func (b *Bus) Close() {
	b.qmu.Lock()
	first := !b.qclosed
	if first {
		b.qclosed = true
		b.draining.Store(time.Now().Add(b.opts.PublishTimeout).UnixNano())
		close(b.queue)
	}
	b.qmu.Unlock()
	if first {
		<-b.pubDone
		b.cc.Stop()
		select {
		case <-b.cc.Closed():
		case <-time.After(b.opts.RequestTimeout):
		}
	}
	b.mu.Lock()
	b.closed = true
	for s := range b.subs {
		b.dropLocked(s)
	}
	b.mu.Unlock()
	b.catchUp.Wait()
}

// subscription is one subscriber's feed.
type subscription struct {
	bus    *Bus
	filter charging.EventFilter
	ch     chan charging.Event
	stop   chan struct{} // closed when the subscription ends

	// guarded by bus.mu
	after   uint64           // events up to this id are not for it
	live    bool             // deliver sends to ch; else it queues in pending
	pending []charging.Event // live events queued during the catch-up
	stopped bool
}

func (s *subscription) Events() <-chan charging.Event { return s.ch }

// Close ends the subscription; it is safe to call more than once and after
// the subscription was dropped.
func (s *subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.bus.dropLocked(s)
}

// send delivers e during the catch-up, waiting for room; false when the
// subscription stopped.
func (s *subscription) send(e charging.Event) bool {
	select {
	case s.ch <- e:
		return true
	case <-s.stop:
		return false
	}
}
