package linux

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// maxCPU is the number of CPUs a unix.CPUSet can hold.
const maxCPU = len(unix.CPUSet{}) * 64

// PinToCPU restricts the calling OS thread to one CPU with
// sched_setaffinity(0, ...). The caller must hold the thread with
// runtime.LockOSThread, or the pin lands on whichever thread the goroutine
// happens to run on and other goroutines inherit it. The CPU must be one
// the process may use (see AllowedCPUs); otherwise the kernel answers
// EINVAL. Errors wrap ErrCPU for a number outside 0..1023.
func PinToCPU(cpu int) error {
	if cpu < 0 || cpu >= maxCPU {
		return fmt.Errorf("%w: %d", ErrCPU, cpu)
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return os.NewSyscallError("sched_setaffinity", err)
	}
	return nil
}

// CPUCount returns how many CPUs the calling thread may run on
// (sched_getaffinity), falling back to runtime.NumCPU. Call it before
// pinning: on a pinned thread it returns 1.
func CPUCount() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return runtime.NumCPU()
	}
	if n := set.Count(); n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// AllowedCPUs returns the numbers of the CPUs the calling thread may run
// on, ascending. Worker i should be pinned to AllowedCPUs()[i%len], not to
// CPU i: in a container or under taskset the allowed CPUs need not start
// at 0 nor be contiguous.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, os.NewSyscallError("sched_getaffinity", err)
	}
	cpus := make([]int, 0, set.Count())
	for cpu := 0; cpu < maxCPU; cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus, nil
}
