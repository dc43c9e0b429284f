package conf

// ctxMask is a set of contexts a directive may appear in, named as nginx
// names them.
type ctxMask uint8

// Contexts.
const (
	ctxMain     ctxMask = 1 << iota // top level
	ctxEvents                       // events { }
	ctxHTTP                         // http { }
	ctxServer                       // server { }
	ctxLocation                     // location { }
	ctxIf                           // if { } inside server or location (no directive opens it yet)

	ctxHSL  = ctxHTTP | ctxServer | ctxLocation
	ctxHSLI = ctxHSL | ctxIf
)

// argsAny marks a spec without an upper bound on arguments.
const argsAny = -1

// spec is one row of the directive table.
type spec struct {
	ctx   ctxMask                          // where it may appear
	block bool                             // takes "{ ... }" (nginx block or Lua body)
	min   int                              // fewest arguments
	max   int                              // most arguments; argsAny for no limit
	set   func(*builder, *Directive) error // applies a simple directive or a Lua body
	enter func(*builder, *Directive) error // opens a block: runs before the children
	leave func(*builder, *Directive) error // closes a block: runs after the children
}

// flagArgs is the argument rule of an on|off directive.
const flagArgs = 1

// directives is the table of what luring implements or accepts. A name
// missing here is rejected: by unsupported when nginx or OpenResty know it,
// otherwise as an unknown directive.
var directives map[string]spec

