package cosocket

import (
	"time"

	"github.com/luring/luring/loop"
)

// Pool is one keep-alive connection pool of a worker, as ngx_lua keeps
// them: idle connections parked by setkeepalive, reused most recently
// parked first, at most Size of them; and, when it has a backlog, a count
// of the connections that belong to it (checked out by a socket that found
// the pool at connect, parked, or connecting) that limits how many may
// exist: a connect beyond Size waits in a queue, beyond Size+Backlog it
// fails. Loop thread only.
type Pool struct {
	w       *Worker
	key     string
	size    int // most idle connections kept; with a backlog, most connections
	backlog int // connects that may wait beyond size; -1: connects never wait

	// conns is ngx_lua's "connections": counted sockets, parked ones and
	// pending connects. The pool is dropped when it reaches 0.
	conns int

	idle     *idleConn // most recently parked first (LIFO reuse)
	idleTail *idleConn // least recently parked: evicted first
	nidle    int
	free     *idleConn // spare items, their timers bound once

	waitHead, waitTail *queued // connects waiting for a connection, in order
	freeQueued         *queued
}

// idleConn is one parked connection.
type idleConn struct {
	p      *Pool
	c      *loop.Conn
	reused int
	timer  *loop.Timer      // max idle time; not armed for timeout 0
	readFn func(*loop.Conn) // watches the parked connection (bound once)
	prev   *idleConn
	next   *idleConn
}

// queued is a connect waiting in its pool's queue.
type queued struct {
	s          *TCP
	timer      *loop.Timer // the connect timeout
	task       loop.Task   // resumes the connect (posted, as ngx_lua posts the event)
	prev, next *queued
	in         bool // in the queue
}

// Key is the pool's name: "host:port", "unix:/path" or the pool option.
func (p *Pool) Key() string { return p.key }

// Size is how many idle connections the pool keeps.
func (p *Pool) Size() int { return p.size }

// Idle is how many connections are parked now.
func (p *Pool) Idle() int { return p.nidle }

// Connections is ngx_lua's count of the pool's connections.
func (p *Pool) Connections() int { return p.conns }

// Waiting is how many connects wait in the queue.
func (p *Pool) Waiting() int {
	n := 0
	for q := p.waitHead; q != nil; q = q.next {
		n++
	}
	return n
}

func (w *Worker) newPool(key string, size, backlog int) *Pool {
	p := &Pool{w: w, key: key, size: size, backlog: backlog}
	w.pools[key] = p
	return p
}

// release gives back one counted connection: the pool is dropped when it
// counts none, otherwise the first queued connect may go on.
func (p *Pool) release() {
	p.conns--
	if p.conns < 0 {
		p.conns = 0
	}
	if p.conns == 0 && p.waitHead == nil && p.nidle == 0 {
		p.drop()
		return
	}
	p.wakeOne()
}

// drop forgets the pool (ngx_lua's free_pool).
func (p *Pool) drop() {
	if p.w.pools[p.key] == p {
		delete(p.w.pools, p.key)
	}
}

// take hands out the most recently parked connection, or nil.
func (p *Pool) take() *idleConn {
	it := p.idle
	if it == nil {
		return nil
	}
	p.unlink(it)
	it.timer.Stop()
	it.c.CancelRead()
	return it
}

// park adds c as the most recently parked connection.
func (p *Pool) park(c *loop.Conn, reused int, timeout time.Duration) {
	it := p.free
	if it != nil {
		p.free = it.next
		it.next = nil
	} else {
		it = &idleConn{p: p}
		it.timer = p.w.l.NewTimer(func() { it.p.closeIdle(it) })
		it.readFn = func(*loop.Conn) { it.p.closeIdle(it) }
	}
	it.c, it.reused = c, reused
	it.next = p.idle
	if p.idle != nil {
		p.idle.prev = it
	} else {
		p.idleTail = it
	}
	p.idle = it
	p.nidle++
	if timeout > 0 {
		it.timer.Reset(timeout)
	}
	// Any readability (bytes, the peer's close, an error) while parked
	// means the connection cannot be reused.
	c.WaitRead(it.readFn)
}

// unlink removes it from the idle list.
func (p *Pool) unlink(it *idleConn) {
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		p.idle = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	} else {
		p.idleTail = it.prev
	}
	it.prev, it.next = nil, nil
	p.nidle--
}

// recycle keeps an item for the next park.
func (p *Pool) recycle(it *idleConn) {
	it.c = nil
	it.next = p.free
	p.free = it
}

// closeIdle closes a parked connection the peer closed, sent bytes on,
// broke, or that was idle too long.
func (p *Pool) closeIdle(it *idleConn) {
	if it.c == nil {
		return
	}
	c := it.c
	p.unlink(it)
	it.timer.Stop()
	c.CancelRead()
	c.CloseNow(nil)
	p.recycle(it)
	p.release()
}

// evict closes the least recently parked connection to make room.
func (p *Pool) evict() {
	it := p.idleTail
	if it == nil {
		return
	}
	c := it.c
	p.unlink(it)
	it.timer.Stop()
	c.CancelRead()
	c.CloseNow(nil)
	p.recycle(it)
}

// enqueue makes s wait for a connection of the pool, at most timeout.
func (p *Pool) enqueue(s *TCP, timeout time.Duration) *queued {
	q := p.freeQueued
	if q != nil {
		p.freeQueued = q.next
		q.next = nil
	} else {
		q = &queued{}
		q.timer = p.w.l.NewTimer(func() { q.s.queueTimedOut(q) })
		q.task.Init(func() {
			if q.s != nil {
				q.s.queueResumed(q)
			}
		})
	}
	q.s, q.in = s, true
	q.prev = p.waitTail
	if p.waitTail != nil {
		p.waitTail.next = q
	} else {
		p.waitHead = q
	}
	p.waitTail = q
	if timeout > 0 {
		q.timer.Reset(timeout)
	}
	return q
}

// dequeue takes q out of the queue (it may already be out, its resume
// posted) and keeps it for reuse.
func (p *Pool) dequeue(q *queued) {
	if q.in {
		if q.prev != nil {
			q.prev.next = q.next
		} else {
			p.waitHead = q.next
		}
		if q.next != nil {
			q.next.prev = q.prev
		} else {
			p.waitTail = q.prev
		}
		q.in = false
	}
	q.prev = nil
	q.timer.Stop()
	q.s = nil
	if q.task.Queued() {
		return // its posted resume will find q.s nil; not reused before that
	}
	q.next = p.freeQueued
	p.freeQueued = q
}

// wakeOne posts the resumption of the first queued connect (ngx_lua posts
// an event: it runs on a later step, never inside the call that freed the
// connection).
func (p *Pool) wakeOne() {
	q := p.waitHead
	if q == nil {
		return
	}
	p.waitHead = q.next
	if q.next != nil {
		q.next.prev = nil
	} else {
		p.waitTail = nil
	}
	q.next, q.prev, q.in = nil, nil, false
	q.timer.Stop()
	p.w.l.Schedule(&q.task)
}

// shutdown closes every parked connection (the worker exits).
func (p *Pool) shutdown() {
	for p.idle != nil {
		p.closeIdle(p.idle)
	}
}
