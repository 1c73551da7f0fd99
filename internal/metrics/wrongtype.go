package metrics

import (
	"fmt"
	"strings"
)

// MigrateCommand converts keys the earlier Python Ash-Bot left under our
// names (sorted sets where ashbot keeps hashes and strings).
const MigrateCommand = "ashbot migrate from-ash-bot"

// isWrongType reports a WRONGTYPE reply, also when a script relays it
// ("ERR Error running script ... WRONGTYPE ..." on Redis 6.2).
func isWrongType(err error) bool {
	return err != nil && strings.Contains(err.Error(), "WRONGTYPE")
}

// wrongTypeReason says which key is in the way and what fixes it.
func wrongTypeReason(key string) string {
	return fmt.Sprintf("key %s holds another type of value (the earlier Ash-Bot's form?); run `%s` to convert it", key, MigrateCommand)
}

// WrongTypeError is a read that met a key of another type than ours.
type WrongTypeError struct {
	Key string
	Err error
}

func (e *WrongTypeError) Error() string { return wrongTypeReason(e.Key) + ": " + e.Err.Error() }

func (e *WrongTypeError) Unwrap() error { return e.Err }

// checkType turns a WRONGTYPE reply on key into a *WrongTypeError and
// leaves other errors as they are.
func checkType(key string, err error) error {
	if isWrongType(err) {
		return &WrongTypeError{Key: key, Err: err}
	}
	return err
}
