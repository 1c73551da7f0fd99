package events

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

type line struct {
	n    int
	text string
	err  error
}

func readAll(t *testing.T, r io.Reader) []line {
	t.Helper()
	lr := NewReader(r)
	var out []line
	for {
		n, b, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil && !errors.Is(err, ErrLineTooLong) {
			t.Fatal(err)
		}
		out = append(out, line{n, string(b), err})
	}
}

func TestReaderLinesBOMAndLimit(t *testing.T) {
	justFits := strings.Repeat("x", MaxLine-1)
	in := "\xEF\xBB\xBF{\"a\":1}\r\n\n" + strings.Repeat("y", MaxLine) + "\n" + justFits + "\n" + strings.Repeat("z", 3*MaxLine+7) + "\nlast"
	got := readAll(t, strings.NewReader(in))
	want := []line{
		{1, "{\"a\":1}\r", nil}, // the byte-order mark is dropped; JSON ignores the \r
		{2, "", nil},
		{3, "", ErrLineTooLong},
		{4, justFits, nil},
		{5, "", ErrLineTooLong},
		{6, "last", nil}, // no final newline
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got (%d, %.20q, %v), want (%d, %.20q, %v)", i+1, got[i].n, got[i].text, got[i].err, want[i].n, want[i].text, want[i].err)
		}
	}
}

func TestReaderBOMOnlyAtStart(t *testing.T) {
	got := readAll(t, strings.NewReader("a\n\xEF\xBB\xBFb\n"))
	if len(got) != 2 || got[1].text != "\xEF\xBB\xBFb" {
		t.Fatalf("%+v", got)
	}
}

// endless yields n bytes of 'x' without holding them.
type endless struct{ n int }

var xs = bytes.Repeat([]byte{'x'}, 64<<10)

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := 0; i < k; i += copy(p[i:k], xs) {
	}
	e.n -= k
	return k, nil
}

// A 100 MB line is skipped in bounded memory: what the reader allocates
// stays near one line's limit, not the line's size.
func TestReaderSkipsHugeLineInBoundedMemory(t *testing.T) {
	const size = 100 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	lr := NewReader(io.MultiReader(&endless{size}, strings.NewReader("\nok\n")))
	if n, _, err := lr.Next(); n != 1 || !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("line %d, err %v", n, err)
	}
	n, b, err := lr.Next()
	runtime.ReadMemStats(&after)
	if n != 2 || string(b) != "ok" || err != nil {
		t.Fatalf("after the long line: %d %q %v", n, b, err)
	}
	// The reader holds at most its 64 KiB buffer and one line below
	// MaxLine (with append's growth).
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8*MaxLine {
		t.Fatalf("allocated %d bytes to skip a %d-byte line", grew, size)
	}
}
