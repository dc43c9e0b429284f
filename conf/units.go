package conf

import (
	"errors"
	"math"
	"time"
)

// ErrInvalidUnit is returned by ParseTime, ParseSize and ParseOffset for a
// value nginx would reject; directive setters turn it into nginx's
// "invalid value" wording.
var ErrInvalidUnit = errors.New("invalid value")

// ParseTime reads an nginx time value as ngx_parse_time does. Units: y
// (365 days), M (30 days), w, d, h, m, s, ms; several may be combined in
// decreasing order ("1h30m", "1h 30m"). A bare number means seconds. With
// isSec false (the msec slots: *_timeout, keepalive_timeout) "y" and "M"
// are not accepted, as in nginx; with isSec true "ms" is not accepted.
// The result is rounded to whole seconds when isSec is true.
func ParseTime(s string, isSec bool) (time.Duration, error) {
	const (
		stStart = iota
		stYear
		stMonth
		stWeek
		stDay
		stHour
		stMin
		stSec
		stMsec
		stLast
	)
	step := stStart
	if !isSec {
		step = stMonth
	}
	var total, value int64 // milliseconds, and the pending number
	valid := false
	const maxInt = math.MaxInt64 / int64(time.Millisecond)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			if value > (maxInt-int64(c-'0'))/10 {
				return 0, ErrInvalidUnit
			}
			value = value*10 + int64(c-'0')
			valid = true
			i++
			continue
		}
		i++
		var next int
		var scale int64 // milliseconds per unit
		switch c {
		case 'y':
			next, scale = stYear, 365*24*3600*1000
		case 'M':
			next, scale = stMonth, 30*24*3600*1000
		case 'w':
			next, scale = stWeek, 7*24*3600*1000
		case 'd':
			next, scale = stDay, 24*3600*1000
		case 'h':
			next, scale = stHour, 3600*1000
		case 'm':
			next, scale = stMin, 60*1000
			if i < len(s) && s[i] == 's' {
				if isSec {
					return 0, ErrInvalidUnit
				}
				i++
				next, scale = stMsec, 1
			}
		case 's':
			next, scale = stSec, 1000
		case ' ':
			// a number followed by a space counts as seconds
			if step >= stSec {
				return 0, ErrInvalidUnit
			}
			next, scale = stLast, 1000
		default:
			return 0, ErrInvalidUnit
		}
		if step >= next {
			return 0, ErrInvalidUnit
		}
		step = next
		if value > maxInt/scale {
			return 0, ErrInvalidUnit
		}
		value *= scale
		if total > maxInt-value {
			return 0, ErrInvalidUnit
		}
		total += value
		value = 0
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	if !valid {
		return 0, ErrInvalidUnit
	}
	if value > maxInt/1000 || total > maxInt-value*1000 {
		return 0, ErrInvalidUnit
	}
	total += value * 1000
	d := time.Duration(total) * time.Millisecond
	if isSec {
		d = d.Truncate(time.Second)
	}
	return d, nil
}

// ParseSize reads an nginx size as ngx_parse_size does: a number of bytes
// with an optional k/K (KiB) or m/M (MiB) suffix. Used by the size slots
// (client_header_buffer_size, client_body_buffer_size, ...).
func ParseSize(s string) (int64, error) {
	return parseScaled(s, false)
}

// ParseOffset reads an nginx offset as ngx_parse_offset does: like
// ParseSize, plus g/G (GiB). Used by client_max_body_size.
func ParseOffset(s string) (int64, error) {
	return parseScaled(s, true)
}

func parseScaled(s string, allowG bool) (int64, error) {
	if s == "" {
		return 0, ErrInvalidUnit
	}
	scale := int64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		scale = 1 << 10
	case 'm', 'M':
		scale = 1 << 20
	case 'g', 'G':
		if allowG {
			scale = 1 << 30
		}
	}
	digits := s
	if scale != 1 {
		digits = s[:len(s)-1]
	}
	n, ok := atoi(digits)
	if !ok || n > math.MaxInt64/scale {
		return 0, ErrInvalidUnit
	}
	return n * scale, nil
}

// atoi parses a non-empty run of decimal digits as ngx_atoi does (no sign,
// no spaces).
func atoi(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
