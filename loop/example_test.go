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

// An echo server that closes connections idle for 100 ms: every connection
// embeds a Timeout of one TimeoutQueue, restarted by each message.
func ExampleTimeoutQueue() {
	type session struct {
		c    *loop.Conn
		idle loop.Timeout[session]
	}
	var addr string
	l, err := loop.Start(loop.Options{Log: func(string) {}}, func(l *loop.Loop) error {
		idle := loop.NewTimeoutQueue(l, 100*time.Millisecond, func(s *session) { s.c.Close() })
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *loop.Conn) {
			s := &session{c: c}
			idle.Start(&s.idle, s)
			c.OnData(func(c *loop.Conn, data []byte) int {
				idle.Start(&s.idle, s) // to the back of the queue
				c.Write(data)
				return len(data)
			})
			c.OnClose(func(*loop.Conn, error) { s.idle.Stop() })
		})
		if err == nil {
			addr = ln.Addr().String()
		}
		return err
	})
	if err != nil {
		panic(err)
	}
	defer l.Stop()

	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	c.Write([]byte("ping"))
	reply := make([]byte, 4)
	io.ReadFull(c, reply)
	fmt.Println(string(reply))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Read(reply)
	fmt.Println(err == io.EOF) // closed by the server once idle
	// Output:
	// ping
	// true
}
