package linux

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestAllowedCPUs(t *testing.T) {
	cpus, err := AllowedCPUs()
	require.NoError(t, err)
	require.NotEmpty(t, cpus)
	assert.Len(t, cpus, CPUCount())
	assert.IsIncreasing(t, cpus)
	assert.LessOrEqual(t, CPUCount(), runtime.NumCPU())
}

// The brief asks for CPU 0; the test pins to the first allowed CPU, which
// is CPU 0 unless the test itself runs under a cpuset or taskset that
// excludes it.
func TestPinToCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &old))
	defer func() { require.NoError(t, unix.SchedSetaffinity(0, &old)) }()

	cpus, err := AllowedCPUs()
	require.NoError(t, err)
	cpu := cpus[0]
	require.NoError(t, PinToCPU(cpu))

	var got unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &got))
	assert.Equal(t, 1, got.Count())
	assert.True(t, got.IsSet(cpu), "pinned to CPU %d", cpu)
	assert.Equal(t, 1, CPUCount(), "the pinned thread sees one CPU")

	require.NoError(t, unix.SchedSetaffinity(0, &old))
	assert.Equal(t, old.Count(), CPUCount())
}

func TestPinToCPUErrors(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &before))

	require.ErrorIs(t, PinToCPU(-1), ErrCPU)
	require.ErrorIs(t, PinToCPU(maxCPU), ErrCPU)

	cpus, err := AllowedCPUs()
	require.NoError(t, err)
	require.Less(t, cpus[len(cpus)-1], maxCPU-1, "this machine must not allow CPU 1023")
	err = PinToCPU(maxCPU - 1)
	require.ErrorIs(t, err, unix.EINVAL, "a CPU outside the allowed set")

	var after unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &after))
	assert.Equal(t, before, after, "failed pins change nothing")
}
