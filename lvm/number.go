package lvm

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// AppendNumber appends f rendered as LuaJIT renders numbers ("%.14g"):
// integers without ".0", 1e+15, 0.33333333333333, -0, inf, -inf, nan.
func AppendNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && f > -1e14 && f < 1e14 {
		if f == 0 && math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return strconv.AppendInt(dst, int64(f), 10)
	}
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 14, 64)
}

// FormatNumber renders f as LuaJIT's tostring does; see AppendNumber.
// Integers below 100 do not allocate; others allocate the string only.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && f > -1e14 && f < 1e14 && !(f == 0 && math.Signbit(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	var buf [32]byte
	return string(AppendNumber(buf[:0], f))
}

// ToString renders v as LuaJIT's tostring: numbers as FormatNumber,
// __tostring honoured (its result must be a string), other values as
// gopher-lua prints them ("table: 0x…"). A failing __tostring raises in L.
func ToString(L *lua.LState, v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return FormatNumber(float64(x))
	case *lua.LNilType:
		return "nil"
	case lua.LBool:
		if x {
			return "true"
		}
		return "false"
	}
	if mm := L.GetMetaField(v, "__tostring"); mm != lua.LNil {
		L.Push(mm)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		switch s := r.(type) {
		case lua.LString:
			return string(s)
		case lua.LNumber:
			return FormatNumber(float64(s))
		}
		L.RaiseError("'__tostring' must return a string")
	}
	return v.String()
}

// isSpace is C's isspace in the "C" locale, which LuaJIT uses.
func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// parseNumber converts a string as LuaJIT's tonumber does without a base:
// surrounding whitespace, decimal with optional fraction and exponent, hex
// integers (0x10), hex floats with a p exponent, inf/infinity/nan.
func parseNumber(s string) (float64, bool) {
	s = trimSpace(s)
	body, neg := s, false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	if body == "" {
		return 0, false
	}
	var f float64
	switch {
	case len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'):
		v, ok := parseHex(body[2:])
		if !ok {
			return 0, false
		}
		f = v
	case isDigit(body[0]) || body[0] == '.':
		if !validDecimal(body) {
			return 0, false
		}
		v, err := strconv.ParseFloat(body, 64)
		if err != nil && !math.IsInf(v, 0) {
			return 0, false
		}
		f = v
	default:
		switch strings.ToLower(body) {
		case "inf", "infinity":
			f = math.Inf(1)
		case "nan":
			f = math.NaN()
		default:
			return 0, false
		}
	}
	if neg {
		f = -f
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validDecimal accepts digits [. digits] [e[+-]digits] with at least one
// mantissa digit: exactly what strtod takes, minus hex and specials.
func validDecimal(s string) bool {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// parseHex parses the digits after "0x": an integer of any length, or a hex
// float with a binary exponent ("1.8p1").
func parseHex(s string) (float64, bool) {
	if strings.ContainsAny(s, ".pP") {
		v, err := strconv.ParseFloat("0x"+s, 64)
		return v, err == nil && !strings.Contains(s, "_")
	}
	var f float64
	for i := 0; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= 16 {
			return 0, false
		}
		f = f*16 + float64(d)
	}
	return f, true
}

// digitVal is the value of an alphanumeric digit in bases up to 36; 99 otherwise.
func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// parseBase converts as LuaJIT's tonumber(s, base): whitespace, a sign,
// strtoul digits (a 0x prefix allowed for base 16), saturating at 2^64-1,
// trailing whitespace only.
func parseBase(s string, base int) (float64, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	if i >= len(s) || digitVal(s[i]) == 99 {
		return 0, false
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitVal(s[i+2]) < 16 {
		i += 2
	}
	var u uint64
	start, over := i, false
	for ; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if u > (math.MaxUint64-uint64(d))/uint64(base) {
			over = true
		}
		u = u*uint64(base) + uint64(d)
	}
	if i == start {
		return 0, false
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	if over {
		u = math.MaxUint64
	}
	f := float64(u)
	if neg {
		f = -f
	}
	return f, true
}

// toNumber coerces a Lua argument the way LuaJIT's number checks do:
// numbers as they are, strings through parseNumber.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return parseNumber(string(x))
	}
	return 0, false
}

// checkNumber is luaL_checknumber with LuaJIT's string coercion.
func checkNumber(L *lua.LState, n int) float64 {
	v := L.Get(n)
	f, ok := toNumber(v)
	if !ok {
		L.TypeError(n, lua.LTNumber)
	}
	return f
}

// smallInts boxes the numbers 0..len-1 once, so results that are small
// offsets or counts (find's bounds, gsub's count) allocate nothing.
var smallInts = func() (v [1024]lua.LValue) {
	for i := range v {
		v[i] = lua.LNumber(i)
	}
	return
}()

// Int returns n as a Lua number, boxed once for 0..1023: pushing a small
// count or offset (a send's byte count, a status) allocates nothing, where
// lua.LNumber(n) in an LValue costs 8 bytes each time.
func Int(n int) lua.LValue { return intValue(n) }

func intValue(n int) lua.LValue {
	if uint(n) < uint(len(smallInts)) {
		return smallInts[n]
	}
	return lua.LNumber(n)
}
