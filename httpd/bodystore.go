package httpd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
)

// bodyStore is the request body a request keeps: what ReadBody read, or
// what the Lua API installed (ngx.req.set_body_data/_file, init_body,
// append_body, finish_body). It lives in memory up to a limit and in a
// temp file beyond, as nginx's request_body does. Its file I/O (create,
// write, remove) blocks the loop's thread: a documented exception, as
// static files are (page-cache writes of at most client_body_buffer_size
// each; docs/architecture.md).
type bodyStore struct {
	kept  bool   // a body record exists (read, or installed)
	mem   []byte // the body in memory (when path is "")
	limit int64  // bytes kept in memory before the body goes to a file; -1: no limit
	f     *os.File
	path  string // the temp file (or set_body_file's), "" when in memory
	size  int64  // bytes in the file
	clean bool   // remove path when the request ends
	keep  bool   // client_body_in_file_only on: new temp files are kept
}

// tempSeq numbers temp files, as nginx names them (10 digits).
var tempSeq atomic.Uint64

func init() { tempSeq.Store(uint64(os.Getpid()) * 1000) }

// reset empties the store for a new body with the memory limit given.
func (b *bodyStore) reset(limit int64, keep bool) {
	b.release()
	b.limit, b.keep = limit, keep
}

// release drops the body: a temp file is closed, and removed when it is
// ours to clean.
func (b *bodyStore) release() {
	if b.f != nil {
		_ = b.f.Close()
		b.f = nil
	}
	if b.path != "" && b.clean {
		_ = os.Remove(b.path)
	}
	b.path, b.size, b.clean, b.kept = "", 0, false, false
	b.mem = b.mem[:0]
	if cap(b.mem) > maxKeptBody {
		b.mem = nil // a pooled request state does not keep a large body's buffer
	}
}

// maxKeptBody is the largest body buffer a request state keeps for the
// next request.
const maxKeptBody = 64 << 10

// inFile reports whether the body is in a file.
func (b *bodyStore) inFile() bool { return b.path != "" }

// data is the body in memory; nil when it is in a file or none is kept.
func (b *bodyStore) data() []byte {
	if b.path != "" || !b.kept {
		return nil
	}
	return b.mem
}

// write appends p to the body, going to a temp file when the memory limit
// is passed.
func (b *bodyStore) write(t *Txn, p []byte) error {
	if b.f == nil && (b.limit < 0 || int64(len(b.mem)+len(p)) <= b.limit) && b.path == "" {
		b.mem = append(b.mem, p...)
		return nil
	}
	if b.f == nil {
		if b.path != "" {
			return errors.New("httpd: body file closed")
		}
		if err := b.create(t); err != nil {
			return err
		}
		if len(b.mem) > 0 {
			if err := b.fileWrite(t, b.mem); err != nil {
				return err
			}
			b.mem = b.mem[:0]
		}
	}
	return b.fileWrite(t, p)
}

func (b *bodyStore) fileWrite(t *Txn, p []byte) error {
	n, err := b.f.Write(p)
	b.size += int64(n)
	if err != nil {
		t.logf(0, "write() \"%s\" failed (%v)", b.path, err)
	}
	return err
}

// create opens a new temp file under client_body_temp_path.
func (b *bodyStore) create(t *Txn) error {
	dir := t.settings().ClientBodyTempPath
	if dir == "" {
		dir = os.TempDir()
	}
	for range 16 {
		name := filepath.Join(dir, fmt.Sprintf("%010d", tempSeq.Add(1)%10000000000))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrNotExist) {
			if err = os.MkdirAll(dir, 0o700); err == nil {
				f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			}
		}
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			t.logf(0, "open() \"%s\" failed (%v)", name, err)
			return err
		}
		b.f, b.path, b.size, b.clean = f, name, 0, !b.keep
		return nil
	}
	return os.ErrExist
}

// finish closes the temp file being written, if any.
func (b *bodyStore) finish() error {
	if b.f == nil {
		return nil
	}
	err := b.f.Close()
	b.f = nil
	return err
}

