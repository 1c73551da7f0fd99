//go:build race

package demo

// raceEnabled tells the tests that the race detector is on.
const raceEnabled = true
