package resolve

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsOnlyStdlib holds the package to its place: cosocket imports
// it, and it imports nothing but the standard library.
func TestImportsOnlyStdlib(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Deps "\n"}}`, ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		require.NotContains(t, first, ".", "resolve must import only the standard library, not %s", dep)
	}
}
