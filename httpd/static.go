package httpd

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luring/luring/conf"
)

// This file is the content handler of a location without one: nginx's
// static and index modules over the location's root, enough for the
// "location / { root html; index index.html; }" every Test::Nginx
// configuration has and for plain files next to Lua handlers. Files are
// read whole with blocking calls on the loop's thread, as nginx does
// without aio; byte ranges are served by range.go; alias and try_files
// are not implemented.

// httpTimeLayout is the RFC 1123 date of Last-Modified and Date.
const httpTimeLayout = "Mon, 02 Jan 2006 15:04:05 GMT"

// serveStatic answers the request from the file system under the
// location's root.
func (t *Txn) serveStatic() {
	switch t.methodID() {
	case MethodGET, MethodHEAD, MethodPOST:
	default:
		t.special(405)
		return
	}
	st := t.settings()
	uri := t.URI()
	if strings.HasSuffix(uri, "/") {
		t.serveIndex(st, uri)
		return
	}
	path := st.Root + uri
	fi, err := os.Stat(path)
	if err != nil {
		t.special(t.openFailed(path, err))
		return
	}
	if fi.IsDir() {
		// nginx: "301 Moved Permanently" to the directory with a slash.
		loc := uri + "/"
		if a := t.Args(); a != "" {
			loc += "?" + a
		}
		t.setLocation(loc)
		t.special(301)
		return
	}
	t.sendFile(path, uri, fi)
}

// serveIndex is nginx's index module: the first index file that exists
// is served. nginx makes this an internal redirect to uri+name, which
// matches locations again; here the file is served by the same location.
func (t *Txn) serveIndex(st *conf.Settings, uri string) {
	dir := st.Root + uri
	for _, name := range st.Index {
		path := dir + name
		fi, err := os.Stat(path)
		if err == nil && !fi.IsDir() {
			t.sendFile(path, uri+name, fi)
			return
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			t.special(t.openFailed(path, err))
			return
		}
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		t.special(t.openFailed(dir, err))
	case fi.IsDir():
		t.logf(conf.LogError, "directory index of \"%s\" is forbidden", dir)
		t.special(403)
	default:
		t.special(404)
	}
}

// openFailed logs a failed open of path as nginx does and returns the
// status to answer with: 404 for a missing file, 403 for a forbidden one,
// 500 otherwise.
func (t *Txn) openFailed(path string, err error) int {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.EIO
	}
	t.logf(conf.LogError, "open() \"%s\" failed (%d: %s)", path, int(errno), errnoText(errno))
	switch errno {
	case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG:
		return 404
	case syscall.EACCES:
		return 403
	}
	return 500
}

// errnoText is strerror's text, with glibc's capital letter.
func errnoText(e syscall.Errno) string {
	s := e.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// sendFile sends the regular file at path as the response; name is the
// URI it is served as (for its type).
func (t *Txn) sendFile(path, name string, fi fs.FileInfo) {
	if t.methodID() == MethodPOST {
		t.special(405)
		return
	}
	var data []byte
	if t.methodID() != MethodHEAD {
		b, err := os.ReadFile(path)
		if err != nil {
			t.special(t.openFailed(path, err))
			return
		}
		data = b
	}
	t.status, t.fixedLen = 200, true
	t.ctypeSet, t.ctype = true, defaultFileType(name, t.settings().DefaultType)
	t.clen = fi.Size()
	if t.methodID() != MethodHEAD {
		t.clen = int64(len(data))
	}
	mt := fi.ModTime()
	t.lastMod = mt.UTC().Format(httpTimeLayout)
	t.fileTime = t.lastMod
	t.addHeader("ETag", `"`+strconv.FormatInt(mt.Unix(), 16)+"-"+strconv.FormatInt(t.clen, 16)+`"`)
	t.allowRanges = true
	t.commit()
	if !t.active {
		return
	}
	if t.status == 416 {
		data = t.s.lst.srv.pages.Page(416)
	}
	if len(t.ranges) > 0 && len(data) > 0 {
		t.writeRanges(data)
	} else {
		_ = t.Write(data)
	}
	t.finishResponse()
}

// defaultFileType is the type of a file by its extension from nginx's
// built-in table, used when no types block is configured (luring has
// none): html, gif and jpg; anything else gets default_type.
func defaultFileType(name, def string) string {
	slash := strings.LastIndexByte(name, '/')
	dot := strings.LastIndexByte(name, '.')
	if dot <= slash {
		return def
	}
	switch strings.ToLower(name[dot+1:]) {
	case "html":
		return "text/html"
	case "gif":
		return "image/gif"
	case "jpg":
		return "image/jpeg"
	}
	return def
}

// notModified is nginx's not-modified filter for a 200 response: true
// when If-Modified-Since equals the response's Last-Modified exactly
// (if_modified_since exact) and If-None-Match, when given, matches its
// ETag. Only then the response becomes a 304.
func (t *Txn) notModified() bool {
	ims := t.req.Header(t.buf, "If-Modified-Since")
	inm := t.req.Header(t.buf, "If-None-Match")
	if ims == nil && inm == nil {
		return false
	}
	if ims != nil {
		lm := t.fileTime
		if lm == "" {
			vs := t.headerValues("last-modified")
			if len(vs) == 0 {
				return false
			}
			lm = vs[len(vs)-1]
		}
		a, ok1 := parseHTTPTime(lm)
		b, ok2 := parseHTTPTime(string(ims))
		if !ok1 || !ok2 || a != b {
			return false
		}
	}
	if inm != nil {
		vs := t.headerValues("etag")
		if len(vs) == 0 || !etagMatch(string(inm), vs[len(vs)-1]) {
			return false
		}
	}
	return true
}

// headerValues returns the values of the response headers named lname
// (lower case) from the handler's list.
func (t *Txn) headerValues(lname string) []string {
	var out []string
	for _, h := range t.hdrs {
		if len(h.Name) == len(lname) && equalFold(h.Name, lname) {
			out = append(out, h.Value)
		}
	}
	return out
}

// parseHTTPTime parses the three date formats of HTTP/1.1 into unix
// seconds.
func parseHTTPTime(v string) (int64, bool) {
	for _, layout := range []string{httpTimeLayout, "Monday, 02-Jan-06 15:04:05 GMT", "Mon Jan _2 15:04:05 2006"} {
		if tm, err := time.Parse(layout, strings.TrimSpace(v)); err == nil {
			return tm.Unix(), true
		}
	}
	return 0, false
}

// etagMatch reports whether the If-None-Match list matches etag with the
// weak comparison: "*", or any entry equal to it once "W/" is dropped.
func etagMatch(list, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || strings.TrimPrefix(e, "W/") == etag {
			return true
		}
	}
	return false
}
