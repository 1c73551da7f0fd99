//go:build race

package app

// raceEnabled tells the tests that the race detector is on.
const raceEnabled = true
