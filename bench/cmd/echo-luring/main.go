// Command echo-luring is the benchmark's luring echo server: one loop.Loop
// on one locked OS thread, one listener, every received byte written back.
// The ring backend comes from LURING_BACKEND (epoll or io_uring; io_uring
// when unset and available).
//
// It prints its listening address on stdout once ready and exits on
// SIGTERM; see package srvstat for -allocs and -cpuprofile.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/luring/luring/bench/internal/srvstat"
	"github.com/luring/luring/loop"
)

func main() {
	var f srvstat.Flags
	f.Register(flag.CommandLine)
	flag.Parse()

	onData := func(c *loop.Conn, data []byte) int {
		c.Write(data) // copied into the loop's output buffer
		return len(data)
	}
	if f.Allocs {
		onData = func(c *loop.Conn, data []byte) int {
			srvstat.Echoed.Add(uint64(len(data)))
			c.Write(data)
			return len(data)
		}
	}
	var addr string
	l, err := loop.Start(loop.Options{Log: func(msg string) { fmt.Fprintln(os.Stderr, "echo-luring:", msg) }},
		func(l *loop.Loop) error {
			ln, err := l.ListenWith("tcp", f.Addr, loop.ListenOptions{NoReuse: true}, func(c *loop.Conn) {
				c.OnData(onData)
			})
			if err != nil {
				return err
			}
			addr = ln.Addr().String()
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "echo-luring: %s backend on %s\n", l.Backend(), addr)
	if err := srvstat.Serve(f, addr, l.Stop); err != nil {
		log.Fatal(err)
	}
}
