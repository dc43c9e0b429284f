package conf

import "strings"

// setRoot is nginx's root: the directory static files are served from,
// resolved against the prefix. Variables are not supported yet.
func setRoot(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	v := d.Args[0].Value
	if HasVars(v) {
		return errorf("variables in \"%s\" are not supported by luring yet", d.Name)
	}
	s.Root = b.resolve(v)
	return nil
}

// setIndex is nginx's index: the file names tried, in order, for a URI
// that ends with "/". Variables are not supported yet.
func setIndex(b *builder, d *Directive) error {
	s := b.settings()
	if !s.set[d.Name] { // repeated index directives add to the list
		s.set[d.Name] = true
		s.Index = nil
	}
	for _, a := range d.Args {
		if a.Value == "" {
			return errorf("index \"%s\" in \"index\" directive is invalid", a.Value)
		}
		if HasVars(a.Value) {
			return errorf("variables in \"%s\" are not supported by luring yet", d.Name)
		}
		s.Index = append(s.Index, a.Value)
	}
	return nil
}

// setFlag returns a set function for an on|off directive stored in the
// per-location settings at the field dst picks. As ngx_conf_set_flag_slot,
// a repeated directive is a duplicate before its value is looked at.
func setFlag(dst func(*Settings) *bool) func(*builder, *Directive) error {
	return func(b *builder, d *Directive) error {
		s := b.settings()
		if err := once(s.set, d.Name, d.Name); err != nil {
			return err
		}
		on, err := isFlag(d)
		if err != nil {
			return err
		}
		*dst(s) = on
		return nil
	}
}

// client_body_in_file_only's values.
const (
	BodyFileOff   uint8 = iota // off: a body goes to a file only when it does not fit the buffer, removed at the end
	BodyFileOn                 // on: every body goes to a file, kept after the request
	BodyFileClean              // clean: every body goes to a file, removed after the request
)

// setClientBodyInFile is client_body_in_file_only on|clean|off (an
// ngx_conf_set_enum_slot).
func setClientBodyInFile(b *builder, d *Directive) error {
	s := b.settings()
	if err := once(s.set, d.Name, d.Name); err != nil {
		return err
	}
	switch strings.ToLower(d.Args[0].Value) {
	case "off":
		s.ClientBodyInFile = BodyFileOff
	case "on":
		s.ClientBodyInFile = BodyFileOn
	case "clean":
		s.ClientBodyInFile = BodyFileClean
	default:
		return errorf("invalid value \"%s\"", d.Args[0].Value) // ngx_conf_set_enum_slot's words
	}
	return nil
}
