package linux

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Files read by the probes.
const (
	ioUringDisabledPath = "/proc/sys/kernel/io_uring_disabled"
	somaxconnPath       = "/proc/sys/net/core/somaxconn"
)

// KernelVersion returns the running kernel's version from uname(2), e.g.
// 6, 18, 44 for "6.18.44-fc-v669". A missing patch level is 0.
func KernelVersion() (major, minor, patch int, err error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return 0, 0, 0, os.NewSyscallError("uname", err)
	}
	return parseRelease(unix.ByteSliceToString(u.Release[:]))
}

// KernelAtLeast reports whether the running kernel is major.minor or
// newer. It returns false when the version cannot be read.
func KernelAtLeast(major, minor int) bool {
	ma, mi, _, err := KernelVersion()
	if err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// parseRelease reads "major.minor[.patch]" from the start of a uname
// release string; whatever follows (e.g. "-150-generic", "+") is ignored.
func parseRelease(release string) (major, minor, patch int, err error) {
	var nums [3]int
	rest := release
	n := 0
	for n < len(nums) {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			break
		}
		v, err := strconv.Atoi(rest[:i])
		if err != nil {
			return 0, 0, 0, fmt.Errorf("linux: kernel release %q: %w", release, err)
		}
		nums[n] = v
		n++
		rest = rest[i:]
		if len(rest) == 0 || rest[0] != '.' {
			break
		}
		rest = rest[1:]
	}
	if n < 2 {
		return 0, 0, 0, fmt.Errorf("linux: kernel release %q is not major.minor[.patch]", release)
	}
	return nums[0], nums[1], nums[2], nil
}

// IOUringDisabled returns the value of the kernel.io_uring_disabled
// sysctl: 0 allows io_uring, 1 allows it only for the io_uring_group
// (and CAP_SYS_ADMIN), 2 forbids it. known is false when the file is
// missing (kernels before 6.6 have no such switch) or unreadable.
func IOUringDisabled() (value int, known bool) {
	return readProcInt(ioUringDisabledPath)
}

// SomaxConn returns net.core.somaxconn, the kernel's cap on a listen
// backlog, or unix.SOMAXCONN (the default since Linux 5.4) when it
// cannot be read.
func SomaxConn() int {
	if v, ok := readProcInt(somaxconnPath); ok && v > 0 {
		return v
	}
	return unix.SOMAXCONN
}

// readProcInt reads a file holding one decimal integer, like a sysctl.
func readProcInt(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false
	}
	return v, true
}
