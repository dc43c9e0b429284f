package lvm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is string.format with LuaJIT's behaviour: %s honours
// __tostring and renders numbers as %.14g; %d/%i truncate; %x/%X/%o/%u
// show negatives as 64-bit two's complement; %q quotes as LuaJIT;
// non-finite floats print as inf/-inf/nan.
func strFormat(L *lua.LState) int {
	fs := L.CheckString(1)
	var stack [128]byte
	buf := stack[:0]
	arg := 1
	for i := 0; i < len(fs); i++ {
		c := fs[i]
		if c != '%' {
			buf = append(buf, c)
			continue
		}
		i++
		if i < len(fs) && fs[i] == '%' {
			buf = append(buf, '%')
			continue
		}
		start := i
		for i < len(fs) && strings.IndexByte("-+ #0", fs[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		i = skipDigits(L, fs, i)
		if i < len(fs) && fs[i] == '.' {
			i = skipDigits(L, fs, i+1)
		}
		if i >= len(fs) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		spec, conv := fs[start:i], fs[i]
		arg++
		switch conv {
		case 'd', 'i':
			n := toInt64(checkNumber(L, arg))
			if spec == "" {
				buf = strconv.AppendInt(buf, n, 10)
			} else {
				buf = fmt.Appendf(buf, "%"+spec+"d", n)
			}
		case 'u', 'x', 'X', 'o':
			u := toUint64(checkNumber(L, arg))
			verb := conv
			if conv == 'u' {
				verb = 'd'
			}
			if spec == "" && conv == 'x' {
				buf = strconv.AppendUint(buf, u, 16)
			} else {
				buf = fmt.Appendf(buf, "%"+spec+string(verb), u)
			}
		case 'c':
			buf = append(buf, byte(int64(checkNumber(L, arg))))
		case 'e', 'E', 'f', 'F', 'g', 'G':
			buf = appendFloat(buf, spec, conv, checkNumber(L, arg))
		case 'a', 'A':
			buf = appendHexFloat(buf, spec, conv, checkNumber(L, arg))
		case 's':
			L.CheckAny(arg)
			s := ToString(L, L.Get(arg))
			if p := strings.IndexByte(spec, '.'); p >= 0 {
				if prec, _ := strconv.Atoi(spec[p+1:]); prec < len(s) {
					s = s[:prec]
				}
				spec = spec[:p]
			}
			buf = pad(buf, spec, s)
		case 'q':
			L.CheckAny(arg)
			buf = appendQuoted(buf, ToString(L, L.Get(arg)))
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(buf))
	return 1
}

// skipDigits skips at most two digits, as Lua's format parser allows.
func skipDigits(L *lua.LState, fs string, i int) int {
	n := 0
	for i < len(fs) && isDigit(fs[i]) {
		i++
		n++
	}
	if n > 2 {
		L.RaiseError("invalid format (width or precision too long)")
	}
	return i
}

// toInt64 truncates toward zero, saturating outside the int64 range.
func toInt64(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= 9.223372036854775807e18:
		return math.MaxInt64
	case f <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(f)
}

// toUint64 maps a number to 64 bits: negatives as two's complement.
func toUint64(f float64) uint64 {
	if f >= 0 && f < 1.8446744073709552e19 {
		return uint64(f)
	}
	return uint64(toInt64(f))
}

// pad right- or left-justifies s to the width in spec ("-" flag: left).
func pad(buf []byte, spec, s string) []byte {
	left := strings.IndexByte(spec, '-') >= 0
	spec = strings.TrimLeft(spec, "-+ #0")
	if p := strings.IndexByte(spec, '.'); p >= 0 {
		spec = spec[:p]
	}
	w, _ := strconv.Atoi(spec)
	fill := w - len(s)
	if !left {
		for ; fill > 0; fill-- {
			buf = append(buf, ' ')
		}
	}
	buf = append(buf, s...)
	for ; fill > 0; fill-- {
		buf = append(buf, ' ')
	}
	return buf
}

func appendFloat(buf []byte, spec string, conv byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		s := "inf"
		switch {
		case math.IsNaN(f):
			s = "nan"
		case f < 0:
			s = "-inf"
		case strings.IndexByte(spec, '+') >= 0:
			s = "+inf"
		case strings.IndexByte(spec, ' ') >= 0:
			s = " inf"
		}
		if conv >= 'A' && conv <= 'Z' {
			s = strings.ToUpper(s)
		}
		return pad(buf, strings.ReplaceAll(spec, "0", ""), s)
	}
	if (conv == 'g' || conv == 'G') && strings.IndexByte(spec, '.') < 0 {
		spec += ".6" // C's default precision; Go's %g would print the shortest form
	}
	if conv == 'F' {
		conv = 'f'
	}
	if spec == ".6" && conv == 'g' {
		return strconv.AppendFloat(buf, f, 'g', 6, 64)
	}
	return fmt.Appendf(buf, "%"+spec+string(conv), f)
}

// appendHexFloat is C's %a: Go writes "0x1p+00" where C writes "0x1p+0".
func appendHexFloat(buf []byte, spec string, conv byte, f float64) []byte {
	prec := -1
	if p := strings.IndexByte(spec, '.'); p >= 0 {
		prec, _ = strconv.Atoi(spec[p+1:])
		spec = spec[:p]
	}
	s := strconv.FormatFloat(f, 'x', prec, 64)
	if p := strings.LastIndexByte(s, 'p'); p >= 0 && p+2 < len(s)-1 && s[p+2] == '0' {
		s = s[:p+2] + s[p+3:]
	}
	if conv == 'A' {
		s = strings.ToUpper(s)
	}
	return pad(buf, spec, s)
}

// appendQuoted is LuaJIT's %q: backslash before '"', '\\' and newline;
// other control characters as decimal escapes, padded to three digits when
// a digit follows.
func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '\n':
			buf = append(buf, '\\', c)
		case c < 32 || c == 127:
			buf = append(buf, '\\')
			if i+1 < len(s) && isDigit(s[i+1]) {
				buf = append(buf, '0'+c/100, '0'+c/10%10, '0'+c%10)
			} else {
				buf = strconv.AppendUint(buf, uint64(c), 10)
			}
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}
