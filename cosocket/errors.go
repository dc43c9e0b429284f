package cosocket

import "errors"

// ErrEmptyPattern is returned by Compile for an empty pattern. The Lua
// binding turns it into receiveuntil's soft error "pattern is empty".
var ErrEmptyPattern = errors.New("cosocket: pattern is empty")
