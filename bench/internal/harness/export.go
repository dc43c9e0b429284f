package harness

// ProcessCPU returns a process's user+system CPU time in seconds, all
// threads included, or 0 when the process is gone (/proc/<pid>/stat).
func ProcessCPU(pid int) float64 { return processCPU(pid) }

// CPUTimes returns, summed over CPUs cpuA and cpuB since boot, the time the
// hypervisor stole and the time any task spent in user or system mode, in
// seconds (/proc/stat). Differences of two calls bracket a window.
func CPUTimes(cpuA, cpuB int) (steal, busy float64) { return cpuTimes(cpuA, cpuB) }
