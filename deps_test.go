package luring_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// allowed names, per package, the luring packages it may import (directly
// or not), following the table in docs/architecture.md.
var allowed = map[string][]string{
	"ring":       {},
	"linux":      {},
	"loop":       {"ring", "linux"},
	"conf":       {},
	"httpd":      {"ring", "linux", "loop", "conf"},
	"lvm":        {"ring", "linux", "loop", "lvm/luapat"},
	"cosocket":   {"ring", "linux", "loop", "cosocket/resolve"},
	"reqsock":    {"ring", "linux", "loop", "conf", "httpd", "cosocket", "cosocket/resolve"},
	"ngx":        {"ring", "linux", "loop", "conf", "httpd", "lvm", "lvm/luapat", "cosocket", "cosocket/resolve", "reqsock"},
	"server":     {"ring", "linux", "loop", "conf", "httpd", "lvm", "lvm/luapat", "cosocket", "cosocket/resolve", "reqsock", "ngx"},
	"cmd/luring": {"ring", "linux", "loop", "conf", "httpd", "lvm", "lvm/luapat", "cosocket", "cosocket/resolve", "reqsock", "ngx", "server"},

	"lvm/luapat":               {},
	"cosocket/resolve":         {},
	"cosocket/resolve/dnstest": {"cosocket/resolve"},
}

// TestImportsPointDown fails when a package imports one above it in the
// architecture's table.
func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/luring/luring/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...").Output()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		ok, known := allowed[pkg]
		if !known {
			continue // examples, tools
		}
		for _, dep := range fields[1:] {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			require.Contains(t, ok, d, "%s must not import %s (see docs/architecture.md)", pkg, d)
		}
	}
}
