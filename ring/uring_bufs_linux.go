package ring

import (
	"fmt"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// maxBufRingEntries is the kernel's limit on a provided-buffer ring.
const maxBufRingEntries = 1 << 15

// minPostedBuffers is how many buffers of a group the kernel is given at
// first. The kernel takes provided buffers in ring order and a released one
// goes to the back, so every posted buffer is written (one page of it at
// least) within that many receives: posting all of a 512-buffer group made
// a lightly loaded loop's resident memory grow by 2 MiB, 210 bytes per
// connection of a 10,000-connection idle test. The rest of the group is
// posted when a receive finds none (-ENOBUFS), doubling each time.
const minPostedBuffers = 32

// uringBufGroup is one registered provided-buffer ring and the memory of its
// buffers. Loop thread only.
type uringBufGroup struct {
	br   *giouring.BufAndRing // the ring shared with the kernel (giouring mmap'd it)
	mask int                  // count-1
	size int                  // bytes per buffer
	mem  []byte               // count*size bytes from mmap, outside the Go heap
	// posted is how many buffers circulate: ids below it were given to the
	// kernel, the others wait untouched until a receive runs short (grow).
	posted int
}

// SetupBuffers registers group with count buffers of size bytes each and
// hands them all to the kernel. count must be a power of two up to 32768.
// ErrUnsupported when the kernel lacks multishot recv or buffer rings.
func (r *uring) SetupBuffers(group uint16, count int, size int) error {
	if r.closed {
		return ErrClosed
	}
	if !r.feat.MultishotRecv {
		return ErrUnsupported
	}
	if count <= 0 || count > maxBufRingEntries || count&(count-1) != 0 || size <= 0 {
		return fmt.Errorf("ring: SetupBuffers(%d, %d, %d): count must be a power of two <= %d and size > 0",
			group, count, size, maxBufRingEntries)
	}
	if r.group(group) != nil {
		return fmt.Errorf("ring: SetupBuffers: group %d already registered", group)
	}
	// Buffers live outside the Go heap: the kernel writes them whenever a
	// recv completes, and no Go object may move or be freed under it.
	mem, err := unix.Mmap(-1, 0, count*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("ring: SetupBuffers: mmap: %w", err)
	}
	br, err := r.ring.SetupBufRing(uint32(count), int(group), 0)
	if err != nil {
		_ = unix.Munmap(mem)
		return fmt.Errorf("ring: SetupBuffers: register buffer ring: %w", err)
	}
	g := &uringBufGroup{br: br, mask: count - 1, size: size, mem: mem}
	g.grow(min(count, minPostedBuffers))
	for len(r.groups) <= int(group) {
		r.groups = append(r.groups, nil)
	}
	r.groups[group] = g
	return nil
}

// group returns the registered group id, or nil: a slice index, not a map
// lookup, since Buffer and ReleaseBuffer run once per received message.
func (r *uring) group(id uint16) *uringBufGroup {
	if int(id) < len(r.groups) {
		return r.groups[id]
	}
	return nil
}

// grow gives the kernel n more buffers, the next ids not posted yet.
func (g *uringBufGroup) grow(n int) {
	for i := range n {
		bid := uint16(g.posted + i)
		g.br.BufRingAdd(g.addr(bid), uint32(g.size), bid, g.mask, i)
	}
	g.br.BufRingAdvance(n)
	g.posted += n
}

// runShort posts more buffers in every group that has some left (a receive
// ended with -ENOBUFS; the completion does not say which group it used):
// twice as many circulate as before, up to the whole group.
func (r *uring) runShort() {
	for _, g := range r.groups {
		if g != nil && g.posted <= g.mask {
			g.grow(min(g.posted, g.mask+1-g.posted))
		}
	}
}

// addr is the address of buffer bid.
func (g *uringBufGroup) addr(bid uint16) uintptr {
	return uintptr(unsafe.Pointer(&g.mem[int(bid)*g.size]))
}

// Buffer returns provided buffer bid of group, valid until ReleaseBuffer;
// nil for an unknown group or bid. The data of a completion is its first Res
// bytes.
func (r *uring) Buffer(group uint16, bid uint16) []byte {
	g := r.group(group)
	if g == nil || int(bid) > g.mask {
		return nil
	}
	off := int(bid) * g.size
	return g.mem[off : off+g.size : off+g.size]
}

// ReleaseBuffer gives buffer bid of group back to the kernel. A bid never
// posted (the kernel cannot have filled it) is ignored.
func (r *uring) ReleaseBuffer(group uint16, bid uint16) {
	g := r.group(group)
	if g == nil || int(bid) >= g.posted {
		return
	}
	g.br.BufRingAdd(g.addr(bid), uint32(g.size), bid, g.mask, 0)
	g.br.BufRingAdvance(1)
}

// free unregisters the group and unmaps its ring and buffers.
func (g *uringBufGroup) free(ring *giouring.Ring, id uint16) {
	_ = ring.FreeBufRing(int(id))
	ringBytes := uintptr(g.mask+1) * unsafe.Sizeof(giouring.BufAndRing{})
	_, _, _ = unix.Syscall(unix.SYS_MUNMAP, uintptr(unsafe.Pointer(g.br)), ringBytes, 0)
	_ = unix.Munmap(g.mem)
}
