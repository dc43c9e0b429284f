package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/luring/luring/internal/testsrv"
	"github.com/luring/luring/server"
)

func TestVersionFlags(t *testing.T) {
	dir := t.TempDir()
	res := testsrv.Exec(t, dir, "-v")
	assert.Equal(t, 0, res.Code)
	assert.Equal(t, "luring version: luring/"+server.Version+"\n", res.Output)

	res = testsrv.Exec(t, dir, "-V")
	assert.Equal(t, 0, res.Code)
	assert.Contains(t, res.Output, "luring version: luring/"+server.Version+"\n")
	assert.Contains(t, res.Output, "io_uring")

	res = testsrv.Exec(t, dir, "-no-such-flag")
	assert.Equal(t, 2, res.Code)
	assert.Contains(t, res.Output, "flag provided but not defined: -no-such-flag")

	res = testsrv.Exec(t, dir, "-s", "bogus")
	assert.Equal(t, 1, res.Code)
	assert.Contains(t, res.Output, `invalid option: "-s bogus"`)
}

// testConf writes text as conf/NAME under a new prefix and runs luring -t
// on it with a relative -c (resolved against -p as nginx does).
func testConf(t *testing.T, name, text string, files map[string]string) (testsrv.Result, string) {
	t.Helper()
	s := testsrv.Prepare(t, testsrv.Options{Files: map[string]string{"conf/" + name: text}})
	for n, f := range files {
		s.WriteFile(n, f)
	}
	return testsrv.Exec(t, t.TempDir(), "-t", "-p", s.Prefix, "-c", "conf/"+name), s.Path("conf/" + name)
}

func TestConfigTest(t *testing.T) {
	good := config(19799, "", "", `
        location = /t {
            content_by_lua_block {
                ngx.say("ok")
            }
        }`)

	t.Run("ok", func(t *testing.T) {
		res, path := testConf(t, "nginx.conf", good, nil)
		assert.Equal(t, 0, res.Code, res.Output)
		assert.Equal(t,
			"luring: the configuration file "+path+" syntax is ok\n"+
				"luring: configuration file "+path+" test is successful\n", res.Output)
	})

	t.Run("warning", func(t *testing.T) {
		text := strings.Replace(good, "access_log off;", "access_log off;\n    lua_socket_send_lowat 1k;", 1)
		res, path := testConf(t, "nginx.conf", text, nil)
		assert.Equal(t, 0, res.Code, res.Output)
		assert.Equal(t,
			fmt.Sprintf("luring: [warn] \"lua_send_lowat\" is not supported, ignored in %s:%d\n", path, lineOf(text, "lua_socket_send_lowat"))+
				"luring: the configuration file "+path+" syntax is ok\n"+
				"luring: configuration file "+path+" test is successful\n", res.Output)
	})

	failed := func(t *testing.T, res testsrv.Result, path, msg string) {
		t.Helper()
		assert.Equal(t, 1, res.Code, res.Output)
		assert.Equal(t, "luring: [emerg] "+msg+"\n"+
			"luring: configuration file "+path+" test failed\n", res.Output)
	}

	t.Run("unknown directive", func(t *testing.T) {
		text := strings.Replace(good, "access_log off;", "access_log off;\n    foo bar;", 1)
		res, path := testConf(t, "nginx.conf", text, nil)
		failed(t, res, path, fmt.Sprintf(`unknown directive "foo" in %s:%d`, path, lineOf(text, "foo bar")))
	})

	t.Run("nginx directive luring lacks", func(t *testing.T) {
		text := strings.Replace(good, `ngx.say("ok")`, "", 1)
		text = strings.Replace(text, "content_by_lua_block {", "fastcgi_pass 127.0.0.1:1;\n            content_by_lua_block {", 1)
		res, path := testConf(t, "nginx.conf", text, nil)
		failed(t, res, path, fmt.Sprintf(`directive "fastcgi_pass" is not supported by luring yet in %s:%d`,
			path, lineOf(text, "fastcgi_pass")))
	})

	t.Run("lua syntax error", func(t *testing.T) {
		text := strings.Replace(good, `ngx.say("ok")`, `local x = = 1`, 1)
		res, path := testConf(t, "nginx.conf", text, nil)
		line := lineOf(text, "content_by_lua_block")
		assert.Equal(t, 1, res.Code, res.Output)
		assert.Contains(t, res.Output, fmt.Sprintf("luring: [emerg] failed to load inlined Lua code: content_by_lua(nginx.conf:%d):2: syntax error", line))
		assert.Contains(t, res.Output, fmt.Sprintf(" in %s:%d\n", path, line))
		assert.Contains(t, res.Output, "luring: configuration file "+path+" test failed\n")
	})

	t.Run("missing include", func(t *testing.T) {
		text := strings.Replace(good, "access_log off;", "access_log off;\n    include more.conf;", 1)
		res, path := testConf(t, "nginx.conf", text, nil)
		missing := filepath.Join(filepath.Dir(path), "more.conf")
		failed(t, res, path, fmt.Sprintf(`open() "%s" failed (2: No such file or directory) in %s:%d`,
			missing, path, lineOf(text, "include")))
	})

	t.Run("error in an included file", func(t *testing.T) {
		text := strings.Replace(good, "access_log off;", "access_log off;\n    include more.conf;", 1)
		res, path := testConf(t, "nginx.conf", text, map[string]string{"conf/more.conf": "\n\nbar;\n"})
		inc := filepath.Join(filepath.Dir(path), "more.conf")
		failed(t, res, path, fmt.Sprintf(`unknown directive "bar" in %s:3`, inc))
	})

	t.Run("missing file", func(t *testing.T) {
		dir := t.TempDir()
		res := testsrv.Exec(t, dir, "-t", "-p", dir, "-c", "conf/none.conf")
		path := filepath.Join(dir, "conf/none.conf")
		failed(t, res, path, fmt.Sprintf(`open() "%s" failed (2: No such file or directory)`, path))
	})
}
