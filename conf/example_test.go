package conf_test

import (
	"fmt"

	"github.com/luring/luring/conf"
)

func Example() {
	cfg, err := conf.Parse("/srv/conf/nginx.conf", []byte(`
events {}
http {
    server {
        listen 1984;
        location /t {
            content_by_lua_block { ngx.say("hi") }
        }
    }
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, _ := cfg.HTTP.SelectServer("0.0.0.0:1984", "localhost")
	loc, _ := srv.Match("/t/x")
	fmt.Println(loc.Pattern, loc.Content.ChunkName)
	fmt.Printf("%q\n", loc.Content.Source)

	_, err = conf.Parse("/srv/conf/nginx.conf", []byte("events {}\nhttp {\n  fastcgi_pass 127.0.0.1:9000;\n}"))
	fmt.Println(err)
	// Output:
	// /t =content_by_lua(nginx.conf:7)
	// " ngx.say(\"hi\") "
	// [emerg] directive "fastcgi_pass" is not supported by luring yet in /srv/conf/nginx.conf:3
}
