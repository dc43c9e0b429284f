package conf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree creates files (relative path -> content) under a temp dir and
// returns the dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func TestInclude(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, dir string, cfg *Config, err error)
	}{
		{
			name: "glob sorted, relative to conf dir",
			files: map[string]string{
				"conf/nginx.conf":       "events {}\nhttp {\n    include sites/*.conf;\n}\n",
				"conf/sites/b.conf":     "server { server_name b; }\n",
				"conf/sites/a.conf":     "server { server_name a; }\n",
				"conf/sites/c.conf.off": "bogus;\n",
				"conf/sites/sub/z.conf": "bogus;\n",
			},
			check: func(t *testing.T, dir string, cfg *Config, err error) {
				require.NoError(t, err)
				require.Len(t, cfg.HTTP.Servers, 2)
				assert.Equal(t, "a", cfg.HTTP.Servers[0].Names[0].Name)
				assert.Equal(t, "b", cfg.HTTP.Servers[1].Names[0].Name)
				assert.Equal(t, filepath.Join(dir, "conf/sites/a.conf"), cfg.HTTP.Servers[0].File)
				assert.Equal(t, 1, cfg.HTTP.Servers[0].Line)
			},
		},
		{
			name: "glob matching nothing is fine",
			files: map[string]string{
				"conf/nginx.conf": "include none/*.conf;\nevents {}\n",
			},
			check: func(t *testing.T, _ string, cfg *Config, err error) {
				require.NoError(t, err)
				assert.Nil(t, cfg.HTTP)
			},
		},
		{
			name: "missing plain include",
			files: map[string]string{
				"conf/nginx.conf": "events {}\nhttp {\n\n    include mime.types;\n}\n",
			},
			check: func(t *testing.T, dir string, _ *Config, err error) {
				assert.EqualError(t, err, `[emerg] open() "`+filepath.Join(dir, "conf/mime.types")+
					`" failed (2: No such file or directory) in `+filepath.Join(dir, "conf/nginx.conf")+`:4`)
			},
		},
		{
			name: "absolute include and chunk name relative to conf prefix",
			files: map[string]string{
				"conf/nginx.conf":   "events {}\nhttp { server { include lua/loc.conf; } }\n",
				"conf/lua/loc.conf": "\nlocation /x {\n    content_by_lua_block { ngx.say(1) }\n}\n",
			},
			check: func(t *testing.T, _ string, cfg *Config, err error) {
				require.NoError(t, err)
				loc, _ := cfg.HTTP.Servers[0].Match("/x")
				require.NotNil(t, loc)
				assert.Equal(t, "=content_by_lua(lua/loc.conf:3)", loc.Content.ChunkName)
			},
		},
		{
			name: "errors name the included file",
			files: map[string]string{
				"conf/nginx.conf": "events {}\nhttp {\n    include extra.conf;\n}\n",
				"conf/extra.conf": "\n\nfoo;\n",
			},
			check: func(t *testing.T, dir string, _ *Config, err error) {
				assert.EqualError(t, err, `[emerg] unknown directive "foo" in `+filepath.Join(dir, "conf/extra.conf")+`:3`)
			},
		},
		{
			name: "included file context is the includer's",
			files: map[string]string{
				"conf/nginx.conf": "events {}\nhttp {\n    include s.conf;\n}\n",
				"conf/s.conf":     "listen 80;\n",
			},
			check: func(t *testing.T, dir string, _ *Config, err error) {
				assert.EqualError(t, err, `[emerg] "listen" directive is not allowed here in `+filepath.Join(dir, "conf/s.conf")+`:1`)
			},
		},
		{
			name: "stray brace in included file",
			files: map[string]string{
				"conf/nginx.conf": "events {}\nhttp {\n    include s.conf;\n}\n",
				"conf/s.conf":     "}\n",
			},
			check: func(t *testing.T, dir string, _ *Config, err error) {
				assert.EqualError(t, err, `[emerg] unexpected "}" in `+filepath.Join(dir, "conf/s.conf")+`:1`)
			},
		},
		{
			name: "self include is bounded",
			files: map[string]string{
				"conf/nginx.conf": "events {}\ninclude loop.conf;\n",
				"conf/loop.conf":  "include loop.conf;\n",
			},
			check: func(t *testing.T, dir string, _ *Config, err error) {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "include nesting is deeper than 64 levels")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			cfg, err := Load("conf/nginx.conf", dir)
			tt.check(t, dir, cfg, err)
		})
	}
}

func TestParseFileTree(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf": "a;\ninclude x/*.conf;\nb { c; }\n",
		"x/1.conf":   "one 1;\n",
		"x/2.conf":   "two_by_lua_block { }\n",
		"x/skip.txt": "nope;\n",
	})
	tree, err := ParseFile(filepath.Join(dir, "nginx.conf"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "one|1", "two_by_lua_block<lua:01> ", "b", "  c"}, flat(tree, ""))
}
