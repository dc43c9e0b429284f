package conf

import "strings"

// PartKind tells what a Part of a complex value is.
type PartKind uint8

// Kinds of Part.
const (
	PartLiteral PartKind = iota // Text is copied as is
	PartVar                     // Text is a variable name ("host" for $host or ${host})
	PartCapture                 // N is a regex capture number ($1..$9)
)

// Part is one piece of an argument that may contain nginx variables.
type Part struct {
	Kind PartKind // what the part is
	Text string   // literal text or variable name (without "$" and braces)
	N    int      // capture number for PartCapture
}

// SplitVars splits an argument value into literal and variable parts the
// way nginx's script compiler does: "$name" (letters, digits, "_"),
// "${name}", and "$1".."$9" captures. The variables are not evaluated here;
// the caller evaluates the parts per request. A value without "$" yields one
// literal part (none for an empty value).
func SplitVars(v string) ([]Part, error) {
	var parts []Part
	lit := 0
	for i := 0; i < len(v); {
		if v[i] != '$' {
			i++
			continue
		}
		if i > lit {
			parts = append(parts, Part{Kind: PartLiteral, Text: v[lit:i]})
		}
		j := i + 1
		if j < len(v) && v[j] >= '1' && v[j] <= '9' {
			parts = append(parts, Part{Kind: PartCapture, N: int(v[j] - '0')})
			i, lit = j+1, j+1
			continue
		}
		if j < len(v) && v[j] == '{' {
			end := strings.IndexByte(v[j:], '}')
			if end < 0 {
				return nil, errorf("the closing bracket in \"%s\" variable is missing", v[j+1:])
			}
			name := v[j+1 : j+end]
			if name == "" || !isVarName(name) {
				return nil, errorf("invalid variable name in \"%s\"", v)
			}
			parts = append(parts, Part{Kind: PartVar, Text: name})
			i, lit = j+end+1, j+end+1
			continue
		}
		k := j
		for k < len(v) && isVarByte(v[k]) {
			k++
		}
		if k == j {
			return nil, errorf("invalid variable name in \"%s\"", v)
		}
		parts = append(parts, Part{Kind: PartVar, Text: v[j:k]})
		i, lit = k, k
	}
	if lit < len(v) {
		parts = append(parts, Part{Kind: PartLiteral, Text: v[lit:]})
	}
	return parts, nil
}

// HasVars reports whether v contains a "$" that SplitVars would treat as
// the start of a variable.
func HasVars(v string) bool {
	return strings.IndexByte(v, '$') >= 0
}

func isVarByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isVarName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isVarByte(s[i]) {
			return false
		}
	}
	return true
}
