package lvm

import (
	"math"
	"math/bits"

	lua "github.com/yuin/gopher-lua"
)

// bitFuncs is LuaJIT's BitOp module: every result is a signed 32-bit
// integer, every argument is first normalised by tobit.
var bitFuncs = map[string]lua.LGFunction{
	"tobit":   bitToBit,
	"tohex":   bitToHex,
	"bnot":    bitNot,
	"band":    bitReduce(func(a, b uint32) uint32 { return a & b }),
	"bor":     bitReduce(func(a, b uint32) uint32 { return a | b }),
	"bxor":    bitReduce(func(a, b uint32) uint32 { return a ^ b }),
	"lshift":  bitShift(func(a uint32, n uint) uint32 { return a << n }),
	"rshift":  bitShift(func(a uint32, n uint) uint32 { return a >> n }),
	"arshift": bitShift(func(a uint32, n uint) uint32 { return uint32(int32(a) >> n) }),
	"rol":     bitShift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, int(n)) }),
	"ror":     bitShift(func(a uint32, n uint) uint32 { return bits.RotateLeft32(a, -int(n)) }),
	"bswap":   bitBswap,
}

// ToBit is BitOp's tobit: the number rounded to an integer (ties to even,
// as LuaJIT's 2^52+2^51 addition does) and wrapped modulo 2^32 into int32.
func ToBit(f float64) int32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	r := math.Mod(math.RoundToEven(f), 4294967296)
	return int32(uint32(int64(r)))
}

func checkBit(L *lua.LState, n int) uint32 { return uint32(ToBit(checkNumber(L, n))) }

func pushBit(L *lua.LState, v uint32) int {
	L.Push(lua.LNumber(int32(v)))
	return 1
}

func bitToBit(L *lua.LState) int { return pushBit(L, checkBit(L, 1)) }

func bitNot(L *lua.LState) int { return pushBit(L, ^checkBit(L, 1)) }

func bitBswap(L *lua.LState) int { return pushBit(L, bits.ReverseBytes32(checkBit(L, 1))) }

// bitReduce folds op over one or more arguments.
func bitReduce(op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		v := checkBit(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			v = op(v, checkBit(L, i))
		}
		return pushBit(L, v)
	}
}

// bitShift applies op with the count masked to 5 bits, as BitOp does.
func bitShift(op func(a uint32, n uint) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		return pushBit(L, op(checkBit(L, 1), uint(checkBit(L, 2)&31)))
	}
}

// bitToHex is tohex(x [, n]): n hex digits (default 8, at most 8), upper
// case when n is negative.
func bitToHex(L *lua.LState) int {
	v := checkBit(L, 1)
	n := int32(8)
	if L.Get(2) != lua.LNil {
		n = int32(checkBit(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	var buf [8]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[v&15]
		v >>= 4
	}
	L.Push(lua.LString(buf[:n]))
	return 1
}
