package linux

import (
	"os"

	"golang.org/x/sys/unix"
)

// NoFile returns the process's RLIMIT_NOFILE soft (cur) and hard (max)
// limits, or 0, 0 if getrlimit fails.
func NoFile() (cur, max uint64) {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0
	}
	return l.Cur, l.Max
}

// RaiseNoFile raises the RLIMIT_NOFILE soft limit to the hard limit and
// returns the limits in force afterwards. The Go runtime already does this
// at start-up (Go 1.19+), so it usually changes nothing; luring calls it
// anyway so that the limit is explicit and can be logged.
func RaiseNoFile() (cur, max uint64, err error) {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, os.NewSyscallError("getrlimit", err)
	}
	if l.Cur < l.Max {
		want := unix.Rlimit{Cur: l.Max, Max: l.Max}
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
			return l.Cur, l.Max, os.NewSyscallError("setrlimit", err)
		}
		l = want
	}
	return l.Cur, l.Max, nil
}

// SetNoFile sets the RLIMIT_NOFILE soft limit to n (at most the hard
// limit) and returns a function that puts the previous soft limit back.
// It is meant for tests that provoke EMFILE: with the limit at n, any new
// descriptor numbered n or higher fails, and descriptors already open stay
// open. The limit is process-wide, so such tests must not run in parallel.
func SetNoFile(n uint64) (restore func(), err error) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		return nil, os.NewSyscallError("getrlimit", err)
	}
	want := unix.Rlimit{Cur: n, Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		return nil, os.NewSyscallError("setrlimit", err)
	}
	return func() { _ = unix.Setrlimit(unix.RLIMIT_NOFILE, &old) }, nil
}
