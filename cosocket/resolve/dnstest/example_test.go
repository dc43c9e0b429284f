package dnstest_test

import (
	"fmt"
	"net"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/cosocket/resolve/dnstest"
)

// A server answering one name, asked once over UDP. In a test, Start(t)
// does what New and Close do here.
func Example() {
	s, err := dnstest.New()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	s.SetA("db.internal", 30, "10.0.0.7")

	c, err := net.Dial("udp", s.Addr()) // the resolver directive's address
	if err != nil {
		panic(err)
	}
	defer c.Close()
	buf := make([]byte, resolve.UDPBufferLen)
	n, _ := resolve.BuildQuery(buf, 1, "db.internal", resolve.TypeA)
	c.Write(buf[:n])
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = c.Read(buf)
	if err != nil {
		panic(err)
	}
	var ans resolve.Answer
	if err := ans.Parse(buf[:n], 1, "db.internal", resolve.TypeA); err != nil {
		panic(err)
	}
	fmt.Println(ans.Addrs, ans.TTL, s.Queries("db.internal"))
	// Output: [10.0.0.7] 30 1
}
