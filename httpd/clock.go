package httpd

import "time"

// clock caches the time strings of one loop, rebuilt at most once a second
// (nginx's ngx_cached_*): the Date header, $time_local, $time_iso8601.
// Loop thread only.
type clock struct {
	sec     int64     // unix second the strings are for; -1 before the first use
	ms      int64     // unix ms of the last refresh
	date    []byte    // "Sun, 23 Nov 2026 12:00:00 GMT"
	local   []byte    // "23/Nov/2026:12:00:00 +0000"
	iso8601 []byte    // "2026-11-23T12:00:00+00:00"
	now     time.Time // the time of the last refresh
}

func newClock() *clock {
	return &clock{sec: -1, date: make([]byte, 0, 32), local: make([]byte, 0, 32), iso8601: make([]byte, 0, 32)}
}

// update refreshes the strings for t.
func (c *clock) update(t time.Time) {
	c.now = t
	c.ms = t.UnixMilli()
	s := c.ms / 1000
	if s == c.sec {
		return
	}
	c.sec = s
	c.date = t.UTC().AppendFormat(c.date[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	c.local = t.AppendFormat(c.local[:0], "02/Jan/2006:15:04:05 -0700")
	c.iso8601 = t.AppendFormat(c.iso8601[:0], "2006-01-02T15:04:05-07:00")
}
