// Package luapat is luring's Lua pattern engine: a pattern is compiled once
// into a [Pattern], and matched any number of times with a reusable
// [Matcher] and no allocation.
//
// The language is Lua 5.1's (reference manual §5.4.1) as gopher-lua 1.1.2
// implements it, because that is what luring's Lua code ran on before and
// nothing user-visible may change. Where gopher-lua departs from Lua 5.1 the
// engine follows gopher-lua:
//
//   - %f is not a frontier: it matches the letter f.
//   - A pattern ending in a lone % is no error; that item matches nothing.
//     %b with fewer than two characters after it is no error either and
//     matches nothing.
//   - In a set, a range needs plain characters at both ends ("[%a-z]" has a
//     range that matches nothing), and "-" after a "-" is skipped
//     ("[a--z]" is the range a-z).
//   - A back-reference to a position capture matches the empty string, and
//     fails with "invalid capture index" when the position is the end of the
//     subject. One to a capture still open when it is reached fails the same
//     way unless a later capture has opened inside it; then it matches the
//     empty string when the open capture started at the subject's first
//     byte. (gopher-lua slices the subject from position+1, or from the open
//     capture's start to 0: an empty string or a Go panic. Where it panics,
//     this engine fails with "invalid capture index".)
//   - Error messages are gopher-lua's: "unexpected EOS at 3", "invalid ')'
//     at 0", "unfinished capture at EOS", "invalid capture index at 2", and
//     "invalid capture index" for a back-reference reached at match time.
//
// One difference is deliberate: gopher-lua gives up with "pattern/input too
// complex" when its matcher has a million nested backtracking points, which
// a quantifier reaches after a million bytes (`("a"):rep(2e6):match(".*")`);
// this engine backtracks over a repetition in a loop, as Lua does, and only
// fails that way when a pattern nests maxDepth quantifiers.
//
// Place in the import graph: the standard library only; lvm imports it and
// installs string.find, string.match, string.gmatch and string.gsub on it.
package luapat
