package loop

// The run queue is how the loop keeps its one rule: no completion or
// callback runs inside the call that started it. A result that is ready at
// once (bytes already buffered, a connection on hand, a flush with nothing
// to send, a dial that failed before it began) is handed to the run queue,
// and the loop runs it after the turn's kernel completions, on its own
// thread, in the order queued. Tasks queued while the queue runs are run in
// the same turn, after the ones before them, up to maxTasksPerTurn; then the
// loop polls the kernel without blocking and goes on in the next turn, so
// code that keeps queueing work cannot starve I/O or timers.

// Task is a function the loop runs from its run queue. A caller that
// schedules the same work often (once per request, once per read) keeps a
// Task and binds its function once, so scheduling allocates nothing;
// Loop.Soon is the convenience for rare paths. A Task is used on its loop's
// thread only and is queued at most once at a time.
type Task struct {
	fn     func()
	conn   *Conn // instead of fn: the connection's queued deliveries (Conn.del)
	next   *Task // link in the run queue while queued
	queued bool  // in the run queue now
	pooled bool  // made by Soon: returned to the loop's free list after running
}

// NewTask returns a task that runs fn.
func NewTask(fn func()) *Task { return &Task{fn: fn} }

// Init sets the function of a task embedded in a caller's struct. Not while
// the task is queued.
func (t *Task) Init(fn func()) { t.fn = fn }

// Queued reports whether t waits in the run queue.
func (t *Task) Queued() bool { return t.queued }

// runQueue is an intrusive FIFO of tasks. Loop thread only.
type runQueue struct {
	head, tail *Task
	n          int
}

func (q *runQueue) push(t *Task) {
	t.queued = true
	t.next = nil
	if q.tail == nil {
		q.head = t
	} else {
		q.tail.next = t
	}
	q.tail = t
	q.n++
}

func (q *runQueue) pop() *Task {
	t := q.head
	if t == nil {
		return nil
	}
	q.head = t.next
	if q.head == nil {
		q.tail = nil
	}
	t.next = nil
	t.queued = false
	q.n--
	return t
}

// maxTasksPerTurn bounds how many tasks one turn runs before the loop polls
// the kernel again.
const maxTasksPerTurn = 4096

// Schedule queues t to run on a later step of this turn (or a coming turn
// when the queue is long). Scheduling a task that is already queued does
// nothing: it runs once. Loop thread only.
func (l *Loop) Schedule(t *Task) {
	if t.queued {
		return
	}
	l.runq.push(t)
}

// Soon runs fn from the run queue, as Schedule does for a Task. It takes a
// pooled Task, so only fn itself (a closure, if it captures) costs an
// allocation. Loop thread only; other goroutines use Post.
func (l *Loop) Soon(fn func()) {
	t := l.takeTask()
	t.fn = fn
	l.runq.push(t)
}

// takeTask returns a pooled Task from the loop's free list, or a new one.
// Soon and a connection's queued deliveries use them.
func (l *Loop) takeTask() *Task {
	if n := len(l.freeTasks); n > 0 {
		t := l.freeTasks[n-1]
		l.freeTasks[n-1] = nil
		l.freeTasks = l.freeTasks[:n-1]
		return t
	}
	return &Task{pooled: true}
}

// putTask gives a pooled Task back once it has been popped.
func (l *Loop) putTask(t *Task) {
	t.fn, t.conn = nil, nil
	if len(l.freeTasks) < maxFreeTasks {
		l.freeTasks = append(l.freeTasks, t)
	}
}

// maxFreeTasks bounds the loop's free list of pooled tasks: as many as one
// turn runs, so that a turn delivering to thousands of connections does
// not allocate in the next.
const maxFreeTasks = maxTasksPerTurn

// runTasks runs queued tasks in order, including those queued meanwhile,
// up to maxTasksPerTurn.
func (l *Loop) runTasks() {
	for i := 0; i < maxTasksPerTurn; i++ {
		t := l.runq.pop()
		if t == nil {
			return
		}
		if c := t.conn; c != nil {
			c.del = nil
			l.putTask(t)
			c.deliverQueued()
			continue
		}
		fn := t.fn
		if t.pooled {
			l.putTask(t)
		}
		fn()
	}
}
