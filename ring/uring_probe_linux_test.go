package ring

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestProbe(t *testing.T) {
	rep, err := Probe()
	require.NoError(t, err)
	require.True(t, rep.Usable, "io_uring unusable here: %s", rep.Reason)
	assert.Empty(t, rep.Reason)
	assert.NotEmpty(t, rep.Kernel)
	for _, op := range []string{"accept", "recv", "send", "sendmsg", "connect", "close",
		"timeout", "async_cancel", "shutdown", "provide_buffers", "read"} {
		assert.True(t, rep.Supports(op), op)
	}
	assert.False(t, rep.Supports("no_such_op"))
	assert.True(t, rep.Features.MultishotAccept)
	s := rep.String()
	assert.Contains(t, s, "io_uring: usable")
	assert.Contains(t, s, "+accept")
}

func TestExplainSetupError(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		disabled int
		want     string
	}{
		{"enosys", unix.ENOSYS, -1, "kernel older than 5.1"},
		{"sysctl 2", unix.EPERM, 2, "kernel.io_uring_disabled=2"},
		{"sysctl 1", unix.EPERM, 1, "kernel.io_uring_group"},
		{"seccomp", fmt.Errorf("io_uring_setup: %w", unix.EPERM), 0, "seccomp"},
		{"eacces", unix.EACCES, -1, "seccomp"},
		{"memlock", unix.ENOMEM, 0, "RLIMIT_MEMLOCK"},
		{"old kernel", fmt.Errorf("%w: opcode send missing", errUringTooOld), 0, "older than 5.6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, explainSetupError(tt.err, tt.disabled), tt.want)
		})
	}
}

func TestChooseBackend(t *testing.T) {
	tests := []struct {
		name     string
		opt      Backend
		env      string
		want     Backend
		explicit bool
		fails    bool
	}{
		{"default is io_uring", BackendAuto, "", BackendUring, false, false},
		{"env epoll", BackendAuto, "epoll", BackendEpoll, false, false},
		{"env io_uring", BackendAuto, "io_uring", BackendUring, true, false},
		{"env uring", BackendAuto, "uring", BackendUring, true, false},
		{"env case and space", BackendAuto, " EPOLL ", BackendEpoll, false, false},
		{"env unknown", BackendAuto, "kqueue", "", false, true},
		{"option beats env", BackendEpoll, "io_uring", BackendEpoll, false, false},
		{"option io_uring", BackendUring, "epoll", BackendUring, true, false},
		{"option unknown", Backend("select"), "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, explicit, err := chooseBackend(tt.opt, tt.env)
			if tt.fails {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, b)
			assert.Equal(t, tt.explicit, explicit)
		})
	}
}

// fakeRing stands for the epoll backend in fallback tests.
type fakeRing struct{ Ring }

func (fakeRing) Backend() Backend { return BackendEpoll }

// stubBackends replaces the backend constructors for one test.
func stubBackends(t *testing.T, uringErr error) *int {
	t.Helper()
	epollOpened := new(int)
	oldU, oldE := openUringFn, openEpollFn
	t.Cleanup(func() { openUringFn, openEpollFn = oldU, oldE })
	openUringFn = func(Options) (Ring, error) { return nil, uringErr }
	openEpollFn = func(Options) (Ring, error) { *epollOpened++; return fakeRing{}, nil }
	return epollOpened
}

func TestNewFallsBackWhenRefused(t *testing.T) {
	for _, refusal := range []error{unix.EPERM, unix.ENOSYS, unix.EACCES, errUringTooOld} {
		t.Run(refusal.Error(), func(t *testing.T) {
			t.Setenv(EnvBackend, "")
			opened := stubBackends(t, fmt.Errorf("io_uring_setup: %w", refusal))
			r, note, err := New(Options{})
			require.NoError(t, err)
			assert.Equal(t, BackendEpoll, r.Backend())
			assert.Equal(t, 1, *opened)
			assert.Contains(t, note, "io_uring unavailable: ")
			assert.Contains(t, note, "; using epoll")
		})
	}
}

func TestNewExplicitUringFailureIsAnError(t *testing.T) {
	t.Setenv(EnvBackend, "io_uring")
	opened := stubBackends(t, fmt.Errorf("io_uring_setup: %w", unix.EPERM))
	_, _, err := New(Options{})
	require.Error(t, err)
	assert.ErrorIs(t, err, unix.EPERM)
	assert.Zero(t, *opened, "no fallback when io_uring was asked for")

	t.Setenv(EnvBackend, "")
	_, _, err = New(Options{Backend: BackendUring})
	assert.ErrorIs(t, err, unix.EPERM)
	assert.Zero(t, *opened)
}

func TestNewOtherUringErrorsDoNotFallBack(t *testing.T) {
	t.Setenv(EnvBackend, "")
	opened := stubBackends(t, fmt.Errorf("io_uring_setup: %w", unix.EFAULT))
	_, _, err := New(Options{})
	assert.ErrorIs(t, err, unix.EFAULT)
	assert.Zero(t, *opened)
}

func TestNewEpollRequested(t *testing.T) {
	t.Setenv(EnvBackend, "epoll")
	opened := stubBackends(t, errors.New("io_uring must not be tried"))
	r, note, err := New(Options{})
	require.NoError(t, err)
	assert.Equal(t, BackendEpoll, r.Backend())
	assert.Equal(t, 1, *opened)
	assert.Equal(t, "using epoll (requested)", note)
}

func TestNewUringForReal(t *testing.T) {
	t.Setenv(EnvBackend, "io_uring")
	r, note, err := New(Options{Entries: 8})
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, BackendUring, r.Backend())
	assert.Equal(t, "using io_uring", note)
}
