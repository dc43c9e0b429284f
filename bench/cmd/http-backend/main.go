// Command http-backend is the upstream of the httpbench upstream-keepalive
// workload: a minimal HTTP/1.1 server that answers every request with the
// same small body and keeps the connection open, and counts the connections
// it accepts, so that the benchmark can tell whether the server under test
// reuses its upstream connections (setkeepalive) or opens one per request.
//
// Protocol: the first line on stdout is the listening address. Each SIGUSR1
// prints one line "accepts=<n> requests=<n>" (totals since start). SIGTERM
// or SIGINT stops it.
//
// It understands only what the benchmark sends: requests without a body,
// each ending with an empty line. Run it with GOMAXPROCS=1.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// response is the whole reply to every request.
var response = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: keep-alive\r\n\r\nhello from backend\n")

// Counters since start; connection goroutines add, the signal loop reads.
var accepts, requests atomic.Uint64

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go acceptLoop(ln)
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	fmt.Println(ln.Addr().String())
	for s := range sig {
		if s != syscall.SIGUSR1 {
			return
		}
		fmt.Printf("accepts=%d requests=%d\n", accepts.Load(), requests.Load())
	}
}

// acceptLoop serves every accepted connection on its own goroutine.
func acceptLoop(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		accepts.Add(1)
		go serve(c)
	}
}

// serve answers each request on c once its empty line has arrived. Requests
// that arrive together are answered with one write.
func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 4096)
	var out []byte
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(bytes.TrimRight(line, "\r\n")) != 0 {
			continue
		}
		requests.Add(1)
		out = append(out, response...)
		if r.Buffered() > 0 {
			continue
		}
		if _, err := c.Write(out); err != nil {
			return
		}
		out = out[:0]
	}
}
