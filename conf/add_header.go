package conf

// add_header (ngx_http_headers_module): a response header added to the
// responses of a location, after the other header filters.

// AddHeader is one add_header directive.
type AddHeader struct {
	Name   string
	Value  []Part // literals and variables; a value that evaluates empty adds nothing
	Always bool   // "always": every status, not only 200, 201, 204, 206, 301, 302, 303, 304, 307, 308
}

// setAddHeader is add_header name value [always].
func setAddHeader(b *builder, d *Directive) error {
	always := false
	if len(d.Args) == 3 {
		if d.Args[2].Value != "always" {
			return errorf("invalid parameter \"%s\"", d.Args[2].Value)
		}
		always = true
	}
	parts, err := SplitVars(d.Args[1].Value)
	if err != nil {
		return err
	}
	s := b.settings()
	s.set["add_header"] = true
	s.AddHeaders = append(s.AddHeaders, AddHeader{Name: d.Args[0].Value, Value: parts, Always: always})
	return nil
}
