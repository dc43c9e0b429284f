package cosocket_test

import (
	"fmt"

	"github.com/luring/luring/cosocket"
)

// A receiveuntil iterator over a socket's receive buffer: buf holds the
// unconsumed bytes, recv appends what the peer sends next, and a call
// consumes what it returns. This is it(4) called until EOF, as in
// t/066 TEST 15.
func ExampleMatcher() {
	p, err := cosocket.Compile("--abc")
	if err != nil {
		panic(err)
	}
	it := cosocket.NewMatcher(p, false)

	arrivals := []string{"hello, wo", "rld --", "--abc\n"} // then EOF
	var buf []byte
	recv := func() bool { // false at EOF
		if len(arrivals) == 0 {
			return false
		}
		buf = append(buf, arrivals[0]...)
		arrivals = arrivals[1:]
		return true
	}
	call := func(size int) string { // one Lua call it(size)
		if it.Begin(size) {
			return "nil, nil, nil"
		}
		for {
			chunk, n, st := it.Scan(buf)
			if st != cosocket.ScanMore { // ScanMatched or ScanFull
				s := fmt.Sprintf("%q", chunk) // copy before consuming
				buf = buf[n:]
				return s
			}
			if !recv() {
				partial := it.Abort(buf)
				s := fmt.Sprintf("nil, \"closed\", %q", partial)
				buf = buf[len(partial):]
				return s
			}
		}
	}
	for range 6 {
		fmt.Println(call(4))
	}
	// Output:
	// "hell"
	// "o, w"
	// "orld"
	// " --"
	// nil, nil, nil
	// nil, "closed", "\n"
}
