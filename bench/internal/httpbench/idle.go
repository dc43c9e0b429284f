package httpbench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// VmRSSKiB returns a process's resident set size in KiB (VmRSS in
// /proc/<pid>/status), or 0 when it cannot be read.
func VmRSSKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	return 0
}

// RaiseNoFile sets RLIMIT_NOFILE's soft limit to at least want (raising the
// hard limit too when allowed), for this process and the servers it starts:
// an explicit Setrlimit is inherited by children, where Go's own start-up
// raise is not. It returns the soft limit in force.
func RaiseNoFile(want uint64) (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Max < want {
		up := unix.Rlimit{Cur: want, Max: want}
		if unix.Setrlimit(unix.RLIMIT_NOFILE, &up) == nil {
			return want, nil
		}
	}
	lim.Cur = min(max(lim.Cur, want), lim.Max)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// IdleRun is one idle keep-alive measurement.
type IdleRun struct {
	Conns        int     `json:"conns"`          // connections held open
	RSSBeforeKiB int64   `json:"rss_before_kib"` // server VmRSS before opening them
	RSSAfterKiB  int64   `json:"rss_after_kib"`  // VmRSS with all of them idle
	BytesPerConn float64 `json:"bytes_per_conn"` // (after - before) / conns
}

// requestBytes is w's request on the wire, keep-alive.
func requestBytes(w Workload, port int) ([]byte, error) {
	req, err := http.NewRequest(w.method(), fmt.Sprintf("http://127.0.0.1:%d%s", port, w.Path), bytes.NewReader([]byte(w.Body())))
	if err != nil {
		return nil, err
	}
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Idle opens n keep-alive connections to srv, each of which sends w's
// request once, reads the whole response and then stays open and idle; it
// compares the server's VmRSS before and after and closes them (with
// SO_LINGER 0, so that no TIME_WAIT is left behind to exhaust ports).
func Idle(srv *Proc, w Workload, n int, settle time.Duration) (IdleRun, error) {
	req, err := requestBytes(w, srv.Port)
	if err != nil {
		return IdleRun{}, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", srv.Port)
	// Warm the server's allocator and Lua handler on one connection first.
	if c, err := open(addr, req); err != nil {
		return IdleRun{}, fmt.Errorf("idle warm-up: %w", err)
	} else {
		closeReset(c)
	}
	time.Sleep(settle)
	res := IdleRun{Conns: n, RSSBeforeKiB: VmRSSKiB(srv.Pid())}

	conns := make([]net.Conn, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	const dialers = 32
	for d := 0; d < dialers; d++ {
		wg.Add(1)
		go func(d int) {
			defer wg.Done()
			for i := d; i < n; i += dialers {
				c, err := open(addr, req)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("idle connection %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				conns[i] = c
			}
		}(d)
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				closeReset(c)
			}
		}
	}()
	if firstErr != nil {
		return res, firstErr
	}
	time.Sleep(settle)
	res.RSSAfterKiB = VmRSSKiB(srv.Pid())
	res.BytesPerConn = float64(res.RSSAfterKiB-res.RSSBeforeKiB) * 1024 / float64(n)
	// Every connection must still be open: a server that dropped idle
	// connections would look cheap.
	var buf [1]byte
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(buf[:]); err == nil || !isTimeout(err) {
			return res, fmt.Errorf("idle connection %d was closed by the server (%v)", i, err)
		}
	}
	return res, nil
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// open connects, sends req and reads one whole response.
func open(addr string, req []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	if err == nil && br.Buffered() > 0 {
		err = fmt.Errorf("%d bytes after the response", br.Buffered())
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// closeReset closes c with SO_LINGER 0 (an RST, no TIME_WAIT).
func closeReset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
