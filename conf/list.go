package conf

import "sort"

// Directives returns the names of every directive luring implements or
// accepts, sorted; docs/compatibility.md must list each one.
func Directives() []string {
	names := make([]string, 0, len(directives)+1)
	for name := range directives {
		names = append(names, name)
	}
	names = append(names, "include")
	sort.Strings(names)
	return names
}
