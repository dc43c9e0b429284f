package lvm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	lua "github.com/yuin/gopher-lua"
)

// diffSubjects and diffPatterns are crossed with every pattern function.
var diffSubjects = []string{
	"", "a", "abc", "aaa", "abcabc", "hello world", "THE (quick) fox",
	"Content-Length: 1234", "content-length:42", "X-Foo: bar\r\n",
	"  key = value  ", "x=1, y=22, z=333", "f(a(b)c)d", "[[x]] [y]",
	"a.b-c+d*e?f", "\x00a\x00b", "tab\there\nnew\rline\v\f", "%d%%",
	"\xe1\xe9\xff\x80", "$^", "--[[comment]]", "192.168.0.1:8080",
	"/path/to/file.lua?x=1&y=2", "aXbXc", "xyxyyx", "f fa fb",
}

var diffPatterns = []string{
	// literals, dot, quantifiers
	"", "a", "abc", "b", "xyz", ".", "..", "a*", "a+", "a-", "a?", ".*", ".-", ".+",
	"a.c", "ab*c", "x*y", "x-y", "x?y", ".-b", ".-%s", "a*b*c*", "[ab]*b",
	// anchors
	"^a", "^", "$", "^$", "a$", "c$", "^abc$", "^.-$", "x*$", ".-$", "%s*$",
	"^^", "a^", "$$", "a$b", "($)", "(^a)", "^(.-)$", "^%s*(.-)%s*$",
	// classes and their complements
	"%a+", "%A+", "%d+", "%D+", "%l+", "%L", "%s+", "%S+", "%u", "%U+", "%w+",
	"%W", "%x+", "%X", "%p+", "%P", "%c", "%C+", "%z", "%Z+",
	// escapes and letters that are no class
	"%.", "%%", "%-", "%$", "%^", "%(", "%]", "%q", "%Q", "%f[%a]", "%f", "%fa",
	// sets
	"[abc]", "[^abc]", "[a-c]+", "[%a_][%w_]*", "[%d.]+", "[]]", "[]a]", "[^]]",
	"[a-]", "[-a]", "[a--z]", "[%a-z]", "[a-%d]", "[a-c-e]", "[%%]", "[%%-z]",
	"[.]", "[[]", "[%]]", "[^%s]+", "[%w%-]+", "[z-a]", "[%S]", "[^%d%s]",
	"[-]", "[a-]+", "[^-]", "[%a-]", "[^]a]", "[---]", "[a-b-]",
	// captures
	"(a)", "(a)(b)", "((a)(b))", "()a()", "()", "(.-)%s", "(%w+)=(%w+)",
	"(%w+)%s*=%s*(%w+)", "^[Cc]ontent%-[Ll]ength:%s*(%d+)", "^([^:]+):%s*(.-)%s*$",
	"(%d+)%.(%d+)%.(%d+)%.(%d+)", "(h)(e)(l)(l)(o)( )(w)(o)(r)(l)(d)", "(()a)",
	"(a*(.)%w(%s*))", "()(a)()", "(x)()(y)",
	// balance
	"%b()", "%b[]", "%bxy", "%b", "%b(", "%bxx", "%b((", "f%b()", "%b[]+",
	// back-references
	"(a)%1", "(a*)%1", "(%w+)%1", "(%w)%1", "((a)%1)", "(a%1)", "%1", "(a)%2",
	"()%1", "(()a%1)", "((%w)%2)", "(.)(.)%2%1", "%1(a)", "(a)%0",
	// literal quantifier characters
	"a**", "a*?", "*a", "+", "-", "?", "a-?", "^*", "(*)", "a+-",
	// malformed
	"a%", "%", "(", ")", "a)", "(a", "((a)", "[", "[a", "[^", "[%", "[a%",
	"%0", "x(a))", "[a-", "(()", "%b)", "ab(c",
}

// diffCalls are the calls run for each subject and pattern: kind and the
// arguments after the subject and pattern.
var diffCalls = []struct {
	kind   string
	a3, a4 lua.LValue
}{
	{"find", lua.LNil, lua.LNil},
	{"find", lua.LNumber(2), lua.LNil},
	{"find", lua.LNumber(-3), lua.LNil},
	{"find", lua.LNumber(3), lua.LTrue},
	{"match", lua.LNil, lua.LNil},
	{"match", lua.LNumber(4), lua.LNil},
	{"gmatch", lua.LNil, lua.LNil},
	{"gsub", lua.LString("<%0>"), lua.LNil},
	{"gsub", lua.LString("[%1]"), lua.LNumber(2)},
	{"gsub", lua.LString("%2%%"), lua.LNil},
	{"gsubf", lua.LNil, lua.LNil},
	{"gsubt", lua.LNil, lua.LNumber(3)},
}

