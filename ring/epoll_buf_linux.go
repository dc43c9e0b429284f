package ring

import "golang.org/x/sys/unix"

// bufGroup emulates one io_uring provided-buffer group for the epoll
// backend: count buffers of size bytes in one allocation and a free list.
type bufGroup struct {
	mem  []byte   // count*size bytes; buffer bid is mem[bid*size:(bid+1)*size]
	size int      // bytes per buffer
	free []uint16 // ids the backend may fill, used as a stack
	out  []bool   // out[bid]: filled and handed to the caller, not yet released
}

// take pops a free buffer id.
func (g *bufGroup) take() (uint16, bool) {
	n := len(g.free)
	if n == 0 {
		return 0, false
	}
	bid := g.free[n-1]
	g.free = g.free[:n-1]
	g.out[bid] = true
	return bid, true
}

// put gives buffer bid back to the free list; a bid not out is ignored.
func (g *bufGroup) put(bid uint16) {
	if int(bid) >= len(g.out) || !g.out[bid] {
		return
	}
	g.out[bid] = false
	g.free = append(g.free, bid)
}

// slot returns the whole of buffer bid.
func (g *bufGroup) slot(bid uint16) []byte {
	off := int(bid) * g.size
	return g.mem[off : off+g.size : off+g.size]
}

// group returns buffer group id, or nil.
func (r *epollRing) group(id uint16) *bufGroup {
	if int(id) >= len(r.groups) {
		return nil
	}
	return r.groups[id]
}

// SetupBuffers allocates count buffers of size bytes for group once.
func (r *epollRing) SetupBuffers(group uint16, count int, size int) error {
	if count <= 0 || count > 1<<15 || count&(count-1) != 0 || size <= 0 {
		return unix.EINVAL
	}
	if r.group(group) != nil {
		return unix.EEXIST
	}
	g := &bufGroup{
		mem:  make([]byte, count*size),
		size: size,
		free: make([]uint16, count),
		out:  make([]bool, count),
	}
	for i := range g.free {
		g.free[i] = uint16(count - 1 - i) // buffer 0 is taken first
	}
	if int(group) >= len(r.groups) {
		grown := make([]*bufGroup, int(group)+1)
		copy(grown, r.groups)
		r.groups = grown
	}
	r.groups[group] = g
	return nil
}

// Buffer returns buffer bid of group (nil when there is no such buffer).
// The slice is valid until ReleaseBuffer(group, bid).
func (r *epollRing) Buffer(group uint16, bid uint16) []byte {
	g := r.group(group)
	if g == nil || int(bid) >= len(g.out) {
		return nil
	}
	return g.slot(bid)
}

// ReleaseBuffer makes buffer bid of group available to RecvMultishot again.
func (r *epollRing) ReleaseBuffer(group uint16, bid uint16) {
	if g := r.group(group); g != nil {
		g.put(bid)
	}
}
