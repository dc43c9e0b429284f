package conf

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flat renders a tree as "name|arg|arg" lines, children indented by "  ",
// Lua bodies as "<lua:LINE>BODY".
func flat(ds []*Directive, indent string) []string {
	var out []string
	for _, d := range ds {
		s := indent + d.Name
		for _, a := range d.Args {
			s += "|" + a.Value
		}
		if d.Lua != nil {
			s += "<lua:" + itoa(d.Lua.Line) + ">" + d.Lua.Source
		}
		out = append(out, s)
		out = append(out, flat(d.Block, indent+"  ")...)
	}
	return out
}

func itoa(n int) string {
	return string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func TestLexerTokens(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"simple", "a b c;", []string{"a|b|c"}},
		{"block", "a { b 1; c; }", []string{"a", "  b|1", "  c"}},
		{"empty block", "events {}", []string{"events"}},
		{"no space before semicolon or brace", "a b;c{d e;}", []string{"a|b", "c", "  d|e"}},
		{"tabs and CRLF", "a\tb\r\n;\r\n", []string{"a|b"}},
		{"comment line", "# c1\na b; # trailing ; { }\nc;", []string{"a|b", "c"}},
		{"hash inside word is literal", "a b#c;", []string{"a|b#c"}},
		{"double quoted", `a "b c" "";`, []string{"a|b c|"}},
		{"single quoted", `a 'b "c"' 'x;{}#';`, []string{`a|b "c"|x;{}#`}},
		{"escapes in double quotes", `a "q\"q \'s\' b\\s t\tr\rn\n other\x";`, []string{"a|q\"q 's' b\\s t\tr\rn\n other\\x"}},
		{"escapes in single quotes", `a 'it\'s';`, []string{"a|it's"}},
		{"escape unquoted keeps unknown escapes", `a b\ c d\;e;`, []string{`a|b\ c|d\;e`}},
		{"newline in quotes", "a \"x\ny\";", []string{"a|x\ny"}},
		{"variables kept", "set $a ${b}c$1;", []string{"set|$a|${b}c$1"}},
		{"brace variable in word", "a ${x};", []string{"a|${x}"}},
		{"closing brace inside word", "a b} c;", []string{"a|b}|c"}},
		{"quoted followed by paren", `if ($a = "x") { }`, []string{`if|($a|=|x|)`}},
		{"quoted directive name", `"a" b;`, []string{"a|b"}},
		{"lua block verbatim", "content_by_lua_block { ngx.say(\"hi\") }", []string{`content_by_lua_block<lua:01> ngx.say("hi") `}},
		{"lua brace in double string", `x_by_lua_block { ngx.say("}") }`, []string{`x_by_lua_block<lua:01> ngx.say("}") `}},
		{"lua brace in single string with escape", `x_by_lua_block { a = '\'}' }`, []string{`x_by_lua_block<lua:01> a = '\'}' `}},
		{"lua long string", "x_by_lua_block { a = [[ } ]] }", []string{"x_by_lua_block<lua:01> a = [[ } ]] "}},
		{"lua long string level", "x_by_lua_block { a = [==[ ]] } ]=] ]==] }", []string{"x_by_lua_block<lua:01> a = [==[ ]] } ]=] ]==] "}},
		{"lua line comment", "x_by_lua_block { -- }\n a = 1 }", []string{"x_by_lua_block<lua:01> -- }\n a = 1 "}},
		{"lua long comment", "x_by_lua_block { --[[ } \n }]] a = 1 }", []string{"x_by_lua_block<lua:01> --[[ } \n }]] a = 1 "}},
		{"lua long comment level", "x_by_lua_block { --[=[ ]] } ]=] }", []string{"x_by_lua_block<lua:01> --[=[ ]] } ]=] "}},
		{"lua nested tables", "x_by_lua_block { local t = { {}, {a = {1}} } }", []string{"x_by_lua_block<lua:01> local t = { {}, {a = {1}} } "}},
		{"lua index not long bracket", "x_by_lua_block { t[a[1]] = '{' }", []string{"x_by_lua_block<lua:01> t[a[1]] = '{' "}},
		{"lua empty", "x_by_lua_block {}", []string{"x_by_lua_block<lua:01>"}},
		{"lua body line is brace line", "\nx_by_lua_block\n\n{ a }", []string{"x_by_lua_block<lua:04> a "}},
		{"lua nginx syntax inside is not parsed", "x_by_lua_block { a; b { c } \"\" }", []string{`x_by_lua_block<lua:01> a; b { c } "" `}},
		{"after lua block parsing resumes", "a_by_lua_block { } b;", []string{"a_by_lua_block<lua:01> ", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := ParseTree("/t/nginx.conf", []byte(tt.src))
			require.NoError(t, err)
			assert.Equal(t, tt.want, flat(tree, ""))
		})
	}
}

func TestLexerArgRawAndQuoted(t *testing.T) {
	tree, err := ParseTree("/t/nginx.conf", []byte(`a "x\"y" 'z' w;`))
	require.NoError(t, err)
	require.Len(t, tree, 1)
	assert.Equal(t, []Arg{
		{Raw: `"x\"y"`, Value: `x"y`, Quoted: true},
		{Raw: `'z'`, Value: "z", Quoted: true},
		{Raw: "w", Value: "w"},
	}, tree[0].Args)
	assert.Equal(t, []string{`x"y`, "z", "w"}, Values(tree[0].Args))
}

func TestLexerLines(t *testing.T) {
	src := "a;\n\nb {\n  c\n  d;\n}\n# x\ne_by_lua_block {\n --[[\n]]\n 'q'\n}\nf;\n"
	tree, err := ParseTree("/t/nginx.conf", []byte(src))
	require.NoError(t, err)
	require.Len(t, tree, 4)
	assert.Equal(t, 1, tree[0].Line)
	assert.Equal(t, 3, tree[1].Line)
	assert.Equal(t, 4, tree[1].Block[0].Line, "a directive's line is the line of its name")
	assert.Equal(t, 8, tree[2].Line)
	assert.Equal(t, 8, tree[2].Lua.Line)
	assert.Equal(t, 13, tree[3].Line, "lines inside Lua long comments and strings are counted")
	assert.Equal(t, "/t/nginx.conf", tree[3].File)
}

func TestSplitVars(t *testing.T) {
	tests := []struct {
		in   string
		want []Part
		err  string
	}{
		{"", nil, ""},
		{"plain", []Part{{Kind: PartLiteral, Text: "plain"}}, ""},
		{"$host", []Part{{Kind: PartVar, Text: "host"}}, ""},
		{"a$host/b", []Part{{Kind: PartLiteral, Text: "a"}, {Kind: PartVar, Text: "host"}, {Kind: PartLiteral, Text: "/b"}}, ""},
		{"${a}b$1$c_d9", []Part{{Kind: PartVar, Text: "a"}, {Kind: PartLiteral, Text: "b"}, {Kind: PartCapture, N: 1}, {Kind: PartVar, Text: "c_d9"}}, ""},
		{"$12", []Part{{Kind: PartCapture, N: 1}, {Kind: PartLiteral, Text: "2"}}, ""},
		{"x$", nil, `[emerg] invalid variable name in "x$"`},
		{"${a", nil, `[emerg] the closing bracket in "a" variable is missing`},
		{"${}", nil, `[emerg] invalid variable name in "${}"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := SplitVars(tt.in)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
