//go:build !race

package testsrv

// raceEnabled: the test binary runs without -race.
const raceEnabled = false
