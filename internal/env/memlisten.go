package env

import (
	"context"
	"net"
	"sync"
)

// MemListener is a net.Listener whose connections are made in memory by
// [MemListener.Dial]: a sandbox's proxy listener dials it for each
// connection the sandbox opens (sandbox.Network.Dial), so the package index
// that an install or a run reaches has no port on the host that other
// local processes could reach.
type MemListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

// NewMemListener returns an open in-memory listener.
func NewMemListener() *MemListener {
	return &MemListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Dial returns the client end of a new in-memory connection, whose server
// end Accept returns.
func (l *MemListener) Dial(ctx context.Context) (net.Conn, error) {
	c, s := net.Pipe()
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
		c.Close()
		s.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		c.Close()
		s.Close()
		return nil, ctx.Err()
	}
}

// Accept implements net.Listener.
func (l *MemListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *MemListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *MemListener) Addr() net.Addr { return memAddr{} }

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "airlock-proxy" }
