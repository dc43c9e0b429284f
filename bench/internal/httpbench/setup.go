package httpbench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Reference files that must exist besides the nginx and wrk commands.
var referenceFiles = []string{
	"/usr/lib/nginx/modules/ndk_http_module.so",
	"/usr/lib/nginx/modules/ngx_http_lua_module.so",
	"/usr/lib/nginx/modules/ngx_http_echo_module.so",
	"/usr/share/lua/5.1/resty/core.lua",
}

// referencePackages are the Debian packages of the reference and wrk.
var referencePackages = []string{"nginx", "libnginx-mod-http-lua", "libnginx-mod-http-echo", "lua-resty-core", "wrk"}

// missingReference lists what of the reference is missing.
func missingReference() []string {
	var missing []string
	for _, c := range []string{"nginx", "wrk"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	for _, f := range referenceFiles {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	return missing
}

// EnsureReference installs nginx, the lua module, lua-resty-core and wrk
// with apt-get when any of them is missing, printing what it does to log.
// Nothing is installed when all are present.
func EnsureReference(log io.Writer) error {
	missing := missingReference()
	if len(missing) == 0 {
		fmt.Fprintf(log, "reference present (%s); skipping apt-get\n", strings.Join(referencePackages, ", "))
		return nil
	}
	fmt.Fprintf(log, "reference incomplete, missing: %s\n", strings.Join(missing, ", "))
	var prefix []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return errors.New("not root and no sudo: install " + strings.Join(referencePackages, " ") + " by hand")
		}
		prefix = []string{"sudo"}
	}
	for _, args := range [][]string{
		{"apt-get", "update"},
		append([]string{"apt-get", "install", "-y"}, referencePackages...),
	} {
		args = append(prefix, args...)
		fmt.Fprintf(log, "+ %s\n", strings.Join(args, " "))
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
		}
	}
	if m := missingReference(); len(m) > 0 {
		return fmt.Errorf("still missing after apt-get: %s", strings.Join(m, ", "))
	}
	return nil
}

// RepoRoot returns the luring repository root: the nearest directory at
// or above dir whose go.mod declares module github.com/luring/luring.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.TrimSpace(l) == "module github.com/luring/luring" {
					return dir, nil
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the luring repository (no go.mod with module github.com/luring/luring above the current directory)")
		}
		dir = parent
	}
}

// goCmd returns the go command to use ($GO or go).
func goCmd() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// BuildLuring builds root/bin/luring and returns its path.
func BuildLuring(root string, log io.Writer) (string, error) {
	out := filepath.Join(root, "bin", "luring")
	args := []string{"build", "-ldflags=-checklinkname=0", "-o", out, "./cmd/luring"}
	fmt.Fprintf(log, "+ (cd %s && %s %s)\n", root, goCmd(), strings.Join(args, " "))
	cmd := exec.Command(goCmd(), args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building luring: %v\n%s", err, b)
	}
	return out, nil
}

// BuildBackend builds bench/cmd/http-backend into dir and returns its path.
func BuildBackend(root, dir string) (string, error) {
	out := filepath.Join(dir, "http-backend")
	cmd := exec.Command(goCmd(), "build", "-o", out, "./cmd/http-backend")
	cmd.Dir = filepath.Join(root, "bench")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building http-backend: %v\n%s", err, b)
	}
	return out, nil
}

// MachineInfo describes the machine in one line: CPU model, CPU count,
// kernel.
func MachineInfo() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d CPUs, %s", model, runtime.NumCPU(), kernel)
}

// ReferenceVersion returns nginx's version and the lua module package's.
func ReferenceVersion(nginx string) string {
	out, _ := exec.Command(nginx, "-v").CombinedOutput()
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: "))
	if b, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "libnginx-mod-http-lua").Output(); err == nil {
		v += " + libnginx-mod-http-lua " + string(bytes.TrimSpace(b))
	}
	return v
}

// WrkVersion returns wrk's version line.
func WrkVersion(wrk string) string {
	out, _ := exec.Command(wrk, "-v").CombinedOutput()
	l, _, _ := strings.Cut(string(out), "\n")
	l = strings.TrimPrefix(strings.TrimSpace(l), "wrk ")
	if i := strings.Index(l, " ["); i > 0 {
		l = l[:i]
	}
	return l
}
