package conf

import (
	"os"
	"time"
)

// This file reads lua-nginx-module's lua_socket_* directives: the defaults
// of the ngx.socket.* objects a request creates in a location (the
// cosocket package applies them). Each is read by the nginx slot that
// ngx_http_lua_module.c names for it (msec, size, num, flag), so values and
// errors are nginx's, and merged as ngx_http_lua_merge_loc_conf merges them.

// SocketSettings are the lua_socket_* directives in force in a location.
type SocketSettings struct {
	ConnectTimeout time.Duration // lua_socket_connect_timeout: connect, SSL handshake and pool-queue wait; default 60s
	SendTimeout    time.Duration // lua_socket_send_timeout: each wait of a blocked send; default 60s
	ReadTimeout    time.Duration // lua_socket_read_timeout: each wait of a blocked receive; default 60s
	// SendLowat is lua_socket_send_lowat in bytes (SO_SNDLOWAT). Always 0
	// here: Linux has no SO_SNDLOWAT for TCP, so nginx built for Linux
	// warns "is not supported, ignored" and stores 0, and so does luring
	// (Config.Warnings).
	SendLowat int64
	// BufferSize is lua_socket_buffer_size in bytes: the chunk a socket
	// receives into. Default one memory page (ngx_pagesize, that is
	// os.Getpagesize: 4k on x86-64). 0 is accepted, as by nginx.
	BufferSize int64
	// PoolSize is lua_socket_pool_size: the connections setkeepalive keeps
	// per pool name in each worker when no size is given; default 30. 0 is
	// accepted, as by nginx; setkeepalive without a size then fails with
	// `bad "pool_size" option value: 0`.
	PoolSize int
	// KeepaliveTimeout is lua_socket_keepalive_timeout: how long a pooled
	// connection may stay idle when setkeepalive gives no timeout; 0 =
	// never expires; default 60s.
	KeepaliveTimeout time.Duration
	LogErrors        bool // lua_socket_log_errors: also log socket failures at error level; default on
}

// socketDefaults are ngx_http_lua_merge_loc_conf's defaults.
func socketDefaults() SocketSettings {
	return SocketSettings{
		ConnectTimeout:   60 * time.Second,
		SendTimeout:      60 * time.Second,
		ReadTimeout:      60 * time.Second,
		BufferSize:       int64(os.Getpagesize()),
		PoolSize:         30,
		KeepaliveTimeout: 60 * time.Second,
		LogErrors:        true,
	}
}

var (
	setSocketConnectTimeout   = msecSetter(func(s *Settings) *time.Duration { return &s.Socket.ConnectTimeout })
	setSocketSendTimeout      = msecSetter(func(s *Settings) *time.Duration { return &s.Socket.SendTimeout })
	setSocketReadTimeout      = msecSetter(func(s *Settings) *time.Duration { return &s.Socket.ReadTimeout })
	setSocketKeepaliveTimeout = msecSetter(func(s *Settings) *time.Duration { return &s.Socket.KeepaliveTimeout })
	setSocketBufferSize       = sizeSetter(ParseSize, func(s *Settings) *int64 { return &s.Socket.BufferSize })
	setSocketLogErrors        = setFlag(func(s *Settings) *bool { return &s.Socket.LogErrors })
	setSocketSendLowatSize    = sizeSetter(ParseSize, func(s *Settings) *int64 { return &s.Socket.SendLowat })
)

// setSocketSendLowat is lua_socket_send_lowat: the size is checked, then,
// as nginx on Linux does, ignored with a warning.
func setSocketSendLowat(b *builder, d *Directive) error {
	if err := setSocketSendLowatSize(b, d); err != nil {
		return err
	}
	b.settings().Socket.SendLowat = 0
	b.warn(d, msgLowatIgnored)
	return nil
}

// setSocketPoolSize is lua_socket_pool_size, an ngx_conf_set_num_slot:
// any non-negative number.
func setSocketPoolSize(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	n, ok := atoi(d.Args[0].Value)
	if !ok || int64(int(n)) != n {
		return errorf(msgInvalidNumber, d.Name)
	}
	s.Socket.PoolSize = int(n)
	return nil
}

// mergeSocket fills every lua_socket_* value of c not set at its own level
// from p.
func mergeSocket(c, p *Settings) {
	cs, ps := &c.Socket, &p.Socket
	inherit := func(key string) bool { return !c.set[key] }
	if inherit("lua_socket_connect_timeout") {
		cs.ConnectTimeout = ps.ConnectTimeout
	}
	if inherit("lua_socket_send_timeout") {
		cs.SendTimeout = ps.SendTimeout
	}
	if inherit("lua_socket_read_timeout") {
		cs.ReadTimeout = ps.ReadTimeout
	}
	if inherit("lua_socket_send_lowat") {
		cs.SendLowat = ps.SendLowat
	}
	if inherit("lua_socket_buffer_size") {
		cs.BufferSize = ps.BufferSize
	}
	if inherit("lua_socket_pool_size") {
		cs.PoolSize = ps.PoolSize
	}
	if inherit("lua_socket_keepalive_timeout") {
		cs.KeepaliveTimeout = ps.KeepaliveTimeout
	}
	if inherit("lua_socket_log_errors") {
		cs.LogErrors = ps.LogErrors
	}
}

// DefaultSocketSettings are the lua_socket_* values in force without any
// of the directives (for code that runs without a configuration).
func DefaultSocketSettings() SocketSettings { return socketDefaults() }
