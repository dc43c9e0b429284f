package httpd

import (
	"net/netip"

	"github.com/luring/luring/conf"
)

// checkAccess is nginx's access module: the first allow or deny rule
// (conf.AccessRule) that covers the client decides; a deny answers 403.
func (t *Txn) checkAccess() {
	rules := t.settings().AccessRules
	if len(rules) == 0 {
		return
	}
	addr := t.RemoteAddr()
	unix := addr == "unix:"
	ip, _ := netip.ParseAddr(addr)
	for i := range rules {
		r := &rules[i]
		if !r.Matches(ip, unix) {
			continue
		}
		if r.Deny {
			t.logf(conf.LogError, "access forbidden by rule")
			t.special(403)
		}
		return
	}
}
