package loop

import "github.com/luring/luring/ring"

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
// in the ring by user_data = generation<<32 | slot.
type op struct {
	gen  uint32 // bumped on free; a completion with another generation is stale
	kind opKind
	next int32       // free-list link while kind == opFree; -1 ends the list
	conn *Conn       // opRecv, opRecvMulti, opSend, opShutdown, opClose, opConnect
	ln   *Listener   // opAccept
	dial *dialer     // opConnect
	pc   *PacketConn // opPacketRecv, opPacketSend, opPacketClose
}

// slab is the loop's table of operations. Loop thread only.
type slab struct {
	ops  []op // grows, never shrinks; indexes are stable
	free int32
	live int // operations allocated and not yet freed
}

func newSlab(capacity int) slab {
	s := slab{ops: make([]op, 0, capacity), free: -1}
	return s
}

// alloc returns a fresh operation of kind k and its user_data.
func (s *slab) alloc(k opKind) (*op, uint64) {
	var slot int32
	if s.free >= 0 {
		slot = s.free
		s.free = s.ops[slot].next
	} else {
		// Generations start at 1, so no live operation has user_data 0,
		// which callers use for "none".
		s.ops = append(s.ops, op{gen: 1})
		slot = int32(len(s.ops) - 1)
	}
	o := &s.ops[slot]
	o.kind = k
	o.next = -1
	s.live++
	return o, uint64(o.gen)<<32 | uint64(uint32(slot))
}

// lookup returns the live operation named by ud, or nil when it is stale.
// The pointer is valid until the next alloc.
func (s *slab) lookup(ud uint64) *op {
	slot := int(uint32(ud))
	if slot >= len(s.ops) {
		return nil
	}
	o := &s.ops[slot]
	if o.kind == opFree || o.gen != uint32(ud>>32) {
		return nil
	}
	return o
}

// release frees the operation named by ud.
func (s *slab) release(ud uint64) {
	slot := int32(uint32(ud))
	o := &s.ops[slot]
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
