package ring

import (
	"fmt"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// maxBufRingEntries is the kernel's limit on a provided-buffer ring.
const maxBufRingEntries = 1 << 15

// uringBufGroup is one registered provided-buffer ring and the memory of its
// buffers. Loop thread only.
type uringBufGroup struct {
	br   *giouring.BufAndRing // the ring shared with the kernel (giouring mmap'd it)
	mask int                  // count-1
	size int                  // bytes per buffer
	mem  []byte               // count*size bytes from mmap, outside the Go heap
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
	for i := range count {
		br.BufRingAdd(g.addr(uint16(i)), uint32(size), uint16(i), g.mask, i)
	}
	br.BufRingAdvance(count)
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

// ReleaseBuffer gives buffer bid of group back to the kernel.
func (r *uring) ReleaseBuffer(group uint16, bid uint16) {
	g := r.group(group)
	if g == nil || int(bid) > g.mask {
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
