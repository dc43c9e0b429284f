package linux

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests change a process-wide limit, so none of this package's tests
// run in parallel.

func TestNoFile(t *testing.T) {
	cur, max := NoFile()
	var l unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &l))
	assert.Equal(t, l.Cur, cur)
	assert.Equal(t, l.Max, max)
	assert.NotZero(t, cur)
	assert.LessOrEqual(t, cur, max)
}

func TestSetNoFileProvokesEMFILE(t *testing.T) {
	before, _ := NoFile()
	// The lowest free descriptor number is what the next socket gets;
	// with the limit at that number, the next socket must fail.
	probe, err := Socket(unix.AF_INET)
	require.NoError(t, err)
	require.NoError(t, unix.Close(probe))

	restore, err := SetNoFile(uint64(probe))
	require.NoError(t, err)
	t.Cleanup(restore) // also on a failed assertion; restoring twice is harmless
	cur, _ := NoFile()
	assert.Equal(t, uint64(probe), cur)

	_, err = Socket(unix.AF_INET)
	require.ErrorIs(t, err, unix.EMFILE)
	_, err = Listen("tcp4", "127.0.0.1:0", ListenOptions{})
	require.ErrorIs(t, err, unix.EMFILE)

	restore()
	cur, _ = NoFile()
	assert.Equal(t, before, cur, "restored")
	fd, err := Socket(unix.AF_INET)
	require.NoError(t, err)
	require.NoError(t, unix.Close(fd))
}

// The soft limit may never exceed the hard one, even for root. (The hard
// limit of RLIMIT_NOFILE is finite: the kernel caps it at fs.nr_open.)
func TestSetNoFileAboveHard(t *testing.T) {
	_, max := NoFile()
	require.Less(t, max, uint64(unix.RLIM_INFINITY))
	restore, err := SetNoFile(max + 1)
	require.ErrorIs(t, err, unix.EINVAL)
	assert.Nil(t, restore)
}

func TestRaiseNoFile(t *testing.T) {
	orig, max := NoFile()
	restore, err := SetNoFile(max / 2)
	require.NoError(t, err)
	t.Cleanup(restore)

	cur, gotMax, err := RaiseNoFile()
	require.NoError(t, err)
	assert.Equal(t, max, cur, "soft raised to hard")
	assert.Equal(t, max, gotMax)
	now, _ := NoFile()
	assert.Equal(t, max, now)

	restore()
	now, _ = NoFile()
	assert.Equal(t, orig, now)
}
