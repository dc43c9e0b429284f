package lvm_test

import (
	"math"
	"testing"

	"github.com/luring/luring/lvm"
	"github.com/stretchr/testify/assert"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{-1, "-1"},
		{100, "100"},
		{99999999999999, "99999999999999"},
		{1e14, "1e+14"},
		{1e15, "1e+15"},
		{1.0 / 3, "0.33333333333333"},
		{math.Pow(2, 53), "9.007199254741e+15"},
		{math.Pow(2, 63), "9.2233720368548e+18"},
		{0.1, "0.1"},
		{0.1 + 0.2, "0.3"},
		{1e-5, "1e-05"},
		{123.456, "123.456"},
		{-1.5, "-1.5"},
		{1e100, "1e+100"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, lvm.FormatNumber(tt.in))
			assert.Equal(t, tt.want, string(lvm.AppendNumber([]byte{}, tt.in)))
		})
	}
}

// TestLuaJITCompat runs the rows of spec/luajit-compat.md that lvm closes.
func TestLuaJITCompat(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"tostring 1e15", "return tostring(1e15)", "1e+15"},
		{"tostring 1/3 and 2^53", "return tostring(1/3), tostring(2^53)", "0.33333333333333,9.007199254741e+15"},
		{"tostring -0 inf nan huge", "local z = 0 return tostring(-z), tostring(1/0), tostring(-1/0), tostring(0/0), tostring(math.huge)", "-0,inf,-inf,nan,inf"},
		{"tostring integers and others", "return tostring(12), tostring(-7), tostring('s'), tostring(nil), tostring(true)", "12,-7,s,nil,true"},
		{"tostring __tostring", "return tostring(setmetatable({}, {__tostring = function() return 'T' end}))", "T"},
		{"tonumber exponents", "return tonumber('1e3'), tonumber('1E3'), tonumber('1e-05'), tonumber('-1e20'), tonumber('1e+15')", "1000,1000,1e-05,-1e+20,1e+15"},
		{"tonumber whitespace", "return tonumber('5\\r'), tonumber('  7\\t\\n'), tonumber(' 0x10 ')", "5,7,16"},
		{"tonumber decimal shapes", "return tonumber('.5'), tonumber('5.'), tonumber('-0x10'), tonumber('0x1p4')", "0.5,5,-16,16"},
		{"tonumber rejects", "return tonumber(''), tonumber('0x'), tonumber('1e'), tonumber('1 2'), tonumber('abc'), tonumber('.'), tonumber({})", "nil,nil,nil,nil,nil,nil,nil"},
		{"tonumber numbers", "return tonumber(12), tonumber(-0.5)", "12,-0.5"},
		{"tonumber bases", "return tonumber('ff', 16), tonumber('FF', 16), tonumber('0xff', 16), tonumber('11', 2), tonumber('z', 36), tonumber(' -ff ', 16), tonumber(10, 16)", "255,255,255,3,35,-255,16"},
		{"tonumber base rejects", "return tonumber('8', 8), tonumber('', 10), tonumber('1x', 10)", "nil,nil,nil"},
		{"tonumber base range", "return pcall(tonumber, '10', 99)", "false,bad argument #2 to '?' (base out of range)"},
		{"format %s numbers", "return string.format('%s %s %s', 1e15, 1, 2.5)", "1e+15 1 2.5"},
		{"format %s __tostring", "return string.format('<%s>', setmetatable({}, {__tostring = function() return 'custom' end}))", "<custom>"},
		{"format %s width precision", "return string.format('%-5s|%5.2s|%.2s', 'ab', 'abc', 'xyz')", "ab   |   ab|xy"},
		{"format %x of negatives", "return string.format('%x %X %o %u', -1, 255, 8, -1)", "ffffffffffffffff FF 10 18446744073709551615"},
		{"format %d truncates", "return string.format('%d %d %i %05d %+d', 3.7, -3.7, 42, 42, 5)", "3 -3 42 00042 +5"},
		{"format %d coerces strings", "return string.format('%d', '10')", "10"},
		{"format floats", "return string.format('%5.1f|%g|%g|%e|%.3g', 3.14159, 1/3, 1e20, 12345.678, 2/3)", "  3.1|0.333333|1e+20|1.234568e+04|0.667"},
		{"format non-finite", "return string.format('%f %.3f %g %5.1f|', 1/0, -1/0, 0/0, 1/0)", "inf -inf nan   inf|"},
		{"format %c %% %a", "return string.format('%c%c %% %a', 72, 105, 1)", "Hi % 0x1p+0"},
		{"format %q", "return string.format('%q', 'a\\0b\\r\\n\"\\\\')", "\"a\\0b\\13\\\n\\\"\\\\\""},
		{"format %q escape before digit", "return string.format('%q', '\\0' .. '1')", "\"\\0001\""},
		{"format bad number", "return pcall(string.format, '%d', 'x')", "false,bad argument #2 to '?' (number expected, got string)"},
		{"format bad option", "return pcall(string.format, '%y', 1)", "false,invalid option '%y' to 'format'"},
		{"concat numbers", "return table.concat({1, 2.5, 'x', 1e15}, ',')", "1,2.5,x,1e+15"},
		{"concat range", "return table.concat({1, 2, 3}, '-', 2, 3), table.concat({}, ',')", "2-3,"},
		{"concat bad value", "return pcall(table.concat, {1, {}})", "false,invalid value (at index 2) in table for 'concat'"},
		{"rep with separator", "return string.rep('ab', 3, ','), string.rep('ab', 3), string.rep('x', 0), string.rep('x', -1, ','), string.rep('x', 1, ',')", "ab,ab,ab,ababab,,,x"},
		{"char range", "return string.char(72, 105), pcall(string.char, 256)", "Hi,false,bad argument #1 to '?' (invalid value)"},
		{"char negative", "return pcall(string.char, -1)", "false,bad argument #1 to '?' (invalid value)"},
		{"bit signed results", "return bit.band(0xffffffff, 0xffffffff), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0)", "-1,7,6,-1"},
		{"bit shifts", "return bit.lshift(1, 31), bit.lshift(1, 32), bit.rshift(-1, 28), bit.arshift(-256, 4)", "-2147483648,1,15,-16"},
		{"bit rotations and bswap", "return bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678)", "878082066,2014458966,2018915346"},
		{"bit tobit", "return bit.tobit(0xffffffff + 1), bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5)", "0,5,-1,2,2"},
		{"bit tohex", "return bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x12345678, 2), bit.tohex(1, 10)", "000000ff,FFFF,78,00000001"},
		{"bit coercion and errors", "return bit.band('3', 1), pcall(bit.band, nil)", "1,false,bad argument #1 to '?' (number expected, got nil)"},
		{"bit module", "return require('bit') == bit", "true"},
		// Rows observed on the reference (compat/testdata/handlers.conf).
		{"find start past the end", `local a, b = string.find("abc", "", 10) local c, d = string.find("abc", "", 4) return a, b, c, d, string.find("abc", "a", -10)`, "4,3,4,3,1,1"},
		{"find plain and no match", `local a, b = string.find("a.b", ".", 1, true) return a, b, string.find("abc", "d")`, "2,2,nil"},
		{"match start clamped, nil on no match", `return (string.match("abc", "()", 10)), select("#", string.match("abc", "x")), string.match("key=val", "(%w+)=(%w+)")`, "4,1,key,val"},
		{"error without a value", "return pcall(error)", "false,nil"},
		{"error with a number", "return pcall(error, 42, 0)", "false,42"},
		{"argument names quoted", "return pcall(function() string.rep() end)", "false,test:1: bad argument #1 to 'rep' (string expected, got nil)"},
		{"table.new", "local t = table.new(4, 2) t[1] = 1 return #t, require('table.new') == table.new, (pcall(table.new, -1, -1))", "1,true,true"},
		{"table.clear", `local t = {1, 2, 3, a = 1, [true] = 2}
local ref = t
table.clear(t)
local n = 0 for _ in pairs(t) do n = n + 1 end
local before = #t
t[1] = 'x'
return n, before, #t, ref == t, t[1], require('table.clear') == table.clear`, "0,0,1,true,x,true"},
		{"table.clear with holes", "local t = {1, nil, 3} table.clear(t) return #t, next(t)", "0,nil"},
	}
	vm, s := newVM(t, lvm.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, eval(t, vm, s, tt.src))
		})
	}
}
