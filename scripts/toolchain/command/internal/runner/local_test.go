package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunLocalPassesStdinEnvironmentAndDir(t *testing.T) {
	dir := t.TempDir()
	req := Request{
		Command:     `cat; echo "$GREETING"; echo "prev=$PULUMI_COMMAND_STDOUT"; pwd; echo oops >&2`,
		Stdin:       "from stdin\n",
		Environment: map[string]string{"GREETING": "hello"},
		PrevStdout:  "before",
	}
	stdout, stderr, err := RunLocal(context.Background(), req, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "from stdin\nhello\nprev=before\n" + dir
	if stdout != want || stderr != "oops" {
		t.Errorf("stdout = %q, stderr = %q", stdout, stderr)
	}
}

func TestRunLocalInterpreter(t *testing.T) {
	stdout, _, err := RunLocal(context.Background(), Request{Command: "a b"}, []string{"/bin/echo", "-n"}, "")
	if err != nil || stdout != "a b" {
		t.Errorf("stdout = %q, err = %v", stdout, err)
	}
}

func TestRunLocalFailureCarriesExitStatusAndOutput(t *testing.T) {
	req := Request{Command: "echo progress; echo broken >&2; exit 7", Stdin: "s3cr3t-stdin"}
	_, _, err := RunLocal(context.Background(), req, nil, "")
	if err == nil {
		t.Fatal("a failing command succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `exit status 7: running "echo progress; echo broken >&2; exit 7":`) ||
		!strings.Contains(msg, "progress\n") || !strings.Contains(msg, "broken\n") {
		t.Errorf("error = %q", msg)
	}
	if strings.Contains(msg, "s3cr3t-stdin") {
		t.Error("the error quotes stdin")
	}
}

func TestRunLocalCancelKillsTheProcessGroup(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "started")
	ctx, cancel := context.WithCancel(context.Background())
	req := Request{
		Command: "sleep 300 & echo started > " + marker + "; wait",
		Log:     func(string) {},
	}
	done := make(chan error, 1)
	go func() { _, _, err := RunLocal(ctx, req, nil, ""); done <- err }()
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the command ended early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
