package loop_test

import (
	"fmt"
	"io"
	"net"

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
