package node_test

import (
	"io"
	"net"
	"sync"
	"testing"
)

// tcpBalancer is the TCP load balancer in front of a cluster's nodes: each
// connection goes to the next backend that accepts it, round robin. Cut
// breaks every connection to one backend at once (its node crashed, or the
// network to it failed), without telling that node.
type tcpBalancer struct {
	ln       net.Listener
	mu       sync.Mutex
	backends []string
	down     map[string]bool
	next     int
	conns    map[string]map[net.Conn]bool // backend → client and server halves
	held     []net.Conn                   // server halves Blackhole left open
	wg       sync.WaitGroup
}

func newBalancer(t testing.TB, backends ...string) *tcpBalancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &tcpBalancer{ln: ln, backends: backends, down: map[string]bool{}, conns: map[string]map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, cs := range b.conns {
			for c := range cs {
				c.Close()
			}
		}
		for _, c := range b.held {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

// Addr is the balancer's host:port.
func (b *tcpBalancer) Addr() string { return b.ln.Addr().String() }

// Down takes a backend out of rotation (new connections go elsewhere) and
// cuts its open connections.
func (b *tcpBalancer) Down(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[backend] = true
	for c := range b.conns[backend] {
		c.Close()
	}
	delete(b.conns, backend)
}

// Blackhole takes a backend out of rotation and cuts its connections on
// the chargers' side only: the node keeps its half open and hears
// nothing (a half-open connection, as after a network failure), until it
// notices by itself or the test ends.
func (b *tcpBalancer) Blackhole(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[backend] = true
	for c := range b.conns[backend] {
		if c.LocalAddr().String() == b.Addr() {
			c.Close() // the charger's side
		} else {
			b.held = append(b.held, c)
		}
	}
	delete(b.conns, backend)
}

// Drain takes a backend out of rotation and leaves its connections alone
// (a health check failing on a draining node).
func (b *tcpBalancer) Drain(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[backend] = true
}

// Replace puts backend new in old's place in the rotation.
func (b *tcpBalancer) Replace(old, new string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, be := range b.backends {
		if be == old {
			b.backends[i] = new
		}
	}
}

// Up puts a backend back in rotation.
func (b *tcpBalancer) Up(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.down, backend)
}

// Prefer makes backend the next one tried.
func (b *tcpBalancer) Prefer(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, be := range b.backends {
		if be == backend {
			b.next = i
		}
	}
}

func (b *tcpBalancer) isHeld(c net.Conn) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.held {
		if h == c {
			return true
		}
	}
	return false
}

func (b *tcpBalancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.proxy(c)
		}()
	}
}

func (b *tcpBalancer) proxy(client net.Conn) {
	for range len(b.backends) {
		b.mu.Lock()
		be := b.backends[b.next%len(b.backends)]
		b.next++
		skip := b.down[be]
		b.mu.Unlock()
		if skip {
			continue
		}
		server, err := net.Dial("tcp", be)
		if err != nil {
			continue
		}
		b.mu.Lock()
		if b.down[be] {
			b.mu.Unlock()
			server.Close()
			continue
		}
		if b.conns[be] == nil {
			b.conns[be] = map[net.Conn]bool{}
		}
		b.conns[be][client], b.conns[be][server] = true, true
		b.mu.Unlock()
		done := make(chan struct{}, 2)
		go func() {
			io.Copy(server, client)
			if !b.isHeld(server) {
				server.Close()
			}
			done <- struct{}{}
		}()
		go func() {
			// After Blackhole the node's writes go nowhere: keep reading
			// them until the node gives up or the test ends.
			if _, err := io.Copy(client, server); err != nil && b.isHeld(server) {
				io.Copy(io.Discard, server)
			}
			client.Close()
			done <- struct{}{}
		}()
		<-done
		<-done
		b.mu.Lock()
		delete(b.conns[be], client)
		delete(b.conns[be], server)
		b.mu.Unlock()
		return
	}
	client.Close()
}