// TestPatternsMatchReference crosses subjects, patterns and calls, and
// compares every result and error with the reference's.
func TestPatternsMatchReference(t *testing.T) {
	p := newPair(t)
	var compared, panics int
	for _, pat := range diffPatterns {
		for _, s := range diffSubjects {
			for _, c := range diffCalls {
				args := []lua.LValue{lua.LString(c.kind), lua.LString(s), lua.LString(pat), c.a3, c.a4}
				want := call(p.ref, args...)
				got := call(p.vm.L, args...)
				if goPanic(want) {
					panics++
					assert.Contains(t, got.Err, "invalid capture index", "%s(%q, %q)", c.kind, s, pat)
					continue
				}
				compared++
				assert.Equal(t, want, got, "%s(%q, %q, %v, %v)", c.kind, s, pat, c.a3, c.a4)
			}
		}
	}
	t.Logf("%d calls compared, %d where the reference panics", compared, panics)
}

// Named cases for what the cross product does not reach: argument
// handling, replacement tables and functions, counts, methods.
var diffCases = []struct{ name, expr string }{
	{"find plain dot", `string.find("a.b", ".", 1, true)`},
	{"find plain special", `string.find("a+b", "+", 1, true)`},
	{"find plain malformed", `string.find("a[b", "[", 1, true)`},
	{"find plain false", `string.find("a.b", ".", 1, false)`},
	{"find plain nil", `string.find("a.b", ".", 1, nil)`},
	{"find no specials", `string.find("hello", "ll")`},
	{"find empty pattern", `string.find("abc", "")`},
	{"find empty past end", `string.find("abc", "", 10)`},
	{"find negative init", `string.find("abcabc", "b", -2)`},
	{"find init far negative", `string.find("abc", "a", -10)`},
	{"find init past end pattern", `string.find("abc", "()", 10)`},
	{"find init float", `string.find("abcabc", "b.", 2.9)`},
	{"find init string", `string.find("abcabc", "b.", "3")`},
	{"find number subject", `string.find(12345, "3")`},
	{"find number pattern", `string.find(12345, 34)`},
	{"find position captures", `string.find("hello", "()ll()")`},
	{"match number", `string.match(12345, "%d%d")`},
	{"match no match", `select("#", string.match("abc", "x"))`},
	{"match nil subject", `string.match(nil, "x")`},
	{"match nil pattern", `string.match("x")`},
	{"find table subject", `string.find({}, "x")`},
	{"method match", `("x=1"):match("(%w)=(%d)")`},
	{"method find", `("abc"):find("c")`},
	{"method gsub", `("abc"):gsub("b", "B")`},
	{"method gmatch", `(function() local t = {} for w in ("one two"):gmatch("%a+") do t[#t+1] = w end return table.concat(t, ",") end)()`},
	{"gfind", `(function() local t = {} for w in string.gfind("one two", "%a+") do t[#t+1] = w end return table.concat(t, ",") end)()`},
	{"gmatch anchored", `(function() local t = {} for w in string.gmatch("aaa", "^a") do t[#t+1] = w end return #t, t[1] end)()`},
	{"gmatch empty matches", `(function() local t = {} for w in string.gmatch("abc", "x*") do t[#t+1] = "<" .. w .. ">" end return table.concat(t) end)()`},
	{"gmatch positions", `(function() local t = {} for a, b in string.gmatch("abc", "()(.)") do t[#t+1] = a .. b end return table.concat(t, ",") end)()`},
	{"gmatch number subject", `(function() local t = {} for d in string.gmatch(1234, "%d") do t[#t+1] = d end return table.concat(t, ",") end)()`},
	{"gmatch malformed", `string.gmatch("abc", "[a")`},
	{"gsub no match keeps number", `string.gsub(123, "x", "y")`},
	{"gsub match turns number to string", `string.gsub(123, "2", "y")`},
	{"gsub number repl", `string.gsub("abc", "b", 1)`},
	{"gsub no repl", `string.gsub("abc", "b")`},
	{"gsub boolean repl", `string.gsub("abc", "b", true)`},
	{"gsub limit 0 start matches", `string.gsub("abc", "", "-", 0)`},
	{"gsub limit 0 start differs", `string.gsub("abc", "b", "-", 0)`},
	{"gsub limit 0 anchored", `string.gsub("abc", "^a", "-", 0)`},
	{"gsub limit 1", `string.gsub("abab", "a", "-", 1)`},
	{"gsub limit 2", `string.gsub("aaaa", "a", "-", 2)`},
	{"gsub limit negative", `string.gsub("aaaa", "a", "-", -1)`},
	{"gsub limit -5", `string.gsub("aaaa", "a", "-", -5)`},
	{"gsub limit float", `string.gsub("aaaa", "a", "-", 2.7)`},
	{"gsub limit string", `string.gsub("aaaa", "a", "-", "3")`},
	{"gsub limit bad", `string.gsub("aaaa", "a", "-", {})`},
	{"gsub limit beyond", `string.gsub("aaaa", "a", "-", 10)`},
	{"gsub anchored", `string.gsub("aaa", "^a", "-")`},
	{"gsub anchored empty", `string.gsub("aaa", "^", "-")`},
	{"gsub tail", `string.gsub("aaa", "a$", "-")`},
	{"gsub empty pattern", `string.gsub("abc", "", "-")`},
	{"gsub empty subject", `string.gsub("", "", "-")`},
	{"gsub empty matches and others", `string.gsub("abc  def", "%s*", "-")`},
	{"gsub repl percent", `string.gsub("abc", "b", "%%")`},
	{"gsub repl trailing percent", `string.gsub("abc", "b", "x%")`},
	{"gsub repl only percent", `string.gsub("abc", "b", "%")`},
	{"gsub repl other escape", `string.gsub("abc", "b", "%x%y")`},
	{"gsub repl %1 no captures", `string.gsub("abc", "b", "<%1>")`},
	{"gsub repl %2 no captures", `string.gsub("abc", "b", "<%2>")`},
	{"gsub repl %2 no match", `string.gsub("abc", "x", "<%2>")`},
	{"gsub repl %9", `string.gsub("abc", "(a)(b)(c)", "%3%2%1%9")`},
	{"gsub repl positions", `string.gsub("abc", "()b()", "%1-%2")`},
	{"gsub repl %0 and captures", `string.gsub("k=v", "(%w)=(%w)", "%0 %2=%1")`},
	{"gsub repl percent percent digit", `string.gsub("abc", "(b)", "%%1")`},
	{"gsub repl triple percent", `string.gsub("abc", "(b)", "%%%1")`},
	{"gsub repl nul", "string.gsub(\"abc\", \"b\", \"\\0%\\0\")"},
	{"gsub table", `string.gsub("$name is $age", "%$(%w+)", {name = "bob", age = 42})`},
	{"gsub table missing and false", `string.gsub("$a $b $c", "%$(%w+)", {a = false, c = "C"})`},
	{"gsub table whole match", `string.gsub("one two", "%a+", {one = 1})`},
	{"gsub table float value", `string.gsub("x", "x", {x = 0.1})`},
	{"gsub table big number", `string.gsub("x", "x", {x = 1e15})`},
	{"gsub table table value", `string.gsub("x y", "%a", {x = {}})`},
	{"gsub table true value", `string.gsub("x y", "%a", {x = true})`},
	{"gsub table position key", `string.gsub("abc", "()", {[1] = "X", [3] = "Y"})`},
	{"gsub table metatable", `string.gsub("ab", "%a", setmetatable({}, {__index = function(t, k) return k:upper() end}))`},
	{"gsub function", `string.gsub("hello world", "%w+", function(w) return w:upper() end)`},
	{"gsub function captures", `string.gsub("k=v, a=b", "(%w)=(%w)", function(k, v) return v .. k end)`},
	{"gsub function positions", `string.gsub("abc", "()(%a)", function(p, c) return p .. c end)`},
	{"gsub function nil false", `string.gsub("abc", "%a", function(c) if c == "a" then return nil elseif c == "b" then return false end return "C" end)`},
	{"gsub function number", `string.gsub("abc", "%a", function(c) return 7 end)`},
	{"gsub function table", `string.gsub("abc", "b", function(c) return {} end)`},
	{"gsub function many returns", `string.gsub("abc", "b", function(c) return "X", "Y" end)`},
	{"gsub function order", `(function() local t = {} local s, n = string.gsub("a1b2", "%d", function(d) t[#t+1] = d return "" end) return s, n, table.concat(t) end)()`},
	{"gsub function error", `pcall(string.gsub, "abc", "b", function() error("boom", 0) end)`},
	{"gsub nested", `string.gsub("a b", "%a", function(c) return (string.gsub("xy", "%a", c)) end)`},
	{"gsub nested gmatch", `string.gsub("ab", "%a", function(c) local t = {} for x in ("1 2"):gmatch("%d") do t[#t+1] = x .. c end return table.concat(t) end)`},
	{"gsub function calls match", `string.gsub("k1=v1", "(%w+)=(%w+)", function(k, v) return string.match(v, "%d") .. k end)`},
	{"gsub callbacks before open-capture error", `(function() local n = 0 local ok = pcall(string.gsub, "aXa", "((a)%1)", function() n = n + 1 end) return ok, n end)()`},
	{"long captures", `string.match(string.rep("ab", 100), "^((ab)*)$")`},
	{"many captures", `select("#", string.match(string.rep("a", 40), string.rep("(a)", 40)))`},
	{"long subject", `string.find(string.rep("a", 10000) .. "b", "a-b")`},
	{"long gsub", `select(2, string.gsub(string.rep("a b ", 1000), "%s", "_"))`},
}

