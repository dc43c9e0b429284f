package cosocket

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// boundary40 is a 40-byte multipart-style boundary.
const boundary40 = "\r\n------LuringFormBoundary7MA4YWxkTrZu0g"

// randomBody returns n seeded random bytes followed by pat.
func randomBody(n int, pat string) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n, n+len(pat))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return append(b, pat...)
}

// benchScan scans data with pattern pat until the match at its end, with
// size (0: no size), consuming chunks as a socket would.
func benchScan(b *testing.B, pat string, data []byte, size int) {
	p, err := Compile(pat)
	if err != nil {
		b.Fatal(err)
	}
	if i := bytes.Index(data, []byte(pat)); i != len(data)-len(pat) {
		b.Fatalf("the pattern is at %d, not only at the end", i)
	}
	m := NewMatcher(p, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for buf := data; ; {
			if m.Begin(size) {
				continue // end of part after the previous round's match
			}
			_, n, st := m.Scan(buf)
			if st == ScanMore {
				b.Fatal("no match")
			}
			buf = buf[n:]
			if st == ScanMatched {
				break
			}
		}
	}
}

// BenchmarkScanRandom1MiB: the required figure, 1 MiB of random bytes and a
// 40-byte boundary at the end, no size.
func BenchmarkScanRandom1MiB(b *testing.B) {
	if len(boundary40) != 40 {
		b.Fatal("boundary40 is not 40 bytes")
	}
	benchScan(b, boundary40, randomBody(1<<20, boundary40), 0)
}

// BenchmarkScanRandom1MiBSize8K: the same, read in it(8192) chunks.
func BenchmarkScanRandom1MiBSize8K(b *testing.B) {
	benchScan(b, boundary40, randomBody(1<<20, boundary40), 8192)
}

// BenchmarkScanPathological: pattern a…ab (40 bytes) over 1 MiB of a: every
// byte after the first 39 takes a recovery edge that releases one byte.
func BenchmarkScanPathological(b *testing.B) {
	pat := string(bytes.Repeat([]byte("a"), 39)) + "b"
	data := append(bytes.Repeat([]byte("a"), 1<<20), 'b')
	benchScan(b, pat, data, 0)
}

// BenchmarkScanPathologicalRestart: pattern aaaaab over 1 MiB of aaaaac
// repeated: five held bytes are released on every sixth byte, no edge.
func BenchmarkScanPathologicalRestart(b *testing.B) {
	data := append(bytes.Repeat([]byte("aaaaac"), (1<<20)/6), "aaaaab"...)
	benchScan(b, "aaaaab", data, 0)
}