func init() {
	directives = map[string]spec{
		// main
		"worker_processes": {ctx: ctxMain, min: 1, max: 1, set: setWorkerProcesses},
		"error_log":        {ctx: ctxMain | ctxHSL, min: 1, max: argsAny, set: setErrorLog},
		"pid":              {ctx: ctxMain, min: 1, max: 1, set: setPID},
		"env":              {ctx: ctxMain, min: 1, max: 1, set: setEnv},
		"daemon":           {ctx: ctxMain, min: flagArgs, max: flagArgs, set: setFlagNoop},
		"master_process":   {ctx: ctxMain, min: flagArgs, max: flagArgs, set: setFlagNoop},
		"events":           {ctx: ctxMain, block: true, enter: enterEvents, leave: leaveBlock},
		"http":             {ctx: ctxMain, block: true, enter: enterHTTP, leave: leaveBlock},
		"load_module":      {ctx: ctxMain, min: 1, max: 1, set: setLoadModule},

		// events
		"worker_connections": {ctx: ctxEvents, min: 1, max: 1, set: setWorkerConnections},
		"use":                {ctx: ctxEvents, min: 1, max: 1, set: setUse},
		"accept_mutex":       {ctx: ctxEvents, min: flagArgs, max: flagArgs, set: setFlagNoop},
		"multi_accept":       {ctx: ctxEvents, min: flagArgs, max: flagArgs, set: setFlagNoop},

		// http, per location
		"access_log":                   {ctx: ctxHSLI, min: 1, max: argsAny, set: setAccessLog},
		"default_type":                 {ctx: ctxHSL, min: 1, max: 1, set: setDefaultType},
		"keepalive_timeout":            {ctx: ctxHSL, min: 1, max: 2, set: setKeepaliveTimeout},
		"keepalive_requests":           {ctx: ctxHSL, min: 1, max: 1, set: setKeepaliveRequests},
		"client_max_body_size":         {ctx: ctxHSL, min: 1, max: 1, set: setClientMaxBodySize},
		"client_body_buffer_size":      {ctx: ctxHSL, min: 1, max: 1, set: setClientBodyBufferSize},
		"client_body_timeout":          {ctx: ctxHSL, min: 1, max: 1, set: setClientBodyTimeout},
		"send_timeout":                 {ctx: ctxHSL, min: 1, max: 1, set: setSendTimeout},
		"error_page":                   {ctx: ctxHSLI, min: 2, max: argsAny, set: setErrorPage},
		"add_header":                   {ctx: ctxHSLI, min: 2, max: 3, set: setAddHeader},
		"sendfile":                     {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setFlagNoop},
		"client_body_in_file_only":     {ctx: ctxHSL, min: 1, max: 1, set: setClientBodyInFile},
		"client_body_in_single_buffer": {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.ClientBodySingleBuf })},
		"lua_check_client_abort":       {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.CheckClientAbort })},
		"lua_need_request_body":        {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.NeedRequestBody })},
		"client_body_temp_path":        {ctx: ctxHSL, min: 1, max: 4, set: setClientBodyTempPath},
		"lua_code_cache":               {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setLuaCodeCache},
		"root":                         {ctx: ctxHSLI, min: 1, max: 1, set: setRoot},
		"index":                        {ctx: ctxHSL, min: 1, max: argsAny, set: setIndex},
		"absolute_redirect":            {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.AbsoluteRedirect })},
		"lua_use_default_type":         {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.LuaUseDefaultType })},
		"lua_http10_buffering":         {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.LuaHTTP10Buffering })},
		"lua_transform_underscores_in_response_headers": {ctx: ctxHSLI, min: flagArgs, max: flagArgs,
			set: setFlag(func(s *Settings) *bool { return &s.LuaTransformUnderscores })},

		// cosocket defaults (socket.go); ngx_lua allows them in "if" too
		"lua_socket_connect_timeout":   {ctx: ctxHSLI, min: 1, max: 1, set: setSocketConnectTimeout},
		"lua_socket_send_timeout":      {ctx: ctxHSLI, min: 1, max: 1, set: setSocketSendTimeout},
		"lua_socket_read_timeout":      {ctx: ctxHSLI, min: 1, max: 1, set: setSocketReadTimeout},
		"lua_socket_send_lowat":        {ctx: ctxHSLI, min: 1, max: 1, set: setSocketSendLowat},
		"lua_socket_buffer_size":       {ctx: ctxHSLI, min: 1, max: 1, set: setSocketBufferSize},
		"lua_socket_pool_size":         {ctx: ctxHSLI, min: 1, max: 1, set: setSocketPoolSize},
		"lua_socket_keepalive_timeout": {ctx: ctxHSLI, min: 1, max: 1, set: setSocketKeepaliveTimeout},
		"lua_socket_log_errors":        {ctx: ctxHSLI, min: flagArgs, max: flagArgs, set: setSocketLogErrors},
		// name servers (resolver.go)
		"resolver":         {ctx: ctxHSL, min: 1, max: argsAny, set: setResolver},
		"resolver_timeout": {ctx: ctxHSL, min: 1, max: 1, set: setResolverTimeout},

		// http, per server
		"client_header_buffer_size":   {ctx: ctxHTTP | ctxServer, min: 1, max: 1, set: setClientHeaderBufferSize},
		"large_client_header_buffers": {ctx: ctxHTTP | ctxServer, min: 2, max: 2, set: setLargeClientHeaderBuffers},
		"client_header_timeout":       {ctx: ctxHTTP | ctxServer, min: 1, max: 1, set: setClientHeaderTimeout},

		// http only
		"log_format":        {ctx: ctxHTTP, min: 2, max: argsAny, set: setLogFormat},
		"lua_package_path":  {ctx: ctxHTTP, min: 1, max: 1, set: setLuaPackagePath},
		"lua_package_cpath": {ctx: ctxHTTP, min: 1, max: 1, set: setLuaPackageCPath},
		"server":            {ctx: ctxHTTP, block: true, enter: enterServer, leave: leaveServer},

		// accepted with no effect
		"proxy_temp_path":     {ctx: ctxHSL, min: 1, max: 4, set: setNoop},
		"fastcgi_temp_path":   {ctx: ctxHSL, min: 1, max: 4, set: setNoop},
		"scgi_temp_path":      {ctx: ctxHSL, min: 1, max: 4, set: setNoop},
		"uwsgi_temp_path":     {ctx: ctxHSL, min: 1, max: 4, set: setNoop},
		"lua_load_resty_core": {ctx: ctxHTTP, min: flagArgs, max: flagArgs, set: setFlagNoop},

		// server and location
		"listen":      {ctx: ctxServer, min: 1, max: argsAny, set: setListen},
		"server_name": {ctx: ctxServer, min: 1, max: argsAny, set: setServerName},
		"location":    {ctx: ctxServer | ctxLocation, block: true, min: 1, max: 2, enter: enterLocation, leave: leaveBlock},
		"return":      {ctx: ctxServer | ctxLocation | ctxIf, min: 1, max: 2, set: setReturn},
		"set":         {ctx: ctxServer | ctxLocation | ctxIf, min: 2, max: 2, set: setSet},
		"internal":    {ctx: ctxLocation, set: setInternal},

		// proxy module
		"proxy_pass":                 {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setProxyPass},
		"proxy_set_header":           {ctx: ctxHSL, min: 2, max: 2, set: setProxySetHeader},
		"proxy_http_version":         {ctx: ctxHSL, min: 1, max: 1, set: setProxyHTTPVersion},
		"proxy_pass_request_headers": {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.Proxy.PassHeaders })},
		"proxy_pass_request_body":    {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.Proxy.PassBody })},
		"proxy_buffering":            {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.Proxy.Buffering })},
		"proxy_connect_timeout":      {ctx: ctxHSL, min: 1, max: 1, set: setProxyConnectTimeout},
		"proxy_read_timeout":         {ctx: ctxHSL, min: 1, max: 1, set: setProxyReadTimeout},
		"proxy_send_timeout":         {ctx: ctxHSL, min: 1, max: 1, set: setProxySendTimeout},
		"proxy_hide_header":          {ctx: ctxHSL, min: 1, max: 1, set: setProxyHeaderList},
		"proxy_pass_header":          {ctx: ctxHSL, min: 1, max: 1, set: setProxyHeaderList},
		"proxy_redirect":             {ctx: ctxHSL, min: 1, max: 2, set: setProxyRedirect},
		// accepted: the response streams through whatever buffers it needs
		"proxy_request_buffering": {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlagNoop},
		"proxy_intercept_errors":  {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlag(func(s *Settings) *bool { return &s.Proxy.InterceptErrors })},
		"proxy_buffer_size":       {ctx: ctxHSL, min: 1, max: 1, set: setNoop},
		"proxy_buffers":           {ctx: ctxHSL, min: 2, max: 2, set: setNoop},
		"proxy_busy_buffers_size": {ctx: ctxHSL, min: 1, max: 1, set: setNoop},

		// access module
		"allow": {ctx: ctxHSL, min: 1, max: 1, set: setAccessRule},
		"deny":  {ctx: ctxHSL, min: 1, max: 1, set: setAccessRule},

		// postpone module: output goes out at each flush and at the end
		"postpone_output": {ctx: ctxHSL, min: 1, max: 1, set: setPostponeOutput},

		// accepted: luring's Server header and error pages carry no version
		// either way, and every connection has TCP_NODELAY
		"server_tokens": {ctx: ctxHSL, min: 1, max: 1, set: setServerTokens},
		"tcp_nodelay":   {ctx: ctxHSL, min: flagArgs, max: flagArgs, set: setFlagNoop},

		// echo module (echo-nginx-module)
		"echo":                   {ctx: ctxLocation | ctxIf, min: 0, max: argsAny, set: setEchoCmd},
		"echo_duplicate":         {ctx: ctxLocation | ctxIf, min: 2, max: argsAny, set: setEchoCmd},
		"echo_flush":             {ctx: ctxLocation | ctxIf, set: setEchoCmd},
		"echo_sleep":             {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setEchoCmd},
		"echo_blocking_sleep":    {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setEchoCmd},
		"echo_reset_timer":       {ctx: ctxLocation | ctxIf, set: setEchoCmd},
		"echo_read_request_body": {ctx: ctxLocation | ctxIf, set: setEchoCmd},
		"echo_request_body":      {ctx: ctxLocation | ctxIf, set: setEchoCmd},
		"echo_foreach_split":     {ctx: ctxLocation | ctxIf, min: 2, max: argsAny, set: setEchoCmd},
		"echo_end":               {ctx: ctxLocation | ctxIf, set: setEchoCmd},
		"echo_location":          {ctx: ctxLocation | ctxIf, min: 1, max: 2, set: setEchoCmd},
		"echo_location_async":    {ctx: ctxLocation | ctxIf, min: 1, max: 2, set: setEchoCmd},
		"echo_exec":              {ctx: ctxLocation | ctxIf, min: 1, max: 2, set: setEchoCmd},
		"echo_before_body":       {ctx: ctxLocation | ctxIf, min: 0, max: argsAny, set: setEchoFilter},
		"echo_after_body":        {ctx: ctxLocation | ctxIf, min: 0, max: argsAny, set: setEchoFilter},
		"echo_status":            {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setEchoStatus},

		// headers-more module (headers-more-nginx-module)
		"more_set_headers":         {ctx: ctxHSLI, min: 1, max: argsAny, set: setMore},
		"more_clear_headers":       {ctx: ctxHSLI, min: 1, max: argsAny, set: setMore},
		"more_set_input_headers":   {ctx: ctxHSLI, min: 1, max: argsAny, set: setMore},
		"more_clear_input_headers": {ctx: ctxHSLI, min: 1, max: argsAny, set: setMore},

		// Lua handlers
		"init_by_lua_block":          {ctx: ctxHTTP, block: true, set: setLuaHandler},
		"init_by_lua_file":           {ctx: ctxHTTP, min: 1, max: 1, set: setLuaHandler},
		"init_worker_by_lua_block":   {ctx: ctxHTTP, block: true, set: setLuaHandler},
		"init_worker_by_lua_file":    {ctx: ctxHTTP, min: 1, max: 1, set: setLuaHandler},
		"rewrite_by_lua_block":       {ctx: ctxHSLI, block: true, set: setLuaHandler},
		"header_filter_by_lua_block": {ctx: ctxHSLI, block: true, set: setLuaHandler},
		"header_filter_by_lua_file":  {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"header_filter_by_lua":       {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"rewrite_by_lua_file":        {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"access_by_lua_block":        {ctx: ctxHSLI, block: true, set: setLuaHandler},
		"access_by_lua_file":         {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"set_by_lua_block":           {ctx: ctxServer | ctxLocation | ctxIf, min: 1, max: 1, block: true, set: setSetByLua},
		"set_by_lua_file":            {ctx: ctxServer | ctxLocation | ctxIf, min: 2, max: argsAny, set: setSetByLua},
		"set_by_lua":                 {ctx: ctxServer | ctxLocation | ctxIf, min: 2, max: argsAny, set: setSetByLua},
		"content_by_lua_block":       {ctx: ctxLocation | ctxIf, block: true, set: setLuaHandler},
		"content_by_lua_file":        {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setLuaHandler},
		"log_by_lua_block":           {ctx: ctxHSLI, block: true, set: setLuaHandler},
		"log_by_lua_file":            {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		// the older inline-string forms: the Lua code is the argument
		"init_by_lua":        {ctx: ctxHTTP, min: 1, max: 1, set: setLuaHandler},
		"init_worker_by_lua": {ctx: ctxHTTP, min: 1, max: 1, set: setLuaHandler},
		"rewrite_by_lua":     {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"access_by_lua":      {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
		"content_by_lua":     {ctx: ctxLocation | ctxIf, min: 1, max: 1, set: setLuaHandler},
		"log_by_lua":         {ctx: ctxHSLI, min: 1, max: 1, set: setLuaHandler},
	}
}

// Implemented reports whether luring implements or accepts the directive.
func Implemented(name string) bool {
	_, ok := directives[name]
	return ok || name == "include"
}
