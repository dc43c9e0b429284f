package cosocket

// tryUntil goes on with a receiveuntil call over data, the socket's
// unconsumed bytes: the Matcher scans them in place.
func (s *TCP) tryUntil(r Read, data []byte) (Result, bool) {
	chunk, consume, st := r.Until.Scan(data)
	if st == ScanMore {
		return Result{}, false
	}
	s.consume = consume
	return Result{Data: chunk}, true
}

// untilPartial ends a receiveuntil call with err: the output before the
// bytes held back as a possible pattern start is the partial result and is
// consumed; the held-back bytes stay for the iterator's next call.
func (s *TCP) untilPartial(r Read, err error) Result {
	partial := r.Until.Abort(s.src.Peek())
	s.consume = len(partial)
	return Result{Err: err, Partial: partial}
}
