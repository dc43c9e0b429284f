package conf

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must never panic, and
// every failure must be an *Error.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		openrestyTestConf,
		matchConf,
		selectConf,
		"events {}\nhttp { server { location / { content_by_lua_block { local t = { {}, {} } ngx.say(\"}\") --[[ } ]] } } } }",
		"a \"b\\\"c\" 'd' ${e} $1;",
		"x_by_lua_block { [==[ ]] ]==] -- }\n }",
		"events {} http { server { listen [::1]:80 default_server; server_name ~^(?<a>.+)$ *.x .y z.*; return 301 https://$host; set $a $1; } }",
		"include none/*.conf;",
		"}",
		"\"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := Parse("/nonexistent/conf/nginx.conf", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, not *Error: %v", err, err)
			}
			return
		}
		if cfg.HTTP != nil {
			for _, s := range cfg.HTTP.Servers {
				s.Match("/")
				s.Match("/a/b.php")
				cfg.HTTP.SelectServer("0.0.0.0:80", "example.com")
			}
		}
		if _, err := ParseTree("/nonexistent/conf/nginx.conf", src); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("tree error is %T, not *Error: %v", err, err)
			}
		}
	})
}
