package httpd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type chunkedCase struct {
	name    string
	in      string // the body; rest follows it
	rest    string // bytes after the body, never consumed
	want    string // decoded data
	invalid bool
}

var chunkedCases = []chunkedCase{
	{name: "one chunk", in: "5\r\nhello\r\n0\r\n\r\n", want: "hello"},
	{name: "hex sizes any case", in: "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", want: "0123456789abcdefghij"},
	{name: "extensions", in: "5;name=value;x\r\nhello\r\n0;last=\"y\"\r\n\r\n", want: "hello"},
	{name: "extension after space or tab", in: "5 ;x\r\nhello\r\n0\t\r\n\r\n", want: "hello"},
	{name: "trailers skipped", in: "5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n", want: "hello"},
	{name: "leading zeros", in: "0005\r\nhello\r\n000\r\n\r\n", want: "hello"},
	{name: "empty body", in: "0\r\n\r\n", want: ""},
	{name: "stops at the end: pipelined request", in: "3\r\nabc\r\n0\r\n\r\n", rest: "GET / HTTP/1.1\r\n\r\n", want: "abc"},
	{name: "data with CRLF inside", in: "4\r\n\r\n\r\n\r\n0\r\n\r\n", want: "\r\n\r\n"},
	{name: "big chunk", in: "400\r\n" + strings.Repeat("z", 1024) + "\r\n0\r\n\r\n", want: strings.Repeat("z", 1024)},

	{name: "bare LF after size", in: "5\nhello\r\n0\r\n\r\n", invalid: true},
	{name: "no CRLF after data", in: "5\r\nhelloX\r\n0\r\n\r\n", invalid: true},
	{name: "bare LF after data", in: "5\r\nhello\n0\r\n\r\n", invalid: true},
	{name: "empty size line", in: "\r\n0\r\n\r\n", invalid: true},
	{name: "extension without size", in: ";x\r\n", invalid: true},
	{name: "not hex", in: "g\r\n", invalid: true},
	{name: "negative size", in: "-5\r\nhello\r\n", invalid: true},
	{name: "0x prefix", in: "0x5\r\nhello\r\n", invalid: true},
	{name: "size over 2^59-1", in: "800000000000000\r\n", invalid: true},
	{name: "size overflowing int64", in: "ffffffffffffffffffff\r\n", invalid: true},
	{name: "LF inside extension", in: "5;a\nb\r\nhello\r\n", invalid: true},
	{name: "CR inside extension", in: "5;a\rb\r\nhello\r\n", invalid: true},
	{name: "bare LF ending a trailer", in: "0\r\nX: 1\n\r\n", invalid: true},
	{name: "bare LF ending the trailer section", in: "0\r\n\n", invalid: true},
	{name: "CR without LF at the end", in: "0\r\n\rX", invalid: true},
}

// decodeFed runs Decode over the pieces of in given by m, appending the
// data to out, and returns the decoded data, bytes consumed and error.
func decodeFed(in []byte, m feedMode) ([]byte, int, error, *ChunkedDecoder) {
	var (
		d    ChunkedDecoder
		out  []byte
		used int
		dst  = make([]byte, 3) // small: exercises a full dst
	)
	prev := 0
	for _, k := range m.steps(len(in)) {
		piece := in[prev:k]
		prev = k
		for len(piece) > 0 && !d.Done() {
			ns, nd, err := d.Decode(dst, piece)
			out = append(out, dst[:nd]...)
			used += ns
			piece = piece[ns:]
			if err != nil {
				return out, used, err, &d
			}
		}
	}
	return out, used, nil, &d
}

func TestChunkedDecode(t *testing.T) {
	for _, tc := range chunkedCases {
		for _, m := range feedModes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				in := []byte(tc.in + tc.rest)
				out, used, err, d := decodeFed(in, m)
				if tc.invalid {
					require.Equal(t, ErrInvalidChunked, err)
					_, _, again := d.Decode(nil, []byte("0\r\n\r\n"))
					require.Equal(t, ErrInvalidChunked, again, "sticky")
					return
				}
				require.NoError(t, err)
				require.True(t, d.Done())
				require.Equal(t, tc.want, string(out))
				require.Equal(t, len(tc.in), used)
				require.Equal(t, int64(len(tc.want)), d.Size())
			})
		}
	}
}

func TestChunkedInPlaceNextDiscard(t *testing.T) {
	for _, tc := range chunkedCases {
		if tc.invalid {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in + tc.rest)

			var d ChunkedDecoder
			buf := append([]byte(nil), in...)
			ns, nd, err := d.Decode(buf, buf) // in place
			require.NoError(t, err)
			require.True(t, d.Done())
			require.Equal(t, len(tc.in), ns)
			require.Equal(t, tc.want, string(buf[:nd]))
			require.Equal(t, tc.rest, string(buf[ns:]))

			d.Reset()
			var got []byte
			src := in
			for !d.Done() {
				data, n, err := d.Next(src)
				require.NoError(t, err)
				if data != nil {
					require.True(t, &src[0] == &in[len(in)-len(src)], "zero-copy")
					require.True(t, bytes.Contains(src[:n], data))
				}
				got = append(got, data...)
				src = src[n:]
			}
			require.Equal(t, tc.want, string(got))
			require.Equal(t, tc.rest, string(src))

			d.Reset()
			n, err := d.Discard(in)
			require.NoError(t, err)
			require.True(t, d.Done())
			require.Equal(t, len(tc.in), n)
		})
	}
}

