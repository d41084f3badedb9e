package runner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Each stream keeps its own unfinished line: a line is logged when it is complete.
func TestCaptureLogsCompleteLinesOfTheChosenStreams(t *testing.T) {
	for _, tc := range []struct {
		logging Logging
		want    []string
	}{
		{"", []string{"err 1", "out 1", "out 2", "tail"}},
		{LogStdoutAndStderr, []string{"err 1", "out 1", "out 2", "tail"}},
		{LogStdout, []string{"out 1", "out 2", "tail"}},
		{LogStderr, []string{"err 1"}},
		{LogNone, nil},
	} {
		var lines []string
		c := NewCapture(tc.logging, func(l string) { lines = append(lines, l) })
		fmt.Fprint(c.Stdout(), "out ")
		fmt.Fprint(c.Stderr(), "err 1\r\n")
		fmt.Fprint(c.Stdout(), "1\nout 2\ntail")
		c.Flush()
		if strings.Join(lines, "|") != strings.Join(tc.want, "|") {
			t.Errorf("logging %q: lines = %q, want %q", tc.logging, lines, tc.want)
		}
		stdout, stderr := c.Result()
		if stdout != "out 1\nout 2\ntail" || stderr != "err 1\r" {
			t.Errorf("logging %q: result = %q, %q", tc.logging, stdout, stderr)
		}
	}
}

func TestResultTrimsOneTrailingNewline(t *testing.T) {
	c := NewCapture(LogNone, nil)
	fmt.Fprint(c.Stdout(), "a\n\n")
	fmt.Fprint(c.Stderr(), "\n")
	if stdout, stderr := c.Result(); stdout != "a\n" || stderr != "" {
		t.Errorf("result = %q, %q", stdout, stderr)
	}
}

func TestLongLinesAreLoggedInPieces(t *testing.T) {
	var lines []string
	c := NewCapture("", func(l string) { lines = append(lines, l) })
	fmt.Fprint(c.Stdout(), strings.Repeat("x", lineLimit+10)+"\n")
	if len(lines) != 2 || len(lines[0]) != lineLimit || len(lines[1]) != 10 {
		t.Errorf("got %d pieces", len(lines))
	}
}

func TestFailureQuotesStatusCommandAndLoggedOutputTail(t *testing.T) {
	c := NewCapture(LogStderr, nil)
	fmt.Fprint(c.Stdout(), "token-in-stdout\n")
	fmt.Fprint(c.Stderr(), strings.Repeat("e", tailLimit)+"last words\n")
	err := c.Failure(errors.New("exit status 3"), "kubeadm init")
	msg := err.Error()
	if !strings.HasPrefix(msg, "exit status 3: running \"kubeadm init\":\n[... 11 earlier bytes of output omitted ...]\n") {
		t.Errorf("message starts %q", msg[:120])
	}
	if !strings.HasSuffix(msg, "last words\n") || strings.Contains(msg, "token-in-stdout") {
		t.Errorf("message tail wrong or quotes an unlogged stream")
	}
	none := NewCapture(LogNone, nil)
	fmt.Fprint(none.Stdout(), "secret\n")
	if msg := none.Failure(errors.New("exit status 1"), "x").Error(); strings.Contains(msg, "secret") {
		t.Errorf("logging none: %q", msg)
	}
}
