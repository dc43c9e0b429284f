package harness

import (
	"io"
	"time"
)

// ProcessCPU returns a process's user+system CPU time in seconds, all
// threads included, or 0 when the process is gone (/proc/<pid>/stat).
func ProcessCPU(pid int) float64 { return processCPU(pid) }

// CPUTimes returns, summed over CPUs cpuA and cpuB since boot, the time the
// hypervisor stole and the time any task spent in user or system mode, in
// seconds (/proc/stat). Differences of two calls bracket a window.
func CPUTimes(cpuA, cpuB int) (steal, busy float64) { return cpuTimes(cpuA, cpuB) }

// ReadLines delivers r's lines on a channel that is closed at EOF (one
// goroutine per child process's output).
func ReadLines(r io.Reader) <-chan string { return readLines(r) }

// NextLine returns the next line from ch, waiting at most timeout;
// ErrOutputEnded once the output has ended.
func NextLine(ch <-chan string, timeout time.Duration) (string, error) { return nextLine(ch, timeout) }

// ErrOutputEnded is NextLine's error when the output has ended.
var ErrOutputEnded = errEOF
