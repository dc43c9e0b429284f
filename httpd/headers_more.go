package httpd

import (
	"strings"

	"github.com/luring/luring/conf"
)

// This file runs the headers-more module's commands (conf.MoreCmd):
// the input commands edit the request headers at the end of the
// location's rewrite phase (after set and return, before
// rewrite_by_lua, the order the reference's phase engine ends up with),
// the output commands edit the response headers as a header filter, when
// the status and headers become fixed. A location without commands of a
// kind pays one boolean test for it.

// moreInput runs the input commands of the location. HTTP/0.9 requests
// have no headers to edit.
func (t *Txn) moreInput() {
	st := t.settings()
	if !st.MoreInput || t.req.Version() < 1000 {
		return
	}
	for i := range st.More {
		cmd := &st.More[i]
		if !cmd.Input || len(cmd.Types) > 0 && !moreTypeMatch(cmd.Types, t.req.ContentType(t.buf)) {
			continue
		}
		for j := range cmd.Headers {
			h := &cmd.Headers[j]
			v := t.appendEval(t.s.hbuf[:0], h.Value)
			t.s.hbuf = v
			if err := t.editRequestHeader(h.Key, h.Wildcard, v, cmd.Replace); err != nil {
				t.logf(conf.LogError, "%s: invalid value \"%s\" for the %s header", cmd.Name, v, h.Key)
				t.special(500)
				return
			}
		}
	}
}

// moreTypeMatch reports whether a content type (up to any ';'
// parameters for a response's) is one of types, compared exactly.
func moreTypeMatch[T string | []byte](types []string, ct T) bool {
	for _, ty := range types {
		if string(ct) == ty {
			return true
		}
	}
	return false
}

// moreOutput is headers-more's header filter: it runs the output commands
// whose -s and -t conditions the response meets.
func (t *Txn) moreOutput() {
	st := t.settings()
	if !st.MoreOutput {
		return
	}
	ctype := t.ctype
	if i := strings.IndexByte(ctype, ';'); i >= 0 {
		ctype = ctype[:i]
	}
	for i := range st.More {
		cmd := &st.More[i]
		if cmd.Input || len(cmd.Types) > 0 && !moreTypeMatch(cmd.Types, ctype) ||
			len(cmd.Statuses) > 0 && !moreStatusMatch(cmd.Statuses, t.status) {
			continue
		}
		for j := range cmd.Headers {
			h := &cmd.Headers[j]
			t.moreSetOutput(h, t.eval(h.Value))
		}
	}
}

func moreStatusMatch(statuses []int, status int) bool {
	for _, s := range statuses {
		if s == status {
			return true
		}
	}
	return false
}

// moreSetOutput sets (value not empty) or clears one response header the
// way headers-more does, the headers nginx keeps in fields of its own
// included: Content-Type and Content-Length, and Server, Date and
// Last-Modified, which nginx adds itself unless told otherwise.
func (t *Txn) moreSetOutput(h *conf.MoreHeader, value string) {
	if !h.Wildcard {
		switch {
		case equalFold(h.Key, "content-type"):
			t.ctype, t.ctypeSet = value, true
			return
		case equalFold(h.Key, "content-length"):
			// A set length is a header of the list (printed in its
			// place, after Connection, as on the reference).
			t.clen, t.noLength, t.clenHdr = -1, true, false
			if value != "" {
				n, ok := parseContentLength([]byte(value))
				if !ok {
					t.logf(conf.LogError, "more_set_headers: invalid Content-Length \"%s\"", value)
					return
				}
				t.clen, t.noLength, t.clenHdr = n, false, true
			}
		case equalFold(h.Key, "server"):
			t.hideServer = value == ""
		case equalFold(h.Key, "date"):
			t.hideDate = value == ""
		case equalFold(h.Key, "last-modified"):
			t.lastMod = ""
		case equalFold(h.Key, "accept-ranges"):
			t.noRanges = t.noRanges || value == ""
		}
	}
	if h.Append {
		if value != "" {
			t.hdrs = append(t.hdrs, Header{h.Key, value})
		}
		return
	}
	matched := false
	kept := t.hdrs[:0]
	for _, o := range t.hdrs {
		hit := equalFold(o.Name, h.Key)
		if h.Wildcard {
			hit = len(o.Name) >= len(h.Key) && equalFold(o.Name[:len(h.Key)], h.Key)
		}
		if hit {
			if value == "" || matched {
				continue
			}
			o.Value, matched = value, true
		}
		kept = append(kept, o)
	}
	clear(t.hdrs[len(kept):])
	t.hdrs = kept
	if !matched && value != "" {
		name := h.Key
		if h.Wildcard { // headers-more adds the name as written, "*" included
			name += "*"
		}
		t.hdrs = append(t.hdrs, Header{name, value})
	}
}
