package linux_test

import (
	"fmt"

	"github.com/luring/luring/linux"
	"golang.org/x/sys/unix"
)

// Each worker opens its own listener on the same port with SO_REUSEPORT;
// the kernel spreads incoming connections over them.
func ExampleListen() {
	first, err := linux.Listen("tcp4", "127.0.0.1:0", linux.ListenOptions{ReusePort: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Close(first)
	addr, _ := linux.LocalAddr(first)

	second, err := linux.Listen("tcp4", addr.String(), linux.ListenOptions{ReusePort: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer unix.Close(second)
	again, _ := linux.LocalAddr(second)
	fmt.Println(addr.Network(), addr.String() == again.String())
	// Output: tcp true
}

// SockaddrToRaw fills a caller-owned buffer for an io_uring connect.
func ExampleSockaddrToRaw() {
	sa, _, err := linux.ParseAddr("tcp", "[::1]:8080")
	if err != nil {
		fmt.Println(err)
		return
	}
	var raw unix.RawSockaddrAny // lives as long as the connect op
	salen, _ := linux.SockaddrToRaw(sa, &raw)
	fmt.Println(salen, linux.RawToAddr(&raw))
	// Output: 28 [::1]:8080
}
