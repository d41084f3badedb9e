// Package runner runs a command locally or over SSH, capturing its output, streaming the chosen
// streams line by line to a log function, and describing failures.
package runner

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Logging says which streams are logged while the command runs (the `logging` input).
type Logging string

const (
	LogStdout          Logging = "stdout"
	LogStderr          Logging = "stderr"
	LogStdoutAndStderr Logging = "stdoutAndStderr"
	LogNone            Logging = "none"
)

// Stdout reports whether stdout is logged; unset means both streams.
func (l Logging) Stdout() bool { return l == "" || l == LogStdout || l == LogStdoutAndStderr }

// Stderr reports whether stderr is logged; unset means both streams.
func (l Logging) Stderr() bool { return l == "" || l == LogStderr || l == LogStdoutAndStderr }

const (
	// tailLimit bounds the output quoted in a failure's error.
	tailLimit = 32 << 10
	// lineLimit bounds one logged line; longer lines are logged in pieces.
	lineLimit = 16 << 10
)

// Capture collects a command's stdout and stderr, the interleaved tail of the logged streams
// for error messages, and sends complete logged lines to log as they arrive.
type Capture struct {
	logging Logging
	log     func(line string)

	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	tail           []byte
	dropped        int
	// The unfinished last line of each logged stream.
	partialOut, partialErr []byte
}

// NewCapture returns a Capture; log may be nil.
func NewCapture(logging Logging, log func(string)) *Capture {
	if log == nil {
		log = func(string) {}
	}
	return &Capture{logging: logging, log: log}
}

// Stdout is the writer for the command's standard output.
func (c *Capture) Stdout() io.Writer {
	return streamWriter{c, &c.stdout, &c.partialOut, c.logging.Stdout()}
}

// Stderr is the writer for the command's standard error.
func (c *Capture) Stderr() io.Writer {
	return streamWriter{c, &c.stderr, &c.partialErr, c.logging.Stderr()}
}

type streamWriter struct {
	c       *Capture
	buf     *bytes.Buffer
	partial *[]byte
	logged  bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.buf.Write(p)
	if w.logged {
		w.c.addTail(p)
		w.c.addLines(w.partial, p)
	}
	return len(p), nil
}

func (c *Capture) addTail(p []byte) {
	c.tail = append(c.tail, p...)
	if over := len(c.tail) - tailLimit; over > 0 {
		c.dropped += over
		c.tail = append(c.tail[:0:0], c.tail[over:]...)
	}
}

// addLines logs the complete lines of one stream, keeping its unfinished line in partial.
func (c *Capture) addLines(partial *[]byte, p []byte) {
	buf := append(*partial, p...)
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, '\n')
		if i >= 0 && i <= lineLimit {
			c.log(strings.TrimSuffix(string(buf[:i]), "\r"))
			buf = buf[i+1:]
		} else if len(buf) >= lineLimit {
			c.log(string(buf[:lineLimit]))
			buf = buf[lineLimit:]
		} else {
			break
		}
	}
	*partial = append([]byte(nil), buf...)
}

// Flush logs the last lines that had no newline. Call it once the command's streams are closed.
func (c *Capture) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, partial := range []*[]byte{&c.partialOut, &c.partialErr} {
		if len(*partial) > 0 {
			c.log(strings.TrimSuffix(string(*partial), "\r"))
			*partial = nil
		}
	}
}

// Result returns stdout and stderr, each without one trailing newline.
func (c *Capture) Result() (stdout, stderr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

// Failure describes a failed command: the error (its exit status), the command text, and the
// tail of the streams that `logging` lets through. The command's stdin is never included.
func (c *Capture) Failure(err error, command string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out string
	switch {
	case c.logging == LogNone:
		out = "(output not shown: logging is \"none\")"
	case c.dropped > 0:
		out = fmt.Sprintf("[... %d earlier bytes of output omitted ...]\n%s", c.dropped, c.tail)
	default:
		out = string(c.tail)
	}
	return fmt.Errorf("%w: running %q:\n%s", err, command, out)
}
