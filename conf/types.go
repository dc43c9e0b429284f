package conf

import (
	"regexp"
	"time"
)

// Config is a loaded configuration. It is built once and then only read,
// so it may be shared by every worker loop without locking.
type Config struct {
	File       string // main configuration file as given to Load (made absolute) or Parse
	Prefix     string // server prefix (-p); relative paths in directives resolve against it
	ConfPrefix string // directory of File; include paths resolve against it
	Main       Main   // main (top-level) context
	Events     Events // events block
	HTTP       *HTTP  // http block; nil when the file has none
	// Warnings are what nginx would log at warn level while reading the
	// file (Level LevelWarn), in file order; the configuration is valid.
	Warnings []*Error
}

// Main holds the top-level directives.
type Main struct {
	WorkerProcesses     int        // number of worker loops; the CPU count for "auto"; default 1
	WorkerProcessesAuto bool       // worker_processes was "auto"
	ErrorLogs           []ErrorLog // error_log entries; default logs/error.log at LogError
	PID                 string     // pid file, resolved against Prefix; default logs/nginx.pid
	Env                 []Env      // env directives in order
	LoadModules         []string   // load_module paths of built-in modules, in order
}

// Env is one env directive: "env NAME;" keeps the inherited variable,
// "env NAME=value;" sets it.
type Env struct {
	Name     string // variable name
	Value    string // value after "="; meaningful only when HasValue
	HasValue bool   // the directive had "=value"
}

// LogLevel is an error-log level, numbered as nginx numbers them (which are
// also the values of ngx.STDERR .. ngx.DEBUG in Lua).
type LogLevel uint8

// Error-log levels, most severe first.
const (
	LogStderr LogLevel = iota
	LogEmerg
	LogAlert
	LogCrit
	LogError
	LogWarn
	LogNotice
	LogInfo
	LogDebug
)

// ErrorLog is one error_log destination.
type ErrorLog struct {
	Path   string   // file resolved against Config.Prefix; empty when Stderr
	Stderr bool     // the destination was "stderr"
	Level  LogLevel // lowest severity written; default LogError
}

// Events holds the events block.
type Events struct {
	WorkerConnections int    // connection cap per worker loop; default 512
	Use               string // "epoll", "io_uring", or "" to let luring choose
}

// HTTP holds the http block. The embedded Settings and ServerSettings are
// the http-level values, with nginx defaults applied to unset ones; servers
// and locations inherit from them.
type HTTP struct {
	Settings
	ServerSettings
	Servers         []*Server             // in config order
	LogFormats      map[string]*LogFormat // by name; "combined" is predefined
	LuaPackagePath  string                // lua_package_path as written; "" = default
	LuaPackageCPath string                // lua_package_cpath as written (accepted; C modules are not loaded)
	InitByLua       *LuaCode              // init_by_lua_block/_file; nil when absent
	InitWorkerByLua *LuaCode              // init_worker_by_lua_block/_file; nil when absent
}

// ServerSettings are the directives nginx keeps per server (http and
// server contexts), merged http -> server.
type ServerSettings struct {
	ClientHeaderBufferSize   int64         // bytes; default 1k
	LargeClientHeaderBuffers Buffers       // default 4 8k
	ClientHeaderTimeout      time.Duration // default 60s

	set setMask // directives given at this level
}

// Buffers is a "number size" pair such as large_client_header_buffers.
type Buffers struct {
	Num  int   // number of buffers
	Size int64 // bytes per buffer
}

