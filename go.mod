module github.com/luring/luring

go 1.26.8

require (
	github.com/pawelgaczynski/giouring v0.0.0-20230826085535-69588b89acb9
	github.com/stretchr/testify v1.12.1
	github.com/yuin/gopher-lua v1.1.2
	golang.org/x/sys v0.30.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