// length is the body's size.
func (b *bodyStore) length() int64 {
	if b.path != "" {
		return b.size
	}
	return int64(len(b.mem))
}

// fileContent reads a file body back (the proxy sends it): blocking, as
// the store's writes.
func (b *bodyStore) fileContent(dst []byte) []byte {
	if b.path == "" {
		return append(dst, b.mem...)
	}
	p, err := os.ReadFile(b.path)
	if err != nil {
		return dst
	}
	return append(dst, p...)
}

// Errors of the body API, in ngx_lua's words.
var (
	ErrBodyNotRead      = errors.New("request body not read yet")
	ErrBodyDiscardedNow = errors.New("request body already discarded asynchronously")
	ErrBodyNotInit      = errors.New("request_body not initialized")
	ErrBodyFileWrite    = errors.New("fail to write file")
)

// RequestBody returns the body kept: its bytes when in memory, or the
// name of its file. Both empty when none is kept.
func (t *Txn) RequestBody() (data []byte, file string) {
	st := &t.s.store
	if !st.kept || t.bodyState == bodyReading {
		return nil, ""
	}
	return st.data(), st.path
}

// canInstall is the precondition of installing a body.
func (t *Txn) canInstall() error {
	switch {
	case t.bodyState == bodyDiscard:
		return ErrBodyDiscardedNow
	case !t.s.store.kept && t.bodyState != bodyDone && t.bodyState != bodyStream:
		return ErrBodyNotRead
	}
	return nil
}

// SetRequestBody replaces the body with a copy of p (ngx.req.set_body_data)
// and sets the Content-Length request header to its length.
func (t *Txn) SetRequestBody(p []byte) error {
	if err := t.canInstall(); err != nil {
		return err
	}
	st := &t.s.store
	st.reset(-1, false)
	st.kept = true
	st.mem = append(st.mem, p...)
	t.bodyInstalled(int64(len(p)))
	return nil
}

// SetRequestBodyFile makes the file the body (ngx.req.set_body_file),
// removed when the request ends if clean. The error of a file that cannot
// be opened is the syscall's, as nginx words it: `open() "path" failed`.
func (t *Txn) SetRequestBodyFile(path string, clean bool) error {
	if err := t.canInstall(); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open() \"%s\" failed", path)
	}
	st := &t.s.store
	st.reset(-1, false)
	st.kept = true
	st.path, st.size, st.clean = path, fi.Size(), clean
	t.bodyInstalled(fi.Size())
	return nil
}

// InitBody starts a new body (ngx.req.init_body) kept in memory up to
// size bytes (-1: client_body_buffer_size), in a temp file beyond.
func (t *Txn) InitBody(size int64) error {
	if err := t.canInstall(); err != nil {
		return err
	}
	if size < 0 {
		size = t.settings().ClientBodyBufferSize
	}
	st := &t.s.store
	st.reset(size, false)
	st.kept = true
	t.bodyInit = true
	return nil
}

// AppendBody adds p to the body begun with InitBody.
func (t *Txn) AppendBody(p []byte) error {
	if !t.bodyInit {
		return ErrBodyNotInit
	}
	if err := t.s.store.write(t, p); err != nil {
		return ErrBodyFileWrite
	}
	return nil
}

// FinishBody ends the body begun with InitBody and sets Content-Length.
func (t *Txn) FinishBody() error {
	if !t.bodyInit {
		return ErrBodyNotInit
	}
	st := &t.s.store
	if err := st.finish(); err != nil {
		return ErrBodyFileWrite
	}
	t.bodyInit = false
	t.bodyInstalled(st.length())
	return nil
}

// bodyInstalled marks the body read and sets the Content-Length header.
func (t *Txn) bodyInstalled(n int64) {
	if t.bodyState == bodyNone {
		t.bodyState = bodyDone
	}
	_ = t.editRequestHeader("Content-Length", false, strconv.AppendInt(nil, n, 10), false)
}
