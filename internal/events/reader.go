package events

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one JSONL line; real events are a few hundred bytes. A
// line of MaxLine bytes or more (line ending not counted) is refused.
const MaxLine = 1 << 20

// ErrLineTooLong is what Reader.Next reports for a line of MaxLine bytes or
// more. The reader has skipped it: the next call reads the line after it.
var ErrLineTooLong = fmt.Errorf("1 MiB or longer (%d bytes or more): skipped", MaxLine)

// bom is the UTF-8 byte-order mark some editors put at the start of a file.
var bom = []byte{0xEF, 0xBB, 0xBF}

// Reader reads a JSONL stream line by line in bounded memory: it holds at
// most one line shorter than MaxLine, and skips the rest of a longer one
// without keeping it, however long it is.
type Reader struct {
	br   *bufio.Reader
	buf  []byte
	line int
	eof  bool
}

// NewReader reads lines from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64*1024)}
}

// Line is the number of the last line Next returned (0 before the first).
func (r *Reader) Line() int { return r.line }

// Next returns the next line's 1-based number and its bytes without the
// line ending; they are valid until the next call. A byte-order mark at the
// start of the stream is dropped. A line of MaxLine bytes or more comes
// back as ErrLineTooLong with its number and no bytes. At the end it
// returns io.EOF; any other error is the underlying reader's.
func (r *Reader) Next() (int, []byte, error) {
	if r.eof {
		return r.line, nil, io.EOF
	}
	r.buf = r.buf[:0]
	tooLong, started := false, false
	for {
		chunk, err := r.br.ReadSlice('\n')
		started = started || len(chunk) > 0
		end := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if end {
			chunk = chunk[:len(chunk)-1]
		}
		if !tooLong {
			if len(r.buf)+len(chunk) >= MaxLine {
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case end:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			r.eof = true
			if !started {
				return r.line, nil, io.EOF
			}
		case err != nil:
			return r.line, nil, fmt.Errorf("read line %d: %w", r.line+1, err)
		}
		r.line++
		if tooLong {
			return r.line, nil, ErrLineTooLong
		}
		if r.line == 1 {
			r.buf = bytes.TrimPrefix(r.buf, bom)
		}
		return r.line, r.buf, nil
	}
}
