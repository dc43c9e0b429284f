package ring

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// stormPeriod is the pace of signalStorm's signals.
const stormPeriod = 200 * time.Microsecond

// signalStorm locks the calling goroutine (the test goroutine) to its OS
// thread and sends that thread SIGURG every stormPeriod until the test ends,
// as the Go runtime does when it preempts: every blocking syscall the thread
// makes meanwhile is interrupted (EINTR) again and again. The runtime's
// handler takes a stray SIGURG as a no-op. Before it returns it proves that
// the storm reaches the thread: a bare epoll_wait comes back with EINTR.
func signalStorm(t *testing.T) {
	t.Helper()
	runtime.LockOSThread()
	pid, tid := unix.Getpid(), unix.Gettid()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(stormPeriod)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = unix.Tgkill(pid, tid, unix.SIGURG) // ESRCH after the thread exits
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-stopped
		runtime.UnlockOSThread()
	})

	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	require.NoError(t, err)
	defer unix.Close(epfd)
	events := make([]unix.EpollEvent, 1)
	deadline := time.Now().Add(testWait)
	for {
		_, err := unix.EpollWait(epfd, events, 50)
		if err == unix.EINTR {
			return
		}
		require.NoError(t, err)
		require.True(t, time.Now().Before(deadline), "no signal interrupted epoll_wait within %v", testWait)
	}
}
