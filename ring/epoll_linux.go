package ring

// newEpoll opens the epoll backend. Placeholder.
func newEpoll(opts Options) (Ring, error) { return nil, ErrUnsupported }
