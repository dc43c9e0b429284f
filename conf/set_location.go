package conf

import "strings"

// enterLocation opens a location block: reads the modifier, checks nesting
// as ngx_http_core_location does, and adds the location to its parent.
func enterLocation(b *builder, d *Directive) error {
	f := b.top()
	loc := &Location{
		Settings: Settings{set: setMask{}},
		Server:   f.srv,
		Parent:   f.loc,
		File:     d.File,
		Line:     d.Line,
	}
	if err := parseLocationName(loc, d); err != nil {
		return err
	}
	if p := f.loc; p != nil {
		switch {
		case p.Match == MatchExact:
			return errorf("location \"%s\" cannot be inside the exact location \"%s\"", loc.Pattern, p.Pattern)
		case p.Match == MatchNamed:
			return errorf("location \"%s\" cannot be inside the named location \"%s\"", loc.Pattern, p.Pattern)
		case loc.Match == MatchNamed:
			return errorf("named location \"%s\" can be on the server level only", loc.Pattern)
		case loc.Regex == nil && !strings.HasPrefix(loc.Pattern, p.Pattern):
			return errorf("location \"%s\" is outside location \"%s\"", loc.Pattern, p.Pattern)
		}
	}
	siblings := f.srv.Locations
	if f.loc != nil {
		siblings = f.loc.Nested
	}
	for _, s := range siblings {
		if s.Pattern == loc.Pattern && s.Regex == nil && loc.Regex == nil &&
			(s.Match == MatchExact) == (loc.Match == MatchExact) {
			return errorf(msgDuplicateLocation, loc.Pattern).at(d.File, d.termLine)
		}
	}
	switch {
	case loc.Match == MatchNamed:
		f.srv.Named = append(f.srv.Named, loc)
	case f.loc != nil:
		f.loc.Nested = append(f.loc.Nested, loc)
	default:
		f.srv.Locations = append(f.srv.Locations, loc)
	}
	b.push(frame{ctx: ctxLocation, srv: f.srv, loc: loc})
	return nil
}

// parseLocationName reads "location [modifier] name" in both spellings
// nginx accepts: "= /x" and "=/x".
func parseLocationName(loc *Location, d *Directive) error {
	var mod, name string
	if len(d.Args) == 2 {
		mod, name = d.Args[0].Value, d.Args[1].Value
		switch mod {
		case "=", "^~", "~", "~*":
		default:
			return errorf("invalid location modifier \"%s\"", mod)
		}
	} else {
		name = d.Args[0].Value
		for _, m := range []string{"=", "^~", "~*", "~"} {
			if rest, ok := strings.CutPrefix(name, m); ok {
				mod, name = m, rest
				break
			}
		}
	}
	loc.Pattern = name
	switch mod {
	case "=":
		loc.Match = MatchExact
	case "^~":
		loc.Match = MatchPrefixNoRegex
	case "~", "~*":
		loc.Match = MatchRegex
		if mod == "~*" {
			loc.Match = MatchRegexCaseless
		}
		rx, err := compileRegex(name, mod == "~*")
		if err != nil {
			return err
		}
		loc.Regex = rx
	default:
		if strings.HasPrefix(name, "@") {
			loc.Match, loc.Name = MatchNamed, name
		}
	}
	return nil
}
