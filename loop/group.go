package loop

import "errors"

// Group is a set of loops started together, one per worker: each on its own
// locked OS thread, usually each with its own SO_REUSEPORT listener on the
// same address.
type Group struct {
	loops []*Loop
}

// StartGroup starts n loops. setup runs on each loop's thread in turn, loop 0
// first, the next one only after the previous setup returned, so a setup may
// reuse what an earlier one found (the real port of a ":0" listener, say)
// without locking. If any setup fails, the loops started so far are stopped.
func StartGroup(n int, opts Options, setup func(l *Loop, index int) error) (*Group, error) {
	if n < 1 {
		return nil, errors.New("loop: a group needs at least one loop")
	}
	g := &Group{}
	for i := 0; i < n; i++ {
		o := opts
		if o.PinCPU {
			o.CPU = opts.CPU + i
		}
		idx := i
		l, err := Start(o, func(l *Loop) error { return setup(l, idx) })
		if err != nil {
			g.Stop()
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	return g, nil
}

// Loops returns the group's loops in start order.
func (g *Group) Loops() []*Loop { return g.loops }

// Stop stops every loop gracefully (see Loop.Stop), in parallel, and returns
// the first error.
func (g *Group) Stop() error {
	for _, l := range g.loops {
		l.StopAsync()
	}
	var first error
	for _, l := range g.loops {
		<-l.Done()
		if l.err != nil && first == nil {
			first = l.err
		}
	}
	return first
}