// Settings are the directives nginx keeps per location (http, server and
// location contexts), merged http -> server -> location -> nested location
// like nginx's merge functions: a value not set at a level is inherited.
type Settings struct {
	DefaultType          string        // default "text/plain"
	ClientMaxBodySize    int64         // bytes; 0 disables the check; default 1m
	ClientBodyBufferSize int64         // bytes; default 16k
	ClientBodyTimeout    time.Duration // default 60s
	ClientBodyTempPath   string        // resolved against Config.Prefix; default client_body_temp
	// ClientBodyInFile is client_body_in_file_only: BodyFileOff (default),
	// BodyFileOn (every body read goes to a temp file that is kept) or
	// BodyFileClean (the file is removed when the request ends).
	ClientBodyInFile    uint8
	ClientBodySingleBuf bool          // client_body_in_single_buffer; luring always keeps a memory body in one buffer
	NeedRequestBody     bool          // lua_need_request_body: read the body before the Lua handlers run
	AddHeaders          []AddHeader   // add_header directives in force: a level's own replace the inherited ones, as nginx merges them
	ErrorPages          []ErrorPage   // error_page directives in force: a level's own replace the inherited ones
	CheckClientAbort    bool          // lua_check_client_abort: a client's close runs ngx.on_abort's handler or ends the request
	KeepaliveTimeout    time.Duration // 0 disables keep-alive; default 75s
	KeepaliveHeader     time.Duration // Keep-Alive: timeout=N header value; 0 = no header
	KeepaliveRequests   int           // default 1000
	SendTimeout         time.Duration // default 60s
	LuaCodeCache        bool          // default true
	AccessLogs          []AccessLog   // empty when "access_log off"; default logs/access.log combined
	ErrorLogs           []ErrorLog    // inherited from Main when never set
	Rewrite             *LuaCode      // rewrite_by_lua*; nil when none
	Access              *LuaCode      // access_by_lua*; nil when none
	Log                 *LuaCode      // log_by_lua*; nil when none
	HeaderFilter        *LuaCode      // header_filter_by_lua*; nil when none
	Root                string        // root, resolved against Config.Prefix; default html
	Index               []string      // index file names; default index.html
	AbsoluteRedirect    bool          // absolute_redirect; default on
	LuaUseDefaultType   bool          // lua_use_default_type; default on
	LuaHTTP10Buffering  bool          // lua_http10_buffering; default on
	// LuaTransformUnderscores is lua_transform_underscores_in_response_headers
	// (default on): ngx.header.a_b sets "a-b".
	LuaTransformUnderscores bool
	AccessRules             []AccessRule // allow/deny in order; empty: everyone is allowed
	EchoBefore              []EchoCmd    // echo_before_body commands
	EchoAfter               []EchoCmd    // echo_after_body commands
	EchoStatus              int          // echo_status; default 200
	// More are the headers-more commands in force: the enclosing levels'
	// first, then this level's. MoreInput and MoreOutput say whether any
	// of them is an input (request header) or output command.
	More                  []MoreCmd
	MoreInput, MoreOutput bool
	Proxy                 ProxySettings  // the proxy module's directives
	Socket                SocketSettings // lua_socket_*: defaults of ngx.socket.* objects
	Resolver              Resolver       // resolver and resolver_timeout

	set setMask // directives given at this level
}

// setMask records which directives were given at one level, for duplicate
// checks and merging. Keys are directive names or handler slots.
type setMask map[string]bool

// AccessLog is one access_log destination.
type AccessLog struct {
	Path    string // resolved against Config.Prefix unless Dynamic
	Format  string // log_format name; default "combined"
	Dynamic bool   // Path contains variables, evaluated per request
}

// LogFormat is a log_format definition.
type LogFormat struct {
	Name   string // format name
	Escape string // "default", "json" or "none"
	Format string // the string parts concatenated; contains $variables
}

// LuaCode is one Lua handler: an inline block or a file.
type LuaCode struct {
	Tag       string // directive tag without _block/_file, e.g. "content_by_lua"
	Source    string // Lua source of a block, or the file path of a *_file handler
	IsFile    bool   // Source is a path
	Dynamic   bool   // the path contains nginx variables, evaluated per request
	Parts     []Part // a Dynamic path split into literals and variables
	Prefix    string // what a relative Dynamic path is resolved against (-p)
	ChunkName string // "=content_by_lua(nginx.conf:40)" for blocks, "@/path.lua" for files
	File      string // configuration file of the directive
	Line      int    // line of the block's "{" (blocks) or of the directive (files)
}

// MatchKind is how a location matches the URI.
type MatchKind uint8

// Location kinds.
const (
	MatchPrefix        MatchKind = iota // location /p
	MatchExact                          // location = /p
	MatchPrefixNoRegex                  // location ^~ /p
	MatchRegex                          // location ~ re
	MatchRegexCaseless                  // location ~* re
	MatchNamed                          // location @name
)

