package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// ImportResult counts what an import did with each line.
type ImportResult struct {
	Recorded  int `json:"recorded"`
	Duplicate int `json:"duplicate"`
	Rejected  int `json:"rejected"`
}

// ImportOptions tune Import.
type ImportOptions struct {
	// Shift moves every event's time by this much before recording, to
	// replay a sample or a drill as if it had just happened.
	Shift time.Duration
	// OnReject is told each rejected line (1-based) and why.
	OnReject func(line int, reason string)
}

// maxLine bounds one JSONL line; real events are a few hundred bytes.
const maxLine = 1 << 20

// Import records every event of a JSONL stream in order, by the same rules
// as the live bot. Blank lines are skipped. A rejected line is reported and
// skipped; a storage failure stops the import with an error naming the line
// (importing the same file again is safe: recorded events are duplicates).
func Import(ctx context.Context, r io.Reader, rec *Recorder, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	reject := func(line int, reason string) {
		res.Rejected++
		if opts.OnReject != nil {
			opts.OnReject(line, reason)
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ev, err := events.Parse(b)
		if err != nil {
			reject(line, err.Error())
			continue
		}
		ev.At = ev.At.Add(opts.Shift)
		out, err := rec.Record(ctx, ev)
		var rej *RejectedError
		switch {
		case errors.As(err, &rej):
			reject(line, rej.Reason)
		case err != nil:
			return res, fmt.Errorf("line %d: %w", line, err)
		case out == Duplicate:
			res.Duplicate++
		case out == Disabled:
			return res, fmt.Errorf("metrics are disabled (BOT_METRICS_ENABLED=false): nothing imported")
		default:
			res.Recorded++
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return res, fmt.Errorf("line %d: longer than %d bytes", line+1, maxLine)
		}
		return res, fmt.Errorf("read events: %w", err)
	}
	return res, nil
}

// PeekFirstTime finds the time of the first valid event in r and returns a
// reader that yields all of r again, lines already read included.
func PeekFirstTime(r io.Reader) (time.Time, io.Reader, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var seen bytes.Buffer
	for {
		line, err := br.ReadBytes('\n')
		seen.Write(line)
		if ev, perr := events.Parse(line); perr == nil {
			return ev.At, io.MultiReader(&seen, br), nil
		}
		if err == io.EOF {
			return time.Time{}, nil, fmt.Errorf("no valid event in the input")
		}
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("read events: %w", err)
		}
		if seen.Len() > maxLine {
			return time.Time{}, nil, fmt.Errorf("no valid event in the first %d bytes", maxLine)
		}
	}
}
