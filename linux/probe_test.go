package linux

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRelease(t *testing.T) {
	for _, tc := range []struct {
		release             string
		major, minor, patch int
	}{
		{"6.18.44-fc-v669", 6, 18, 44},
		{"5.4.0-150-generic", 5, 4, 0},
		{"4.19.0", 4, 19, 0},
		{"6.1", 6, 1, 0},
		{"5.15.0+", 5, 15, 0},
		{"6.6.0-rc3", 6, 6, 0},
		{"3.10.0-1160.el7.x86_64", 3, 10, 0},
		{"6.8.0.1.2", 6, 8, 0},
	} {
		t.Run(tc.release, func(t *testing.T) {
			major, minor, patch, err := parseRelease(tc.release)
			require.NoError(t, err)
			assert.Equal(t, [3]int{tc.major, tc.minor, tc.patch}, [3]int{major, minor, patch})
		})
	}
}

func TestParseReleaseErrors(t *testing.T) {
	for _, release := range []string{"", "6", "6.", "v6.1", "six.one", "6-rc1", "99999999999999999999.1"} {
		_, _, _, err := parseRelease(release)
		assert.Error(t, err, "%q", release)
	}
}

func TestKernelVersion(t *testing.T) {
	major, minor, patch, err := KernelVersion()
	require.NoError(t, err)
	assert.GreaterOrEqual(t, major, 3)
	assert.GreaterOrEqual(t, minor, 0)
	assert.GreaterOrEqual(t, patch, 0)

	assert.True(t, KernelAtLeast(major, minor))
	assert.True(t, KernelAtLeast(major, 0))
	assert.True(t, KernelAtLeast(major-1, 99))
	assert.False(t, KernelAtLeast(major, minor+1))
	assert.False(t, KernelAtLeast(major+1, 0))
}

func TestReadProcInt(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	for _, tc := range []struct {
		name  string
		path  string
		value int
		known bool
	}{
		{"sysctl with newline", write("two", "2\n"), 2, true},
		{"no newline", write("zero", "0"), 0, true},
		{"garbage", write("junk", "on\n"), 0, false},
		{"empty", write("empty", ""), 0, false},
		{"missing", filepath.Join(dir, "missing"), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := readProcInt(tc.path)
			assert.Equal(t, tc.value, v)
			assert.Equal(t, tc.known, ok)
		})
	}
}

// On this machine (Linux 6.18) the sysctl exists; compare with the file.
func TestIOUringDisabled(t *testing.T) {
	b, err := os.ReadFile(ioUringDisabledPath)
	require.NoError(t, err, "kernel.io_uring_disabled exists since 6.6")
	v, known := IOUringDisabled()
	require.True(t, known)
	assert.Equal(t, strings.TrimSpace(string(b)), strconv.Itoa(v))
	assert.Contains(t, []int{0, 1, 2}, v)
}

func TestSomaxConn(t *testing.T) {
	want, ok := readProcInt(somaxconnPath)
	require.True(t, ok)
	assert.Equal(t, want, SomaxConn())
	assert.Positive(t, SomaxConn())
}
