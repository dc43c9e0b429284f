package conf

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