// TestPatternCasesMatchReference runs the named cases in both states.
func TestPatternCasesMatchReference(t *testing.T) {
	p := newPair(t)
	for _, tc := range diffCases {
		t.Run(tc.name, func(t *testing.T) {
			want := evalChunk(p.ref, tc.expr)
			got := evalChunk(p.vm.L, tc.expr)
			if goPanic(want) {
				require.Contains(t, got.Err, "invalid capture index")
				return
			}
			assert.Equal(t, want, got)
		})
	}
}

// TestGmatchIteratorAlone: lvm's gmatch iterator is a closure (Lua 5.1,
// LuaJIT); gopher-lua's wanted its state as the first argument.
func TestGmatchIteratorAlone(t *testing.T) {
	p := newPair(t)
	got := evalChunk(p.vm.L, `(function() local it = ("a1b22c"):gmatch("%d+") return it(), it(), it(), select("#", ("x"):gmatch("x")) end)()`)
	assert.Equal(t, outcome{Vals: []string{"string:1", "string:22", "nil:nil", "number:1"}}, got)
	require.NotEmpty(t, evalChunk(p.ref, `("a1"):gmatch("%d")()`).Err, "the reference has changed: gmatch's iterator works alone")
}

// TestPatternCacheBounded fills the cache past both generations and checks
// that patterns still compile and match.
func TestPatternCacheBounded(t *testing.T) {
	p := newPair(t)
	for i := range 2000 {
		o := evalChunk(p.vm.L, fmt.Sprintf(`string.match("k%d=v", "(k%d)=")`, i, i))
		require.Equal(t, []string{fmt.Sprintf("string:k%d", i)}, o.Vals)
	}
	long := `string.match("x", string.rep("x?", 800) .. "x")`
	assert.Equal(t, evalChunk(p.ref, long), evalChunk(p.vm.L, long))
}

// TestStringMethodsUseLvm: gopher-lua's string metatable indexes the string
// table itself, so method calls reach the functions lvm installed there.
func TestStringMethodsUseLvm(t *testing.T) {
	p := newPair(t)
	got := evalChunk(p.vm.L, `getmetatable("").__index == string, ("").match == string.match, ("").gsub == string.gsub, ("").gmatch == string.gfind`)
	assert.Equal(t, []string{"boolean:true", "boolean:true", "boolean:true", "boolean:true"}, got.Vals)
	// Where gopher-lua's matcher panics, lvm's raises an error of its own.
	assert.Equal(t, "<string>:1: invalid capture index", evalChunk(p.vm.L, `("xabcabc"):match("((a)%1)")`).Err)
	assert.Contains(t, evalChunk(p.ref, `("xabcabc"):match("((a)%1)")`).Err, "runtime error: slice bounds out of range")
}
