package resolve

import (
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"os"
)

// DefaultHostsPath is where the hosts file lives on Linux.
const DefaultHostsPath = "/etc/hosts"

// Hosts is a parsed hosts file: host names to addresses. Looking names up
// there before asking DNS is a luring extension (nginx's resolver never
// reads it). Read-only once built.
type Hosts struct {
	path  string                  // the file it was loaded from; "" when parsed from bytes
	stamp Stamp                   // the file's version when loaded
	names map[string][]netip.Addr // canonical name → at most one address per family, in file order
}

// Stamp is a version of a file as Hosts.Changed compares it.
type Stamp struct {
	ModTime int64 // modification time, ns since the epoch; 0 for a missing file
	Size    int64 // bytes; -1 for a missing file
}

// LoadHosts reads and parses the hosts file at path. It is blocking file
// I/O: the server runs it once per configuration, off the loops, and on
// reload again only when Changed says so; the table is shared read-only by
// the workers. A missing file gives an empty table and
// no error, as glibc treats it; any other failure to read is returned with
// an empty table.
func LoadHosts(path string) (*Hosts, error) {
	h := &Hosts{path: path, stamp: Stamp{Size: -1}}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return h, err
	}
	h.names = parseHosts(data)
	h.stamp = stampOf(fi)
	return h, nil
}

// ParseHosts parses hosts-file text (see Lookup for the rules); the result
// has no file behind it and Changed always reports false.
func ParseHosts(data []byte) *Hosts {
	return &Hosts{names: parseHosts(data)}
}

// Lookup returns the addresses the hosts file gives name (Canonical form),
// nil when it names none. The rules are glibc's files backend: a '#' starts
// a comment, a line is an address and one or more names, names match
// without regard to case, and the first line giving a name an address of a
// family wins (gethostbyname with "multi off"). So a name has at most one
// IPv4 and one IPv6 address, in file order; connect takes the first (for
// "localhost" on Debian, 127.0.0.1). The slice is shared: do not modify it.
func (h *Hosts) Lookup(name string) []netip.Addr {
	return h.names[name]
}

// Len returns the number of names in the table.
func (h *Hosts) Len() int { return len(h.names) }

// Stamp returns the version of the file the table was loaded from.
func (h *Hosts) Stamp() Stamp { return h.stamp }

// Changed reports whether the file at the table's path differs, by
// modification time or size, from the version loaded: the cheap check a
// reload makes before LoadHosts. It is one stat call (blocking, like
// LoadHosts). A table from ParseHosts never changes.
func (h *Hosts) Changed() (bool, error) {
	if h.path == "" {
		return false, nil
	}
	fi, err := os.Stat(h.path)
	if errors.Is(err, fs.ErrNotExist) {
		return h.stamp != Stamp{Size: -1}, nil
	}
	if err != nil {
		return false, err
	}
	return stampOf(fi) != h.stamp, nil
}

// stampOf returns the Stamp of a file's information.
func stampOf(fi fs.FileInfo) Stamp {
	return Stamp{ModTime: fi.ModTime().UnixNano(), Size: fi.Size()}
}

// parseHosts builds the name table from hosts-file text. Lines whose first
// field is not an IP address, and names that could not be asked
// (Canonical fails), are skipped.
func parseHosts(data []byte) map[string][]netip.Addr {
	names := make(map[string][]netip.Addr)
	var f [][]byte // one line's fields, reused
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line, _, _ = bytes.Cut(line, []byte{'#'})
		f = fields(f[:0], line)
		if len(f) < 2 {
			continue
		}
		addr, err := netip.ParseAddr(string(f[0]))
		if err != nil {
			continue
		}
		for _, n := range f[1:] {
			name, err := Canonical(string(n))
			if err != nil {
				continue
			}
			names[name] = addFirst(names[name], addr)
		}
	}
	return names
}

// addFirst appends addr to addrs unless addrs already has one of its family.
func addFirst(addrs []netip.Addr, addr netip.Addr) []netip.Addr {
	for _, a := range addrs {
		if a.Is4() == addr.Is4() {
			return addrs
		}
	}
	return append(addrs, addr)
}

// fields appends to f the fields of line, split on blanks (spaces, tabs,
// the '\r' of CRLF files).
func fields(f [][]byte, line []byte) [][]byte {
	for {
		for len(line) > 0 && isBlank(line[0]) {
			line = line[1:]
		}
		if len(line) == 0 {
			return f
		}
		i := 0
		for i < len(line) && !isBlank(line[i]) {
			i++
		}
		f = append(f, line[:i])
		line = line[i:]
	}
}

// isBlank reports whether c separates fields in a hosts line.
func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
