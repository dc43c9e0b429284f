// Command echo-gnet is the benchmark's gnet echo server: gnet v2 with one
// event loop (no multicore) locked to its OS thread, echoing in OnTraffic
// with Next(-1) and Write, TCP_NODELAY on as luring sets it.
//
// It prints its listening address on stdout once ready and exits on
// SIGTERM; see package srvstat for -allocs and -cpuprofile.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/luring/luring/bench/internal/srvstat"
	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// echo is the event handler. ready receives the engine once it is up.
type echo struct {
	gnet.BuiltinEventEngine
	count bool             // add to srvstat.Echoed (-allocs)
	ready chan gnet.Engine // buffered, one value
}

// OnBoot hands the engine to main.
func (e *echo) OnBoot(eng gnet.Engine) gnet.Action {
	e.ready <- eng
	return gnet.None
}

// OnTraffic writes back everything received.
func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	if e.count {
		srvstat.Echoed.Add(uint64(len(buf)))
	}
	c.Write(buf)
	return gnet.None
}

func main() {
	var f srvstat.Flags
	f.Register(flag.CommandLine)
	flag.Parse()

	h := &echo{count: f.Allocs, ready: make(chan gnet.Engine, 1)}
	errc := make(chan error, 1)
	go func() {
		errc <- gnet.Run(h, "tcp://"+f.Addr,
			gnet.WithMulticore(false),
			gnet.WithNumEventLoop(1),
			gnet.WithLockOSThread(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(stderrLogger{}))
	}()
	var eng gnet.Engine
	select {
	case eng = <-h.ready:
	case err := <-errc:
		log.Fatal(err)
	}
	addr, err := listenAddr(eng)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "echo-gnet: one event loop on %s\n", addr)
	err = srvstat.Serve(f, addr, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eng.Stop(ctx); err != nil {
			return err
		}
		return <-errc
	})
	if err != nil {
		log.Fatal(err)
	}
}

// stderrLogger keeps gnet's notices off stdout, which carries the address
// line the harness reads. Debug and info notices are dropped.
type stderrLogger struct{}

func (stderrLogger) Debugf(string, ...any) {}
func (stderrLogger) Infof(string, ...any)  {}
func (stderrLogger) Warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "echo-gnet: "+format+"\n", args...)
}
func (stderrLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "echo-gnet: "+format+"\n", args...)
}
func (stderrLogger) Fatalf(format string, args ...any) {
	log.Fatalf("echo-gnet: "+format, args...)
}

// listenAddr finds the bound address (the real port for ":0") from a
// duplicate of the engine's listening socket.
func listenAddr(eng gnet.Engine) (string, error) {
	fd, err := eng.Dup()
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", err
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(sa.Addr[:]).String(), strconv.Itoa(sa.Port)), nil
	case *unix.SockaddrInet6:
		return net.JoinHostPort(net.IP(sa.Addr[:]).String(), strconv.Itoa(sa.Port)), nil
	}
	return "", fmt.Errorf("echo-gnet: unexpected listener address %T", sa)
}
