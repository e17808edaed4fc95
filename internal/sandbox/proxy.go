package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// MaxProxyConns bounds the connections one sandbox may have open through
// its proxy at a time; further connections are closed at once.
const MaxProxyConns = 64

// proxyDialTimeout bounds connecting to the proxy's target.
const proxyDialTimeout = 10 * time.Second

// proxyListener is the host side of proxy mode: it accepts the forwarder's
// connections on the run's unix socket and joins each to a new connection
// to the target.
type proxyListener struct {
	l      net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// serveProxy serves l until close. Connections are dialled with n.Dial, or
// to n.Target.
func serveProxy(ctx context.Context, l net.Listener, n Network) *proxyListener {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &proxyListener{l: l, cancel: cancel, conns: map[net.Conn]struct{}{}}
	dial := n.Dial
	if dial == nil {
		target := n.Target
		dial = func(ctx context.Context) (net.Conn, error) {
			d := net.Dialer{Timeout: proxyDialTimeout}
			return d.DialContext(ctx, "tcp", target)
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if !p.track(c, true) {
				c.Close()
				continue
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer p.track(c, false)
				up, err := dial(ctx)
				if err != nil {
					c.Close()
					return
				}
				if !p.track(up, true) {
					up.Close()
					c.Close()
					return
				}
				defer p.track(up, false)
				splice(c, up)
			}()
		}
	}()
	return p
}

// track adds (or removes) c from the open connections; adding fails when
// the proxy is closing or full.
func (p *proxyListener) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !add {
		delete(p.conns, c)
		return true
	}
	if p.done || len(p.conns) >= 2*MaxProxyConns {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// close stops the proxy and closes its connections.
func (p *proxyListener) close() {
	p.mu.Lock()
	p.done = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.cancel()
	p.l.Close()
	p.wg.Wait()
}

// splice copies between a and b in both directions, passing half-closes
// on, and closes both when done.
func splice(a, b net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
	a.Close()
	b.Close()
}

// ForwardMain is the forwarder that runs inside a proxy-mode sandbox as
// `airlock __sandbox-forward -listen 127.0.0.1:PORT -socket PATH -- CMD...`
// (args exclude the subcommand name). It listens on the loopback port,
// starts CMD, carries each connection to the unix socket (the proxy
// listener outside), and exits with CMD's status (128+N when a signal
// killed it), passing on SIGTERM, SIGINT and SIGHUP. It returns the exit
// code; the caller exits with it.
func ForwardMain(args []string) int {
	fs := flag.NewFlagSet(ForwardCommand, flag.ContinueOnError)
	listen := fs.String("listen", "", "loopback address to listen on")
	socket := fs.String("socket", "", "unix socket to forward to")
	if err := fs.Parse(args); err != nil {
		return 125
	}
	argv := fs.Args()
	if *listen == "" || *socket == "" || len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "airlock forwarder: usage: -listen ADDR -socket PATH -- COMMAND [ARG...]")
		return 125
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "airlock forwarder: %v\n", err)
		return 125
	}
	sem := make(chan struct{}, MaxProxyConns)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			select {
			case sem <- struct{}{}:
			default:
				c.Close()
				continue
			}
			go func() {
				defer func() { <-sem }()
				u, err := net.Dial("unix", *socket)
				if err != nil {
					c.Close()
					return
				}
				splice(c, u)
			}()
		}
	}()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "airlock forwarder: %v\n", err)
		return 127
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	ln.Close()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 126
}
