package httpd

// This file edits the request headers of a request being handled (for
// headers-more's input commands; ngx.req.set_header will use the same).
// The parsed head stays as it arrived: new names and values are appended
// to the Txn's copy of the head, after its end, and the edited fields point
// there. No span moves, so the raw head ($echo_client_request_headers,
// ngx.req.raw_header) is the head as the client sent it, and a request
// whose headers are not edited costs nothing.

// ErrBadHeaderValue is returned by request-header edits nginx refuses: a
// Content-Length that is not a number, an invalid Host.
var ErrBadHeaderValue = &Error{500, "invalid request header value"}

// putBytes appends p after the head in the Txn's buffer and returns its
// span. The buffer may move; spans and t.buf stay consistent.
func putBytes[T string | []byte](t *Txn, p T) span {
	off := len(t.buf)
	t.buf = append(t.buf, p...)
	t.s.head = t.buf
	return mkspan(off, len(t.buf))
}

// editRequestHeader sets the request header key to value, or clears it when
// value is empty, as headers-more's input commands do: the first header of
// that name (any case) gets the value, the others are removed; when none
// is present one is added, unless replace (-r) is set. A wildcard key
// (a name prefix) only clears.
func (t *Txn) editRequestHeader(key string, wildcard bool, value []byte, replace bool) error {
	r := t.req
	matched := -1
	var vs span
	if len(value) > 0 {
		vs = putBytes(t, value)
	}
	for i := 0; i < len(r.fields); {
		name := r.fields[i].name.of(t.buf)
		hit := len(name) == len(key) && equalFold(name, key) && !wildcard ||
			wildcard && len(value) == 0 && len(name) >= len(key) && equalFold(name[:len(key)], key)
		if !hit {
			i++
			continue
		}
		if len(value) == 0 || matched >= 0 {
			r.fields = append(r.fields[:i], r.fields[i+1:]...)
			continue
		}
		r.fields[i].value = vs
		matched = i
		i++
	}
	if matched < 0 && len(value) > 0 && !replace {
		ks := putBytes(t, key)
		if wildcard { // headers-more adds the name as written, "*" included
			putBytes(t, "*")
			ks.n++
		}
		r.fields = append(r.fields, field{name: ks, value: vs, id: lookupHeader(ks.of(t.buf))})
	}
	r.reindex()
	return t.applyHeaderEdit(lookupHeader(key), value)
}

// reindex recomputes the first-line index of every known header after an
// edit.
func (r *Request) reindex() {
	r.known = [hCount]int32{}
	for i := range r.fields {
		if id := r.fields[i].id; id != hOther && r.known[id] == 0 {
			r.known[id] = int32(i + 1)
		}
	}
}

// applyHeaderEdit updates what the request derives from a header nginx
// keeps apart: the host of $host and the body length. The keep-alive
// decision was made at the request's start and stays (as on the
// reference, where an edited Connection header changes no response).
func (t *Txn) applyHeaderEdit(id hdr, value []byte) error {
	r := t.req
	switch id {
	case hHost:
		r.server = span{}
		if len(value) > 0 {
			v := r.HostHeader(t.buf)
			n, ok := validHost(v)
			if !ok {
				return ErrBadHeaderValue
			}
			f := r.fields[r.known[hHost]-1].value
			r.server = span{f.off, int32(n)}
		}
	case hContentLength:
		r.contentLength = -1
		if len(value) > 0 {
			n, ok := parseContentLength(value)
			if !ok {
				return ErrBadHeaderValue
			}
			r.contentLength = n
		}
		t.bodyLengthChanged()
	case hConnection:
		r.conn = connDefault
		if v := r.Connection(t.buf); v != nil {
			r.conn = connectionType(v)
		}
	}
	return nil
}

// bodyLengthChanged follows a new Content-Length of a body nobody has read
// yet: it is the length read (or discarded) from now on, as in nginx.
func (t *Txn) bodyLengthChanged() {
	if t.bodyState != bodyUnread && t.bodyState != bodyNone || t.req.Chunked() || t.s.store.kept {
		return
	}
	s := t.s
	s.left = max(t.req.ContentLength(), 0)
	t.bodyState = bodyNone
	if s.left > 0 {
		t.bodyState = bodyUnread
	}
}

// SetRequestHeader replaces every request header named name (any case)
// with values, one line each; no values removes them (ngx.req.set_header,
// clear_header). Known headers update what the request parsed from them
// ($host, the body length, ...), as a headers-more input edit does. An
// HTTP/0.9 request has no headers: nothing changes.
func (t *Txn) SetRequestHeader(name string, values []string) error {
	if t.req == nil || t.req.Version() < 1000 {
		return nil
	}
	first := ""
	if len(values) > 0 {
		first = values[0]
	}
	// An empty value clears, as with the reference.
	if err := t.editRequestHeader(name, false, []byte(first), false); err != nil {
		return err
	}
	for _, v := range values[min(1, len(values)):] {
		if v != "" {
			t.addRequestField(name, v)
		}
	}
	t.req.reindex()
	return nil
}

// addRequestField appends a request header line (no edit of a known
// header's parsed state beyond the index).
func (t *Txn) addRequestField(name, value string) {
	r := t.req
	ks := putBytes(t, name)
	vs := putBytes(t, value)
	r.fields = append(r.fields, field{name: ks, value: vs, id: lookupHeader(ks.of(t.buf))})
}
