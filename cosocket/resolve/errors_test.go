package resolve

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestErrorTexts pins the strings Lua sees. Each was also seen from the
// reference nginx 1.22.1 with ngx_lua, resolving against a dnstest server.
func TestErrorTexts(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{NoResolver("Some.Host.Example."), `no resolver defined to resolve "Some.Host.Example."`},
		{CouldNotResolve("nx.example", CodeNotFound), "nx.example could not be resolved (3: Host not found)"},
		{CouldNotResolve("agentzh.org", CodeTimedOut), "agentzh.org could not be resolved (110: Operation timed out)"},
		{CouldNotResolve("servfail.example", CodeServFail), "servfail.example could not be resolved (2: Server failure)"},
		{CouldNotResolve("refused.example", CodeRefused), "refused.example could not be resolved (5: Operation refused)"},
		{CouldNotResolve("x", CodeFormErr), "x could not be resolved (1: Format error)"},
		{CouldNotResolve("notimp.example", CodeNotImpl), "notimp.example could not be resolved (4: Unimplemented)"},
		{CouldNotResolve("x", Code(9)), "x could not be resolved (9: Unknown error)"},
		{CouldNotStart("x.example"), "x.example could not be resolved"},
		{ErrTextStartFailed, "failed to start the resolver"},
		{ErrTextNotWorking, "resolver not working"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
	assert.Equal(t, "Unknown error", CodeOK.String(), "as ngx_resolver_strerror(0)")
}

// TestErrorNameIsCanonical: nginx lower-cases the name and drops its
// trailing dot before ngx_lua prints it (seen live: "Mixed.CASE.Example."
// fails as "mixed.case.example could not be resolved (3: Host not found)").
func TestErrorNameIsCanonical(t *testing.T) {
	name, err := Canonical("Mixed.CASE.Example.")
	assert.NoError(t, err)
	assert.Equal(t, "mixed.case.example could not be resolved (3: Host not found)", CouldNotResolve(name, CodeNotFound))
}
