package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// maxFileSize bounds a secret or CA file: real ones are a few kilobytes (a
// CA bundle a few hundred), so anything larger is the wrong file.
const maxFileSize = 1 << 20

// ReadFile is the readFile for Load outside tests: it reads only regular
// files. A secret path that names a FIFO, a device or a directory (a
// mistyped mount, /dev/stdin) is refused instead of blocking start-up
// forever or reading without end. The file is stat'ed before it is opened,
// opened without blocking, and checked again once open, so a file swapped
// in between is caught too.
func ReadFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	return b, nil
}

// regular refuses anything but a regular file, saying what it is instead.
func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	what := ""
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	default:
		what = "a special file"
	}
	return &fs.PathError{Op: "read", Path: path, Err: errors.New("is " + what + ", not a regular file")}
}
