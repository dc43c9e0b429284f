package loop_test

import (
	"fmt"
	"io"
	"net"
	"time"

	"github.com/luring/luring/loop"
)

// Embed two loops as a TCP echo server: each loop runs on its own OS thread
// with its own SO_REUSEPORT listener on the same port.
func Example() {
	addr := "127.0.0.1:0"
	group, err := loop.StartGroup(2, loop.Options{Log: func(string) {}}, func(l *loop.Loop, i int) error {
		ln, err := l.Listen("tcp", addr, func(c *loop.Conn) {
			c.OnData(func(c *loop.Conn, data []byte) int {
				c.Write(data) // copied into the loop's buffers
				return len(data)
			})
		})
		if err == nil {
			addr = ln.Addr().String() // the next loop shares the real port
		}
		return err
	})
	if err != nil {
		panic(err)
	}
	defer group.Stop()

	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	c.Write([]byte("hello, luring"))
	reply := make([]byte, 13)
	io.ReadFull(c, reply)
	fmt.Println(string(reply))
	// Output: hello, luring
}

// A request and its answer over UDP with a timeout, as a resolver or
// ngx.socket.udp does it: the timeout is the caller's Timer, which cancels
// the receive when it fires first.
func ExampleLoop_DialPacket() {
	// A peer that answers one datagram (a DNS server, say).
	peer, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer peer.Close()
	go func() {
		b := make([]byte, 512)
		n, from, err := peer.ReadFrom(b)
		if err == nil {
			peer.WriteTo(append([]byte("answer to "), b[:n]...), from)
		}
	}()

	l, _ := loop.Start(loop.Options{Log: func(string) {}}, nil)
	defer l.Stop()
	result := make(chan string, 1)
	l.Post(func() {
		pc, err := l.DialPacket("udp", peer.LocalAddr().String())
		if err != nil {
			result <- err.Error()
			return
		}
		buf := make([]byte, 512)
		timer := l.AfterFunc(2*time.Second, func() {
			pc.CancelRecv() // the Recv callback will not run
			pc.Close()
			result <- "timeout"
		})
		pc.Recv(buf, func(n int, err error) {
			timer.Stop()
			pc.Close()
			if err != nil {
				result <- err.Error()
				return
			}
			result <- string(buf[:n])
		})
		pc.Send([]byte("query"), func(err error) {
			if err != nil && timer.Stop() {
				pc.Close() // the pending Recv gets loop.ErrClosed
			}
		})
	})
	fmt.Println(<-result)
	// Output: answer to query
}
