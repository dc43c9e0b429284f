package ngx

import "github.com/luring/luring/cosocket"

// resolverFor returns the resolver connect uses for host names in rq's
// location, nil when none is defined.
func (rn *Runner) resolverFor(rq *request) cosocket.Resolver {
	return nil
}
