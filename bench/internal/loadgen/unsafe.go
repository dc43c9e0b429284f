package loadgen

import "unsafe"

// unsafePointer returns the address of p's first byte (a valid pointer
// even for an empty slice with capacity, nil for nil).
func unsafePointer(p []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(p)) }
