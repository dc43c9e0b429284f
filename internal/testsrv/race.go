//go:build race

package testsrv

// raceEnabled: the test binary runs under -race, so the server is built
// with it too.
const raceEnabled = true
