package server

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A generation reads the hosts file once for all its workers; a reload
// keeps the table while the file is unchanged and reads it again once it
// changed.
func TestLoadHostsPerGeneration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, os.WriteFile(path, []byte("10.0.0.1 db.test\n"), 0o644))
	first, err := loadHosts(path, nil)
	require.NoError(t, err)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.1")}, first.Lookup("db.test"))

	again, err := loadHosts(path, first)
	require.NoError(t, err)
	assert.Same(t, first, again, "an unchanged file is not read again")

	require.NoError(t, os.WriteFile(path, []byte("10.0.0.2 db.test\n10.0.0.3 cache.test\n"), 0o644))
	later := time.Now().Add(time.Second)
	require.NoError(t, os.Chtimes(path, later, later))
	changed, err := loadHosts(path, first)
	require.NoError(t, err)
	assert.NotSame(t, first, changed)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.2")}, changed.Lookup("db.test"))

	_, err = loadHosts(t.TempDir(), nil) // a directory: unreadable
	assert.Error(t, err)
}
