package conf

import "strings"

// Match finds the location for a normalized URI in nginx's order
// (ngx_http_core_find_location):
//
//  1. an exact "= uri" location wins at once;
//  2. otherwise the longest matching prefix ("/p" or "^~ /p") is chosen and
//     its nested locations are searched the same way; an exact or regex
//     match found there wins;
//  3. unless that longest prefix is "^~", regex locations ("~", and "~*"
//     case-insensitive) are tried in config order; the first match wins,
//     and its nested locations are searched too;
//  4. otherwise the deepest prefix found in step 2 is used.
//
// Named locations never match a URI. captures is the regex submatch slice
// of the deciding regex (captures[0] the whole match, captures[n] is $n;
// an unmatched group is ""), nil when no regex decided. A nil location
// means no match (nginx answers 404).
func (s *Server) Match(uri string) (*Location, []string) {
	loc, caps, _ := findLocation(s.Locations, uri)
	return loc, caps
}

// findLocation searches one level. done reports that the search must stop
// (an exact or regex match decided), mirroring nginx's NGX_OK.
func findLocation(level []*Location, uri string) (loc *Location, caps []string, done bool) {
	var prefix *Location
	for _, l := range level {
		switch l.Match {
		case MatchExact:
			if l.Pattern == uri {
				return l, nil, true
			}
		case MatchPrefix, MatchPrefixNoRegex:
			if strings.HasPrefix(uri, l.Pattern) && (prefix == nil || len(l.Pattern) > len(prefix.Pattern)) {
				prefix = l
			}
		}
	}
	noRegex := false
	if prefix != nil {
		loc = prefix
		noRegex = prefix.Match == MatchPrefixNoRegex
		nl, ncaps, ndone := findLocation(prefix.Nested, uri)
		if ndone {
			return nl, ncaps, true
		}
		if nl != nil {
			loc = nl
		}
	}
	if noRegex {
		return loc, nil, false
	}
	for _, l := range level {
		if l.Regex == nil {
			continue
		}
		m := l.Regex.FindStringSubmatch(uri)
		if m == nil {
			continue
		}
		found, ncaps, _ := findLocation(l.Nested, uri)
		if found == nil {
			return l, m, true
		}
		if ncaps == nil {
			ncaps = m
		}
		return found, ncaps, true
	}
	return loc, nil, false
}

// FindNamed returns the named location "@name" (the "@" may be left out),
// or nil.
func (s *Server) FindNamed(name string) *Location {
	if !strings.HasPrefix(name, "@") {
		name = "@" + name
	}
	for _, l := range s.Named {
		if l.Name == name {
			return l
		}
	}
	return nil
}
