package conf

import "strings"

// Directive is one statement of the generic configuration tree: a name, its
// arguments, and either a block of child directives, a raw Lua body (for
// names ending in "_by_lua_block"), or neither. Includes are already
// expanded: directives of an included file appear in place of the include
// and carry that file's name.
type Directive struct {
	Name  string       // first word, unescaped
	Args  []Arg        // remaining words, in order
	Block []*Directive // children of a "{ ... }" block; nil when there is no block
	Lua   *LuaBody     // raw body of a *_by_lua_block directive; nil otherwise
	File  string       // file the directive was read from, as named to the parser
	Line  int          // 1-based line of the directive name

	termLine int // line of the terminating ";" or "{" (where nginx reports header errors)
}

// Arg is one argument word. Raw is the source text, including the quotes
// of a quoted word; Value is the text after nginx's escape processing
// (\" \' \\ \t \r \n; other backslashes are kept).
type Arg struct {
	Raw    string // source text, quotes included
	Value  string // unescaped value
	Quoted bool   // the word was written in single or double quotes
}

// LuaBody is the verbatim Lua source between the braces of a
// *_by_lua_block directive.
type LuaBody struct {
	Source string // text between "{" and the matching "}", byte for byte
	Line   int    // line of the opening "{" (lua-nginx-module's chunk-name line)
}

// IsLuaBlock reports whether a directive with this name has a raw Lua body
// instead of an nginx block.
func IsLuaBlock(name string) bool {
	return strings.HasSuffix(name, "_by_lua_block")
}

// Values returns the unescaped values of args.
func Values(args []Arg) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

// unescape applies nginx's argument escape processing to raw word text
// (without surrounding quotes).
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\'', '\\':
				i++
				c = s[i]
			case 't':
				i++
				c = '\t'
			case 'r':
				i++
				c = '\r'
			case 'n':
				i++
				c = '\n'
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
