package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Env names of the previous outputs passed to update and delete.
const (
	EnvStdout = "PULUMI_COMMAND_STDOUT"
	EnvStderr = "PULUMI_COMMAND_STDERR"
)

// Request is one run of a command.
type Request struct {
	Command     string
	Stdin       string
	Environment map[string]string
	// Previous outputs, passed as PULUMI_COMMAND_STDOUT/STDERR when not empty.
	PrevStdout, PrevStderr string
	Logging                Logging
	// Log receives the logged lines; Warn receives warnings about the run itself.
	Log, Warn func(string)
}

// DefaultInterpreter runs the command text with the POSIX shell.
var DefaultInterpreter = []string{"/bin/sh", "-c"}

// RunLocal runs req with the interpreter in dir (the working directory if empty). When ctx ends
// the command's whole process group is killed.
func RunLocal(ctx context.Context, req Request, interpreter []string, dir string) (stdout, stderr string, err error) {
	if len(interpreter) == 0 {
		interpreter = DefaultInterpreter
	}
	args := append(append([]string{}, interpreter[1:]...), req.Command)
	cmd := exec.CommandContext(ctx, interpreter[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envList(req)...)
	if req.Stdin != "" {
		cmd.Stdin = strings.NewReader(req.Stdin)
	}
	capture := NewCapture(req.Logging, req.Log)
	cmd.Stdout, cmd.Stderr = capture.Stdout(), capture.Stderr()
	// Its own process group, so that cancelling also stops what the shell started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	capture.Flush()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return "", "", capture.Failure(err, req.Command)
	}
	stdout, stderr = capture.Result()
	return stdout, stderr, nil
}

func envList(req Request) []string {
	var env []string
	for k, v := range req.Environment {
		env = append(env, k+"="+v)
	}
	if req.PrevStdout != "" {
		env = append(env, EnvStdout+"="+req.PrevStdout)
	}
	if req.PrevStderr != "" {
		env = append(env, EnvStderr+"="+req.PrevStderr)
	}
	return env
}
