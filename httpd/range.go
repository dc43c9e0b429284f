package httpd

import (
	"strconv"
	"sync/atomic"
)

// This file is nginx's range filter for responses of a known length that
// can be cut (static files): "Range: bytes=..." gets a 206 with the part
// asked for, or a multipart/byteranges body for several parts; a range
// beyond the end, or a malformed one, gets 416; If-Range is honoured
// (an entity tag, or the Last-Modified time). Everything else goes out
// whole with "Accept-Ranges: bytes".

// byteRange is one part [from, to) of a 206 response.
type byteRange struct{ from, to int64 }

// boundarySeq numbers multipart boundaries, as nginx's temp numbers do.
var boundarySeq atomic.Uint64

// rangeFilter runs in the header filters, after headers-more and echo
// (which may forbid ranges).
func (t *Txn) rangeFilter() {
	if t.noRanges || t.status != 200 || t.clen < 0 || t.req.Version() < 1000 {
		return
	}
	rng := t.req.Header(t.buf, "Range")
	if len(rng) < 7 || !equalFold(rng[:6], "bytes=") || !t.ifRangeMatches() {
		t.addHeader("Accept-Ranges", "bytes")
		return
	}
	size := t.clen
	ranges, st := parseRanges(t.ranges[:0], rng[6:], size)
	t.ranges = ranges
	switch st {
	case rangeDeclined:
		t.ranges = t.ranges[:0]
		t.addHeader("Accept-Ranges", "bytes")
	case rangeUnsatisfiable:
		t.ranges = t.ranges[:0]
		t.hdrs = append(t.hdrs, Header{"Content-Range", "bytes */" + strconv.FormatInt(size, 10)})
		page := t.s.lst.srv.pages.Page(416)
		t.status, t.ctype, t.clen = 416, "text/html", int64(len(page))
		t.dropHeader("etag")
		t.lastMod = ""
	case rangeOK:
		t.status = 206
		if len(ranges) == 1 {
			r := ranges[0]
			t.hdrs = append(t.hdrs, Header{"Content-Range", "bytes " + strconv.FormatInt(r.from, 10) + "-" +
				strconv.FormatInt(r.to-1, 10) + "/" + strconv.FormatInt(size, 10)})
			t.clen = r.to - r.from
			return
		}
		t.boundary, t.partCtype = boundarySeq.Add(1), t.ctype
		n := int64(len(t.partHead(nil, -1, 0, size, true)))
		for _, r := range ranges {
			n += int64(len(t.partHead(nil, r.from, r.to, size, false))) + r.to - r.from
		}
		t.ctype, t.clen = "multipart/byteranges; boundary="+t.boundaryString(), n
	}
}

// ifRangeMatches is the If-Range check: absent, or equal to the entity
// tag (a value ending in '"') or to the Last-Modified time.
func (t *Txn) ifRangeMatches() bool {
	ir := t.req.Header(t.buf, "If-Range")
	if ir == nil {
		return true
	}
	if len(ir) >= 2 && ir[len(ir)-1] == '"' {
		vs := t.headerValues("etag")
		return len(vs) > 0 && string(ir) == vs[len(vs)-1]
	}
	if t.fileTime == "" {
		return false
	}
	a, ok1 := parseHTTPTime(string(ir))
	b, ok2 := parseHTTPTime(t.fileTime)
	return ok1 && ok2 && a == b
}

// boundaryString is the multipart boundary, 20 digits as nginx prints it.
func (t *Txn) boundaryString() string {
	s := strconv.FormatUint(t.boundary, 10)
	for len(s) < 20 {
		s = "0" + s
	}
	return s
}

// partHead appends the text before part [from, to) of a multipart body,
// or the closing boundary (last).
func (t *Txn) partHead(dst []byte, from, to, size int64, last bool) []byte {
	dst = append(dst, "\r\n--"...)
	dst = append(dst, t.boundaryString()...)
	if last {
		return append(dst, "--\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if ct := t.partCtype; ct != "" {
		dst = append(dst, "Content-Type: "...)
		dst = append(dst, ct...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Range: bytes "...)
	dst = strconv.AppendInt(dst, from, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, to-1, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, size, 10)
	return append(dst, "\r\n\r\n"...)
}

// writeRanges writes the parts of data a 206 response has.
func (t *Txn) writeRanges(data []byte) {
	if len(t.ranges) == 1 {
		_ = t.Write(data[t.ranges[0].from:t.ranges[0].to])
		return
	}
	size := int64(len(data))
	for _, r := range t.ranges {
		_ = t.Write(t.partHead(t.s.ebuf[:0], r.from, r.to, size, false))
		_ = t.Write(data[r.from:r.to])
	}
	_ = t.Write(t.partHead(t.s.ebuf[:0], -1, 0, size, true))
}

// Outcomes of parseRanges.
const (
	rangeOK            = iota // the ranges are in the slice
	rangeDeclined             // serve the whole body
	rangeUnsatisfiable        // answer 416
)

// parseRanges reads the ranges of a "bytes=" value (after the prefix)
// against a body of size bytes, as nginx's ngx_http_range_parse does:
// "a-b", "a-" and "-n" separated by commas, spaces allowed around the
// numbers; parts starting past the end are dropped; several parts larger
// together than the body are declined.
func parseRanges(dst []byteRange, v []byte, size int64) ([]byteRange, int) {
	i := 0
	at := func() byte {
		if i < len(v) {
			return v[i]
		}
		return 0
	}
	skip := func() {
		for at() == ' ' {
			i++
		}
	}
	num := func() (int64, bool) {
		var n int64
		for isDigit(at()) {
			if n > (1<<62)/10 {
				return 0, false
			}
			n = n*10 + int64(v[i]-'0')
			i++
		}
		return n, true
	}
	var total int64
	for {
		var start, end int64
		skip()
		if at() != '-' {
			if !isDigit(at()) {
				return dst, rangeUnsatisfiable
			}
			var ok bool
			if start, ok = num(); !ok {
				return dst, rangeUnsatisfiable
			}
			skip()
			if at() != '-' {
				return dst, rangeUnsatisfiable
			}
			i++
			skip()
			if c := at(); c == ',' || c == 0 {
				end = size
				goto found
			}
		} else {
			i++
			if !isDigit(at()) {
				return dst, rangeUnsatisfiable
			}
			n, ok := num()
			if !ok {
				return dst, rangeUnsatisfiable
			}
			skip()
			if c := at(); c != ',' && c != 0 {
				return dst, rangeUnsatisfiable
			}
			start, end = max(size-n, 0), size
			goto found
		}
		if !isDigit(at()) {
			return dst, rangeUnsatisfiable
		}
		{
			n, ok := num()
			if !ok {
				return dst, rangeUnsatisfiable
			}
			end = n
		}
		skip()
		if c := at(); c != ',' && c != 0 {
			return dst, rangeUnsatisfiable
		}
		end = min(end+1, size)
	found:
		if start < end {
			dst = append(dst, byteRange{start, end})
			total += end - start
		} else if start == 0 {
			return dst, rangeDeclined
		}
		if at() != ',' {
			break
		}
		i++
	}
	switch {
	case len(dst) == 0:
		return dst, rangeUnsatisfiable
	case len(dst) > 1 && total > size:
		return dst, rangeDeclined
	}
	return dst, rangeOK
}
