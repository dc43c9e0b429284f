package httpbench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// readLines delivers r's lines on a channel, closed at EOF.
func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}()
	return ch
}

// errEOF is returned by nextLine when the output has ended.
var errEOF = errors.New("output ended")

// nextLine returns the next line from ch, waiting at most timeout.
func nextLine(ch <-chan string, timeout time.Duration) (string, error) {
	select {
	case l, ok := <-ch:
		if !ok {
			return "", errEOF
		}
		return l, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("no output for %v", timeout)
	}
}