func TestChunkedNeedMore(t *testing.T) {
	var d ChunkedDecoder
	ns, nd, err := d.Decode(make([]byte, 8), []byte("7ffffffffffffff\r\nabc"))
	require.NoError(t, err, "2^59-1 is the largest size nginx takes")
	require.Equal(t, 20, ns)
	require.Equal(t, 3, nd)
	require.False(t, d.Done())
	require.Equal(t, int64(3), d.Size())
}

// naiveChunked decodes a whole body by splitting lines, with nginx's rules
// restated directly. verdict is "done", "more" or "invalid"; for "more",
// data is what the complete part carried.
func naiveChunked(in []byte) (data []byte, used int, verdict string) {
	const max = maxChunkSize
	hex := func(c byte) (int64, bool) {
		switch {
		case c >= '0' && c <= '9':
			return int64(c - '0'), true
		case c >= 'a' && c <= 'f':
			return int64(c-'a') + 10, true
		case c >= 'A' && c <= 'F':
			return int64(c-'A') + 10, true
		}
		return 0, false
	}
	// sizeLine checks a size line (LF excluded); partial: no LF seen yet.
	sizeLine := func(l []byte, partial bool) (int64, bool) {
		if len(l) == 0 {
			return 0, partial
		}
		v, ok := hex(l[0])
		if !ok {
			return 0, false
		}
		i := 1
		for ; i < len(l); i++ {
			d, ok := hex(l[i])
			if v > max {
				return 0, false
			}
			if !ok {
				break
			}
			v = v*16 + d
		}
		if i == len(l) {
			return v, partial
		}
		if l[i] != '\r' && l[i] != ';' && l[i] != ' ' && l[i] != '\t' {
			return 0, false
		}
		cr := bytes.IndexByte(l[i:], '\r') + i
		if cr < i { // no CR yet
			return v, partial
		}
		return v, cr == len(l)-1
	}
	pos := 0
	for {
		lf := bytes.IndexByte(in[pos:], '\n')
		if lf < 0 {
			if _, ok := sizeLine(in[pos:], true); ok {
				return data, len(in), "more"
			}
			return data, pos, "invalid"
		}
		size, ok := sizeLine(in[pos:pos+lf], false)
		if !ok {
			return data, pos, "invalid"
		}
		pos += lf + 1
		if size == 0 {
			break
		}
		if int64(len(in)-pos) < size {
			return append(data, in[pos:]...), len(in), "more"
		}
		data = append(data, in[pos:pos+int(size)]...)
		pos += int(size)
		switch rest := in[pos:]; {
		case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
			pos += 2
		case string(rest) == "" || string(rest) == "\r":
			return data, len(in), "more"
		default:
			return data, pos, "invalid"
		}
	}
	for { // trailer section
		t := in[pos:]
		lf := bytes.IndexByte(t, '\n')
		line := t
		if lf >= 0 {
			line = t[:lf]
		}
		cr := bytes.IndexByte(line, '\r')
		if lf < 0 {
			if cr < 0 || cr == len(line)-1 {
				return data, len(in), "more"
			}
			return data, pos, "invalid"
		}
		if len(line) == 0 || cr != len(line)-1 {
			return data, pos, "invalid" // bare LF, or a CR inside
		}
		pos += lf + 1
		if len(line) == 1 {
			return data, pos, "done"
		}
	}
}

func FuzzChunked(f *testing.F) {
	for _, tc := range chunkedCases {
		f.Add([]byte(tc.in+tc.rest), uint16(len(tc.in)/2))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		wantData, wantUsed, verdict := naiveChunked(in)
		modes := append(feedModes, feedMode{"cut", func(n int) []int {
			return []int{min(int(cut), n), n}
		}})
		for _, m := range modes {
			data, used, err, d := decodeFed(in, m)
			switch verdict {
			case "invalid":
				require.Equal(t, ErrInvalidChunked, err, m.name)
			case "done":
				require.NoError(t, err, m.name)
				require.True(t, d.Done(), m.name)
				require.Equal(t, wantUsed, used, m.name)
				require.Equal(t, string(wantData), string(data), m.name)
			case "more":
				require.NoError(t, err, m.name)
				require.False(t, d.Done(), m.name)
				require.Equal(t, len(in), used, m.name)
				require.Equal(t, string(wantData), string(data), m.name)
			}
		}
	})
}

func BenchmarkChunked(b *testing.B) {
	body := []byte(strings.Repeat("1000\r\n"+strings.Repeat("x", 4096)+"\r\n", 16) + "0\r\n\r\n")
	dst := make([]byte, 64<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var d ChunkedDecoder
		if _, _, err := d.Decode(dst, body); err != nil || !d.Done() {
			b.Fatal(err)
		}
	}
}
