package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/internal/testsrv"
)

// TestReloadUnderLoad reloads five times while a client keeps opening
// connections: every request is served, as with nginx. It needs the new
// workers to inherit the listening sockets (connections queued on them are
// not reset), a graceful Shutdown that serves connections accepted but not
// yet talking, and accepts that complete during a listener's cancel handed
// on rather than closed.
func TestReloadUnderLoad(t *testing.T) {
	const port = 19723
	text := config(port, "worker_processes 2;", "", slowLocations("v1"))
	s := testsrv.Start(t, testsrv.Options{Addr: addr(port), Conf: text})
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := c.Get("http://" + addr(port) + "/v")
			if err != nil {
				failed.Add(1)
				lastErr.Store(err.Error())
				continue
			}
			resp.Body.Close()
			ok.Add(1)
		}
	}()
	for i := 0; i < 5; i++ {
		s.WriteFile("conf/nginx.conf", strings.Replace(text, `"v1"`, fmt.Sprintf(`"v%d"`, i+2), 1))
		n := strings.Count(s.ErrorLog(), "reconfigured")
		s.Signal(syscall.SIGHUP)
		require.True(t, testsrv.Until(testsrv.ExitTimeout, func() bool {
			return strings.Count(s.ErrorLog(), "reconfigured") > n
		}))
	}
	close(stop)
	<-done
	assert.Zero(t, failed.Load(), "%d requests failed (last: %v), %d served", failed.Load(), lastErr.Load(), ok.Load())
}
