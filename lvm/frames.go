package lvm

import (
	"reflect"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// Walking a coroutine's call frames with gopher-lua's API (LState.GetStack)
// allocates a Debug record per level, and every await walks them twice (is
// there a Go frame to yield across? how many results does the call site
// want?). lvm instead reads gopher-lua v1.1.2's frames directly through
// frame, a mirror of its unexported callFrame, and LState.currentFrame.
// Nothing is written through them.
//
// The mirror is checked against the real types once, at start: every field
// name, offset and kind must match, or framesOK stays false and lvm uses
// GetStack (correct, one allocation per level). TestFramesMirror fails when
// a gopher-lua upgrade breaks the mirror, so the slow path never ships
// unnoticed.

// frame mirrors gopher-lua's callFrame field for field.
type frame struct {
	Idx        int
	Fn         *lua.LFunction
	Parent     *frame
	Pc         int
	Base       int
	LocalBase  int
	ReturnBase int
	NArgs      int
	NRet       int
	TailCall   int
}

var (
	// framesOK: frame matches callFrame and curFrameOff is valid.
	framesOK bool
	// curFrameOff is the offset of LState.currentFrame.
	curFrameOff uintptr
)

func init() { framesOK, curFrameOff = checkFrames() }

// checkFrames reports whether frame mirrors the callFrame LState points to,
// and where LState keeps that pointer.
func checkFrames() (bool, uintptr) {
	st, ok := reflect.TypeFor[lua.LState]().FieldByName("currentFrame")
	if !ok || st.Type.Kind() != reflect.Pointer {
		return false, 0
	}
	real, mine := st.Type.Elem(), reflect.TypeFor[frame]()
	if real.Kind() != reflect.Struct || real.Size() != mine.Size() || real.NumField() != mine.NumField() {
		return false, 0
	}
	for i := range mine.NumField() {
		r, m := real.Field(i), mine.Field(i)
		if r.Name != m.Name || r.Offset != m.Offset || r.Type.Kind() != m.Type.Kind() {
			return false, 0
		}
		switch m.Name {
		case "Fn":
			if r.Type != m.Type {
				return false, 0
			}
		case "Parent":
			if r.Type != st.Type {
				return false, 0
			}
		}
	}
	return true, st.Offset
}

// topFrame returns L's running frame (nil when nothing runs); framesOK only.
func topFrame(L *lua.LState) *frame {
	return *(**frame)(unsafe.Add(unsafe.Pointer(L), curFrameOff))
}

// How frameAt's walk ended.
const (
	frameFound     = iota
	frameNone      // past the bottom: GetStack says no such level
	frameTailCalls // a tail call made the level negative: GetStack answers the bottom frame
)

// frameAt returns the frame GetStack(level) describes, walking down from f
// as GetStack does (a Lua frame's tail calls count as levels).
func frameAt(f *frame, level int) (*frame, int) {
	for ; level > 0 && f != nil; f = f.Parent {
		level--
		if !f.Fn.IsG {
			level -= f.TailCall
		}
	}
	switch {
	case level == 0 && f != nil:
		return f, frameFound
	case level < 0:
		return nil, frameTailCalls
	}
	return nil, frameNone
}
