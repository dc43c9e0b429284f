// Command echo is a TCP echo server on luring's event loops: the smallest
// program that embeds package loop. `make run` starts it until the HTTP
// server lands.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/luring/luring/loop"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	workers := flag.Int("workers", runtime.NumCPU(), "number of loops")
	flag.Parse()

	listen := *addr
	group, err := loop.StartGroup(*workers, loop.Options{}, func(l *loop.Loop, i int) error {
		ln, err := l.Listen("tcp", listen, func(c *loop.Conn) {
			c.OnData(func(c *loop.Conn, data []byte) int {
				c.Write(data)
				return len(data)
			})
		})
		if err == nil {
			listen = ln.Addr().String()
		}
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("echo: %d loops on %s (%s backend); Ctrl-C stops", *workers, listen, group.Loops()[0].Backend())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	if err := group.Stop(); err != nil {
		log.Fatal(err)
	}
}