// Server is one server block. Its Settings and ServerSettings are merged
// from the http level.
type Server struct {
	Settings
	ServerSettings
	Listens   []Listen     // default *:80
	Names     []ServerName // default one exact name ""
	Locations []*Location  // unnamed locations, in config order
	Named     []*Location  // named locations (@name)
	Return    *Return      // server-level return; nil when none
	Sets      []Set        // server-level set directives in order
	// AutoRedirect holds the URIs answered with a redirect to the same
	// URI with a slash: a proxying location is named so (nginx's
	// auto_redirect).
	AutoRedirect map[string]bool
	File         string // file of the server directive
	Line         int    // line of the server directive
	hasListen    bool   // a listen directive was given
	names        map[string]bool
}

// Location is one location block; Settings are merged from its parent.
type Location struct {
	Settings
	Match     MatchKind      // how Pattern is matched
	Pattern   string         // prefix, exact URI, regex source, or "@name"
	Regex     *regexp.Regexp // compiled pattern for MatchRegex/MatchRegexCaseless
	Name      string         // "@name" of a named location; "" otherwise
	Internal  bool           // "internal;": only internal redirects and subrequests may use it
	Return    *Return        // nil when none
	Sets      []Set          // set directives in order
	Content   *LuaCode       // content_by_lua*; location-only, not inherited
	Echo      []EchoCmd      // the echo module's content commands; not inherited
	ProxyPass *ProxyPass     // proxy_pass; nil when none; not inherited
	Handler   ContentHandler // what serves the content phase: the last content directive given
	Nested    []*Location    // nested locations in config order
	Parent    *Location      // enclosing location; nil at server level
	Server    *Server        // owning server
	File      string         // file of the location directive
	Line      int            // line of the location directive
}

// Return is a return directive.
type Return struct {
	Code      int    // status code; 302 for "return URL"
	Text      string // body text or redirect URL; may contain variables
	HasText   bool   // a text or URL was given
	AfterSets int    // number of Sets before the return in config order; later sets never run
	File      string // file of the directive
	Line      int    // line of the directive
}

// Set is a "set $var value" directive.
type Set struct {
	Var   string // variable name without "$"
	Value string // value as written (unescaped)
	Parts []Part // Value split into literals and variables
	// Lua is set_by_lua*'s code: the variable gets what it returns, the
	// code sees LuaArgs (evaluated) as ngx.arg[1..n].
	Lua     *LuaCode
	LuaArgs [][]Part
	File    string // file of the directive
	Line    int    // line of the directive
}

// Listen is one listen directive.
type Listen struct {
	Unix          bool   // a unix domain socket; Path is set
	Path          string // unix socket path
	Host          string // address or host name; "" for the wildcard
	IPv6          bool   // Host is an IPv6 address (or the IPv6 wildcard [::])
	Port          int    // TCP port; default 80
	DefaultServer bool   // default_server flag
	ReusePort     bool   // reuseport flag: one socket per worker loop
	Backlog       int    // listen backlog; default 511
	Bind          bool   // bind flag
	Deferred      bool   // deferred flag
	RcvBuf        int64  // SO_RCVBUF bytes; -1 when not set
	SndBuf        int64  // SO_SNDBUF bytes; -1 when not set
	IPv6Only      bool   // ipv6only (default on for IPv6 addresses)
	optionsSet    bool   // a socket option (backlog, reuseport, ...) was given
	File          string // file of the directive
	Line          int    // line of the directive
}

// NameKind is the kind of a server name.
type NameKind uint8

// Server name kinds.
const (
	NameExact            NameKind = iota // example.com
	NameLeadingWildcard                  // *.example.com, or .example.com (also matches example.com)
	NameTrailingWildcard                 // www.example.*
	NameRegex                            // ~regex
)

// ServerName is one server_name entry.
type ServerName struct {
	Name  string         // as written, lower-cased unless a regex ("~" stripped)
	Kind  NameKind       // how the name matches
	Regex *regexp.Regexp // compiled regex for NameRegex
	match string         // exact name, wildcard suffix (".example.com") or prefix ("www.example.")
	dot   bool           // written as ".example.com": the bare domain matches too
}
