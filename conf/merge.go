package conf

import "time"

// finishHTTP applies nginx's defaults at the http level and merges values
// down: http -> server -> location -> nested location, as the merge
// functions of ngx_http_core_module and ngx_http_lua_module do.
func (b *builder) finishHTTP() error {
	h := b.cfg.HTTP
	defaults := Settings{
		DefaultType:          "text/plain",
		ClientMaxBodySize:    1 << 20,
		ClientBodyBufferSize: 16 << 10,
		ClientBodyTimeout:    60 * time.Second,
		ClientBodyTempPath:   b.resolve("client_body_temp"),
		KeepaliveTimeout:     75 * time.Second,
		KeepaliveRequests:    1000,
		SendTimeout:          60 * time.Second,
		LuaCodeCache:         true,
		AccessLogs:           []AccessLog{{Path: b.resolve("logs/access.log"), Format: "combined"}},
		ErrorLogs:            b.cfg.Main.ErrorLogs,
		Root:                 b.resolve("html"),
		Index:                []string{"index.html"},
		AbsoluteRedirect:     true,
		LuaUseDefaultType:    true,
		LuaHTTP10Buffering:   true,
		EchoStatus:           200,
		Proxy:                proxyDefaults,
		Socket:               socketDefaults(),
		Resolver:             resolverDefaults(),

		LuaTransformUnderscores: true,
	}
	mergeSettings(&h.Settings, &defaults)
	mergeServerSettings(&h.ServerSettings, &ServerSettings{
		ClientHeaderBufferSize:   1 << 10,
		LargeClientHeaderBuffers: Buffers{Num: 4, Size: 8 << 10},
		ClientHeaderTimeout:      60 * time.Second,
	})
	for _, srv := range h.Servers {
		mergeSettings(&srv.Settings, &h.Settings)
		mergeServerSettings(&srv.ServerSettings, &h.ServerSettings)
		for _, loc := range srv.Locations {
			mergeLocation(loc, &srv.Settings)
		}
		for _, loc := range srv.Named {
			mergeLocation(loc, &srv.Settings)
		}
		srv.AutoRedirect = proxyRedirects(srv)
	}
	return nil
}

func mergeLocation(loc *Location, parent *Settings) {
	mergeSettings(&loc.Settings, parent)
	for _, n := range loc.Nested {
		mergeLocation(n, &loc.Settings)
	}
}

// mergeSettings fills every value of c not set at its own level from p.
func mergeSettings(c, p *Settings) {
	if c.set == nil {
		c.set = setMask{}
	}
	inherit := func(key string) bool { return !c.set[key] }
	if inherit("default_type") {
		c.DefaultType = p.DefaultType
	}
	if inherit("client_max_body_size") {
		c.ClientMaxBodySize = p.ClientMaxBodySize
	}
	if inherit("client_body_buffer_size") {
		c.ClientBodyBufferSize = p.ClientBodyBufferSize
	}
	if inherit("client_body_timeout") {
		c.ClientBodyTimeout = p.ClientBodyTimeout
	}
	if inherit("client_body_in_file_only") {
		c.ClientBodyInFile = p.ClientBodyInFile
	}
	if inherit("client_body_in_single_buffer") {
		c.ClientBodySingleBuf = p.ClientBodySingleBuf
	}
	if inherit("error_page") {
		c.ErrorPages = p.ErrorPages
	}
	if inherit("add_header") {
		c.AddHeaders = p.AddHeaders
	}
	if inherit("lua_check_client_abort") {
		c.CheckClientAbort = p.CheckClientAbort
	}
	if inherit("lua_need_request_body") {
		c.NeedRequestBody = p.NeedRequestBody
	}
	if inherit("client_body_temp_path") {
		c.ClientBodyTempPath = p.ClientBodyTempPath
	}
	if inherit("keepalive_timeout") {
		c.KeepaliveTimeout, c.KeepaliveHeader = p.KeepaliveTimeout, p.KeepaliveHeader
	}
	if inherit("keepalive_requests") {
		c.KeepaliveRequests = p.KeepaliveRequests
	}
	if inherit("send_timeout") {
		c.SendTimeout = p.SendTimeout
	}
	if inherit("lua_code_cache") {
		c.LuaCodeCache = p.LuaCodeCache
	}
	switch {
	case c.set["access_log off"]:
		c.AccessLogs = []AccessLog{}
	case inherit("access_log"):
		c.AccessLogs = p.AccessLogs
	}
	if inherit("error_log") {
		c.ErrorLogs = p.ErrorLogs
	}
	if inherit("rewrite_by_lua") {
		c.Rewrite = p.Rewrite
	}
	if inherit("access_by_lua") {
		c.Access = p.Access
	}
	if inherit("log_by_lua") {
		c.Log = p.Log
	}
	if inherit("header_filter_by_lua") {
		c.HeaderFilter = p.HeaderFilter
	}
	if inherit("root") {
		c.Root = p.Root
	}
	if inherit("index") {
		c.Index = p.Index
	}
	if inherit("absolute_redirect") {
		c.AbsoluteRedirect = p.AbsoluteRedirect
	}
	if inherit("lua_use_default_type") {
		c.LuaUseDefaultType = p.LuaUseDefaultType
	}
	if inherit("lua_http10_buffering") {
		c.LuaHTTP10Buffering = p.LuaHTTP10Buffering
	}
	if inherit("lua_transform_underscores_in_response_headers") {
		c.LuaTransformUnderscores = p.LuaTransformUnderscores
	}
	if inherit("access_rules") {
		c.AccessRules = p.AccessRules
	}
	if inherit("echo_before_body") {
		c.EchoBefore = p.EchoBefore
	}
	if inherit("echo_after_body") {
		c.EchoAfter = p.EchoAfter
	}
	if inherit("echo_status") {
		c.EchoStatus = p.EchoStatus
	}
	mergeMore(c, p)
	mergeProxy(c, p)
	mergeSocket(c, p)
	mergeResolver(c, p)
}

// mergeServerSettings fills every value of c not set at its own level from p.
func mergeServerSettings(c, p *ServerSettings) {
	if c.set == nil {
		c.set = setMask{}
	}
	if !c.set["client_header_buffer_size"] {
		c.ClientHeaderBufferSize = p.ClientHeaderBufferSize
	}
	if !c.set["large_client_header_buffers"] {
		c.LargeClientHeaderBuffers = p.LargeClientHeaderBuffers
	}
	if !c.set["client_header_timeout"] {
		c.ClientHeaderTimeout = p.ClientHeaderTimeout
	}
}
