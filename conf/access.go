package conf

import (
	"net/netip"
	"strings"
)

// AccessRule is one allow or deny directive of nginx's access module.
type AccessRule struct {
	Deny   bool         // deny; otherwise allow
	All    bool         // "all": every client
	Unix   bool         // "unix:": clients on unix-domain sockets
	Prefix netip.Prefix // the address or network otherwise
}

// Matches reports whether the rule covers a client at addr (invalid for
// a unix-domain socket client).
func (r *AccessRule) Matches(addr netip.Addr, unix bool) bool {
	switch {
	case r.All:
		return true
	case r.Unix:
		return unix
	case unix || !addr.IsValid():
		return false
	}
	return r.Prefix.Contains(addr.Unmap())
}

// setAccessRule is allow/deny: "address", "address/bits", "unix:" or
// "all", appended to the rules of its level in order.
func setAccessRule(b *builder, d *Directive) error {
	v := d.Args[0].Value
	r := AccessRule{Deny: d.Name == "deny"}
	switch {
	case v == "all":
		r.All = true
	case v == "unix:":
		r.Unix = true
	default:
		p, err := parseAccessNet(v)
		if err != nil {
			return errorf("invalid parameter \"%s\"", v)
		}
		r.Prefix = p
	}
	s := b.settings()
	s.set["access_rules"] = true
	s.AccessRules = append(s.AccessRules, r)
	return nil
}

// parseAccessNet reads an address or a network in CIDR form; the host
// bits of a network are dropped, as nginx does (after a warning).
func parseAccessNet(v string) (netip.Prefix, error) {
	if !strings.Contains(v, "/") {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// builtinModules are the dynamic modules of Debian's nginx that luring has
// built in: load_module naming one of them is accepted with a notice.
var builtinModules = map[string]string{
	"ndk_http_module.so":                     "ndk",
	"ngx_http_lua_module.so":                 "lua",
	"ngx_http_echo_module.so":                "echo",
	"ngx_http_headers_more_filter_module.so": "headers-more",
}

// setLoadModule is load_module: a module luring has built in is accepted
// (the server logs a notice); any other is refused, luring loads no
// dynamic modules.
func setLoadModule(b *builder, d *Directive) error {
	path := d.Args[0].Value
	base := path[strings.LastIndexByte(path, '/')+1:]
	if _, ok := builtinModules[base]; !ok {
		return errorf("dynamic module \"%s\" is not built into luring", path)
	}
	b.cfg.Main.LoadModules = append(b.cfg.Main.LoadModules, path)
	return nil
}

// BuiltinModule returns the name of the built-in module a load_module
// path names ("echo" for .../ngx_http_echo_module.so).
func BuiltinModule(path string) string {
	return builtinModules[path[strings.LastIndexByte(path, '/')+1:]]
}

// setPostponeOutput checks postpone_output's size; luring sends output at
// each flush and at the end, so the size has no further effect.
func setPostponeOutput(b *builder, d *Directive) error {
	if _, err := ParseSize(d.Args[0].Value); err != nil {
		return errorf(msgInvalidValue, d.Name)
	}
	return nil
}
