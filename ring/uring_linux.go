package ring

// newUring opens the io_uring backend. Placeholder.
func newUring(opts Options) (Ring, error) { return nil, ErrUnsupported }
