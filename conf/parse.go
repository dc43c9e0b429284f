package conf

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxIncludeDepth bounds nested includes so that a file including itself
// fails with an error instead of exhausting memory.
const maxIncludeDepth = 64

// hooks lets the typed-config builder see each directive in file order, as
// nginx's ngx_conf_handler does, so errors come out in the order nginx
// reports them. begin runs when the directive's words and terminator are
// read (before a Lua body or child block); end runs after them. An error
// without a position is placed at the lexer's current line.
type hooks interface {
	begin(d *Directive, end stmtEnd) error
	end(d *Directive) error
}

// parser builds the generic tree, expanding includes.
type parser struct {
	confPrefix string // directory relative include paths are resolved against
	h          hooks  // nil for a plain tree
	depth      int    // current include nesting
}

// ParseTree parses src as the configuration file name into the generic tree.
// Includes are read from disk relative to the directory of name.
func ParseTree(name string, src []byte) ([]*Directive, error) {
	p := &parser{confPrefix: filepath.Dir(name)}
	tree, err := p.parseSource(name, src)
	if err != nil {
		return nil, err
	}
	return tree, nil
}

// ParseFile reads and parses the configuration file at path into the
// generic tree. Includes are resolved relative to the file's directory.
func ParseFile(path string) ([]*Directive, error) {
	src, err := readConf(path)
	if err != nil {
		return nil, err
	}
	return ParseTree(path, src)
}

// readConf reads a configuration file; failures are worded like nginx's.
func readConf(path string) ([]byte, *Error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, errorf(msgOpenFailed, path, errnoText(err))
	}
	return src, nil
}

func (p *parser) parseSource(name string, src []byte) ([]*Directive, *Error) {
	return p.parseBlock(newLexer(name, src), false)
}

// position places a hook error at the lexer's current line.
func position(lx *lexer, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.File != "" {
			return e
		}
		return lx.errHere(e)
	}
	return lx.errHere(errorf("%s", err.Error()))
}

// parseBlock reads directives until the end of the file (inBlock false) or
// the "}" closing the current block (inBlock true).
func (p *parser) parseBlock(lx *lexer, inBlock bool) ([]*Directive, *Error) {
	list := []*Directive{}
	for {
		args, end, line, err := lx.next()
		if err != nil {
			return nil, err
		}
		switch end {
		case endClose:
			if !inBlock {
				return nil, lx.errHere(errorf(msgUnexpected, "}"))
			}
			return list, nil
		case endEOF:
			if inBlock {
				return nil, lx.errHere(errorf(msgUnexpectedEOFRBr))
			}
			return list, nil
		}
		d := &Directive{Name: args[0].Value, Args: args[1:], File: lx.file, Line: line, termLine: lx.line}
		if d.Name == "include" {
			inc, err := p.include(lx, d, end)
			if err != nil {
				return nil, err
			}
			list = append(list, inc...)
			continue
		}
		if p.h != nil {
			if herr := p.h.begin(d, end); herr != nil {
				return nil, position(lx, herr)
			}
		}
		if end == endOpen {
			if IsLuaBlock(d.Name) {
				d.Lua, err = lx.readLuaBody()
			} else {
				d.Block, err = p.parseBlock(lx, true)
			}
			if err != nil {
				return nil, err
			}
		}
		if p.h != nil {
			if herr := p.h.end(d); herr != nil {
				return nil, position(lx, herr)
			}
		}
		list = append(list, d)
	}
}

// include expands an include directive: one file, or every match of a glob
// (a path containing "*", "?" or "["), sorted. A glob matching nothing is
// fine; a missing plain file is an error, as in nginx.
func (p *parser) include(lx *lexer, d *Directive, end stmtEnd) ([]*Directive, *Error) {
	if end != endSemi {
		return nil, lx.errHere(errorf(msgNotTerminated, d.Name))
	}
	if len(d.Args) != 1 {
		return nil, lx.errHere(errorf(msgInvalidArgCount, d.Name))
	}
	path := d.Args[0].Value
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.confPrefix, path)
	}
	files := []string{path}
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, lx.errHere(errorf(msgGlobFailed, path, err.Error()))
		}
		sort.Strings(matches)
		files = matches
	}
	if p.depth >= maxIncludeDepth {
		return nil, lx.errHere(errorf(msgIncludeTooDeep, maxIncludeDepth, path))
	}
	var out []*Directive
	for _, f := range files {
		src, rerr := readConf(f)
		if rerr != nil {
			return nil, lx.errHere(rerr)
		}
		p.depth++
		sub, err := p.parseBlock(newLexer(f, src), false)
		p.depth--
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}
