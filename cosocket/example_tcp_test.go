package cosocket_test

import (
	"bufio"
	"fmt"
	"net"
	"time"

	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/loop"
)

// A Go service on a loop: dial a peer, send a request, read the reply up
// to a boundary, and park the connection in the worker's pool; the second
// round trip reuses it. Every step that cannot finish at once reports
// through the socket's callbacks, on the loop's thread.
func ExampleTCP() {
	// The peer: answers each line with "got LINE--end--".
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			fmt.Fprintf(c, "got %s--end--", line[:len(line)-1])
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	boundary, _ := cosocket.Compile("--end--")

	out := make(chan string, 8)
	l, err := loop.Start(loop.Options{}, func(l *loop.Loop) error {
		w := cosocket.NewWorker(l)
		var roundTrip func(n int)
		roundTrip = func(n int) {
			s := w.NewTCP()
			s.ReadTimeout = 5 * time.Second
			reply := cosocket.Read{Mode: cosocket.ReadUntil, Until: cosocket.NewMatcher(boundary, false)}
			got := func(res cosocket.Result) {
				reused, _ := s.ReusedTimes()
				out <- fmt.Sprintf("%s (reused %d)", res.Data, reused) // copy before the socket is used again
				if err := s.SetKeepalive(time.Minute, 10); err != nil {
					out <- err.Error()
				}
				if n == 1 {
					roundTrip(2)
				} else {
					close(out)
				}
			}
			s.OnRead = got
			send := func() {
				if err := s.BeginSend(); err != nil {
					out <- err.Error()
					return
				}
				s.WriteString(fmt.Sprintf("request %d\n", n))
				if err, _ := s.EndSend(); err != nil {
					out <- err.Error()
					return
				}
				if res, ok := s.Receive(reply); ok {
					got(res)
				}
			}
			s.OnConnect = func(err error) {
				if err != nil {
					out <- err.Error()
					return
				}
				send()
			}
			err, pending := s.Connect("127.0.0.1", port, false, cosocket.ConnectOptions{Backlog: -1})
			if err != nil {
				out <- err.Error()
			} else if !pending {
				send() // a pooled connection: no wait
			}
		}
		roundTrip(1)
		return nil
	})
	if err != nil {
		panic(err)
	}
	defer l.Stop()
	for line := range out {
		fmt.Println(line)
	}
	// Output:
	// got request 1 (reused 0)
	// got request 2 (reused 1)
}
