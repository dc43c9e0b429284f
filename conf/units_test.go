package conf

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in    string
		isSec bool
		want  time.Duration
		ok    bool
	}{
		{"68000ms", false, 68 * time.Second, true},
		{"75s", false, 75 * time.Second, true},
		{"75", false, 75 * time.Second, true},
		{"0", false, 0, true},
		{"1m", false, time.Minute, true},
		{"1h", false, time.Hour, true},
		{"1d", false, day, true},
		{"1w", false, 7 * day, true},
		{"1h30m", false, 90 * time.Minute, true},
		{"1h 30m", false, 90 * time.Minute, true},
		{"1m500ms", false, time.Minute + 500*time.Millisecond, true},
		{"1M", true, 30 * day, true},
		{"1y", true, 365 * day, true},
		{"1y2M", true, 425 * day, true},
		{"90", true, 90 * time.Second, true},
		{"1M", false, 0, false},
		{"1y", false, 0, false},
		{"5ms", true, 0, false},
		{"30m1h", false, 0, false},
		{"1s1s", false, 0, false},
		{"", false, 0, false},
		{"s", false, 0, false},
		{"1x", false, 0, false},
		{"-1", false, 0, false},
		{"99999999999999999999", false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.isSec)
			if !tt.ok {
				require.ErrorIs(t, err, ErrInvalidUnit)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseSizeAndOffset(t *testing.T) {
	tests := []struct {
		in       string
		size     int64
		sizeOK   bool
		offset   int64
		offsetOK bool
	}{
		{"0", 0, true, 0, true},
		{"512", 512, true, 512, true},
		{"8k", 8 << 10, true, 8 << 10, true},
		{"8K", 8 << 10, true, 8 << 10, true},
		{"30M", 30 << 20, true, 30 << 20, true},
		{"1m", 1 << 20, true, 1 << 20, true},
		{"1g", 0, false, 1 << 30, true},
		{"2G", 0, false, 2 << 30, true},
		{"", 0, false, 0, false},
		{"k", 0, false, 0, false},
		{"1.5k", 0, false, 0, false},
		{"1kb", 0, false, 0, false},
		{"-1", 0, false, 0, false},
		{"99999999999999999g", 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSize(tt.in)
			if tt.sizeOK {
				require.NoError(t, err)
				assert.Equal(t, tt.size, s)
			} else {
				require.ErrorIs(t, err, ErrInvalidUnit)
			}
			o, err := ParseOffset(tt.in)
			if tt.offsetOK {
				require.NoError(t, err)
				assert.Equal(t, tt.offset, o)
			} else {
				require.ErrorIs(t, err, ErrInvalidUnit)
			}
		})
	}
}
