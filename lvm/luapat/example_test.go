package luapat_test

import (
	"fmt"

	"github.com/luring/luring/lvm/luapat"
)

// Compile once, then match many subjects with one Matcher.
func Example() {
	p, err := luapat.Compile("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
	if err != nil {
		panic(err)
	}
	var m luapat.Matcher
	for _, line := range []string{"Content-Length: 1234", "Host: example.com"} {
		start, end, err := m.Find(p, line, 0)
		if err != nil || start < 0 {
			fmt.Printf("%q: no match\n", line)
			continue
		}
		cs, ce := m.Capture(0)
		fmt.Printf("%q: [%d,%d) length %s\n", line, start, end, line[cs:ce])
	}
	_, err = luapat.Compile("(%d+")
	fmt.Println(err)
	// Output:
	// "Content-Length: 1234": [0,20) length 1234
	// "Host: example.com": no match
	// unfinished capture at EOS
}
