package httpd

// Chunked decoder states, after nginx's ngx_http_parse_chunked.
const (
	cStart             uint8 = iota // first hex digit of a size line
	cSize                           // more hex digits
	cExt                            // chunk extension, up to CR
	cExtAlmost                      // LF ending a size line
	cData                           // chunk data, remaining bytes in size
	cAfterData                      // CR after data
	cAfterDataAlmost                // LF after data
	cLastExt                        // extension of the last (zero) chunk
	cLastExtAlmost                  // LF ending the last size line
	cTrailer                        // start of a trailer line or the final CRLF
	cTrailerAlmost                  // LF of the final CRLF
	cTrailerLine                    // inside a trailer line
	cTrailerLineAlmost              // LF ending a trailer line
	cDone                           // body complete
)

// maxChunkSize: nginx refuses a size line once the size exceeds
// NGX_MAX_OFF_T_VALUE/16 before another character, so any size above it.
const maxChunkSize = (1<<63 - 1) / 16

// ChunkedDecoder decodes a "Transfer-Encoding: chunked" request body as a
// stream: feed it the bytes as they arrive, in pieces of any size, and it
// returns how many it consumed and the data they carried. It accepts what
// nginx accepts: hex sizes with any number of leading zeros, extensions
// after ';', SP or HT, trailer lines (skipped), and strict CRLF line ends
// (a bare LF is an error, unlike in the head). It stops exactly at the end
// of the body, so the bytes after it (a pipelined request) are untouched.
// The zero value is ready to use; Reset it for the next body.
type ChunkedDecoder struct {
	state uint8
	size  int64 // size being parsed, then data bytes left in the chunk
	total int64 // data bytes produced so far
}

// Reset prepares d for another body.
func (d *ChunkedDecoder) Reset() { *d = ChunkedDecoder{} }

// Done reports whether the last chunk and the trailer have been consumed.
func (d *ChunkedDecoder) Done() bool { return d.state == cDone }

// Size returns the number of data bytes decoded so far; compare it with
// client_max_body_size.
func (d *ChunkedDecoder) Size() int64 { return d.total }

// Next consumes src up to the end of the first run of data bytes in it and
// returns that run as a subslice of src (zero-copy: valid as long as src's
// bytes are), and the number of bytes of src consumed, framing included.
// data is nil when src held only framing. Call it again with src[nsrc:]
// until nsrc == len(src) or Done. On malformed framing or an oversized
// chunk it returns ErrInvalidChunked and keeps returning it.
func (d *ChunkedDecoder) Next(src []byte) (data []byte, nsrc int, err error) {
	i, err := d.framing(src)
	if err != nil || d.state != cData || i == len(src) {
		return nil, i, err
	}
	n := min(d.size, int64(len(src)-i))
	data = src[i : i+int(n) : i+int(n)]
	d.take(n)
	return data, i + int(n), nil
}

// Decode consumes src and writes the data it carries to dst, returning the
// bytes consumed from src and written to dst. It stops when src is used up,
// when the body is complete, or when dst is full and the next byte would be
// data. dst may be src itself (dst[:len(src)]) to decode in place: output
// never overtakes input.
func (d *ChunkedDecoder) Decode(dst, src []byte) (nsrc, ndst int, err error) {
	for {
		i, err := d.framing(src[nsrc:])
		nsrc += i
		if err != nil || d.state != cData || nsrc == len(src) || ndst == len(dst) {
			return nsrc, ndst, err
		}
		n := min(d.size, int64(len(src)-nsrc), int64(len(dst)-ndst))
		copy(dst[ndst:], src[nsrc:nsrc+int(n)])
		d.take(n)
		nsrc += int(n)
		ndst += int(n)
	}
}

// Discard consumes src and drops the data, to skip a body and keep a
// keep-alive connection in step. It returns the bytes consumed: all of src
// unless the body ends inside it.
func (d *ChunkedDecoder) Discard(src []byte) (nsrc int, err error) {
	for nsrc < len(src) && d.state != cDone {
		_, n, err := d.Next(src[nsrc:])
		nsrc += n
		if err != nil {
			return nsrc, err
		}
	}
	return nsrc, nil
}

func (d *ChunkedDecoder) take(n int64) {
	d.size -= n
	d.total += n
	if d.size == 0 {
		d.state = cAfterData
	}
}

func hexVal(c byte) (int64, bool) {
	v, ok := unhex(c)
	return int64(v), ok
}

// framing consumes framing bytes from src until chunk data starts, the body
// ends, or src runs out, and returns how many it consumed.
func (d *ChunkedDecoder) framing(src []byte) (int, error) {
	st := d.state
	if st == cData || st == cDone {
		return 0, nil
	}
	if st == 0xff {
		return 0, ErrInvalidChunked
	}
	for i, c := range src {
		switch st {
		case cStart:
			v, ok := hexVal(c)
			if !ok {
				return d.fail()
			}
			d.size = v
			st = cSize
		case cSize:
			if d.size > maxChunkSize {
				return d.fail()
			}
			if v, ok := hexVal(c); ok {
				d.size = d.size<<4 | v
				continue
			}
			switch c {
			case '\r':
				st = cExtAlmost
			case ';', ' ', '\t':
				st = cExt
			default:
				return d.fail()
			}
			if d.size == 0 {
				st += cLastExt - cExt
			}
		case cExt, cLastExt, cTrailerLine:
			switch c {
			case '\r':
				st++
			case '\n':
				return d.fail()
			}
		case cExtAlmost:
			if c != '\n' {
				return d.fail()
			}
			d.state = cData
			return i + 1, nil
		case cAfterData:
			if c != '\r' {
				return d.fail()
			}
			st = cAfterDataAlmost
		case cAfterDataAlmost, cLastExtAlmost, cTrailerLineAlmost:
			if c != '\n' {
				return d.fail()
			}
			if st == cAfterDataAlmost {
				st = cStart
			} else {
				st = cTrailer
			}
		case cTrailer:
			switch c {
			case '\r':
				st = cTrailerAlmost
			case '\n':
				return d.fail()
			default:
				st = cTrailerLine
			}
		case cTrailerAlmost:
			if c != '\n' {
				return d.fail()
			}
			d.state = cDone
			return i + 1, nil
		}
	}
	d.state = st
	return len(src), nil
}

func (d *ChunkedDecoder) fail() (int, error) {
	d.state = 0xff
	return 0, ErrInvalidChunked
}
