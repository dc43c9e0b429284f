package loop

import (
	"unsafe"

	"github.com/luring/luring/ring"
)

// opKind says which handler a completion goes to.
type opKind uint8

const (
	opFree opKind = iota
	opAccept
	opRecv
	opRecvMulti
	opSend
	opConnect
	opShutdown
	opClose
	opCancel
	opPacketRecv
	opPacketSend
	opPacketClose
)

// op is one operation in flight. It lives in the loop's slab and is named
// in the ring by user_data = generation<<32 | slot. Every connection has
// one in flight while it waits for input, so op is kept to three words.
type op struct {
	gen  uint32 // bumped on free; a completion with another generation is stale
	next int32  // free-list link while kind == opFree; -1 ends the list
	kind opKind
	// owner is what the completion goes to, by kind: a *Conn (opRecv,
	// opRecvMulti, opSend, opShutdown, opClose), *Listener (opAccept),
	// *dialer (opConnect), *PacketConn (opPacket*), nil (opCancel). One
	// pointer for all of them, set and read through the typed methods
	// below only.
	owner unsafe.Pointer
}

func (o *op) setConn(c *Conn)          { o.owner = unsafe.Pointer(c) }
func (o *op) setListener(ln *Listener) { o.owner = unsafe.Pointer(ln) }
func (o *op) setDialer(d *dialer)      { o.owner = unsafe.Pointer(d) }
func (o *op) setPacket(pc *PacketConn) { o.owner = unsafe.Pointer(pc) }
func (o *op) conn() *Conn              { return (*Conn)(o.owner) }
func (o *op) listener() *Listener      { return (*Listener)(o.owner) }
func (o *op) dialer() *dialer          { return (*dialer)(o.owner) }
func (o *op) packet() *PacketConn      { return (*PacketConn)(o.owner) }

// slabChunk is how many operations one chunk of the slab holds (a power
// of two). The slab grows by whole chunks that never move, so growing it
// copies nothing and leaves no old array behind, and at most one chunk is
// unused: 10,000 idle connections cost 24 bytes each here.
const slabChunk = 512

// slab is the loop's table of operations. Loop thread only.
type slab struct {
	chunks [][]op // each slabChunk long; slot i is chunks[i/slabChunk][i%slabChunk]
	n      int32  // slots made so far
	free   int32  // head of the free list, -1 when empty
	live   int    // operations allocated and not yet freed
}

func newSlab() slab { return slab{free: -1} }

// at returns slot i, which must be below s.n.
func (s *slab) at(i int32) *op { return &s.chunks[i/slabChunk][i%slabChunk] }

// alloc returns a fresh operation of kind k and its user_data.
func (s *slab) alloc(k opKind) (*op, uint64) {
	var slot int32
	if s.free >= 0 {
		slot = s.free
		s.free = s.at(slot).next
	} else {
		if int(s.n) == len(s.chunks)*slabChunk {
			s.chunks = append(s.chunks, make([]op, slabChunk))
		}
		slot = s.n
		s.n++
		// Generations start at 1, so no live operation has user_data 0,
		// which callers use for "none".
		s.at(slot).gen = 1
	}
	o := s.at(slot)
	o.kind = k
	o.next = -1
	s.live++
	return o, uint64(o.gen)<<32 | uint64(uint32(slot))
}

// lookup returns the live operation named by ud, or nil when it is stale.
func (s *slab) lookup(ud uint64) *op {
	slot := int32(uint32(ud))
	if slot < 0 || slot >= s.n {
		return nil
	}
	o := s.at(slot)
	if o.kind == opFree || o.gen != uint32(ud>>32) {
		return nil
	}
	return o
}

// release frees the operation named by ud.
func (s *slab) release(ud uint64) {
	slot := int32(uint32(ud))
	o := s.at(slot)
	gen := o.gen + 1
	if gen == 0 {
		gen = 1
	}
	*o = op{gen: gen, kind: opFree, next: s.free}
	s.free = slot
	s.live--
}

// completion aliases ring.Completion for brevity inside the package.
type completion = ring.Completion
