package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// RunRemote runs req.Command as is (no wrapping) in a new session of client. Environment
// variables travel as SSH "env" requests, which sshd honours only for names its AcceptEnv allows:
// a refused `environment` entry fails the run, a refused previous-output variable only warns.
// When ctx ends, the command is sent SIGKILL and the connection is closed.
func RunRemote(ctx context.Context, client *ssh.Client, req Request) (stdout, stderr string, err error) {
	session, err := client.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("opening an SSH session: %w", err)
	}
	defer func() { _ = session.Close() }()
	if err := setenv(session, req); err != nil {
		return "", "", err
	}
	if req.Stdin != "" {
		session.Stdin = strings.NewReader(req.Stdin)
	}
	capture := NewCapture(req.Logging, req.Log)
	session.Stdout, session.Stderr = capture.Stdout(), capture.Stderr()

	done := make(chan error, 1)
	go func() { done <- session.Run(req.Command) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = session.Signal(ssh.SIGKILL)
		_ = client.Close()
		err = fmt.Errorf("%w (%v)", ctx.Err(), <-done)
	}
	capture.Flush()
	if err != nil {
		return "", "", capture.Failure(err, req.Command)
	}
	stdout, stderr = capture.Result()
	return stdout, stderr, nil
}

func setenv(session *ssh.Session, req Request) error {
	keys := make([]string, 0, len(req.Environment))
	for k := range req.Environment {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := session.Setenv(k, req.Environment[k]); err != nil {
			return fmt.Errorf("environment: could not set %q (%v): %s", k, err, acceptEnvHint)
		}
	}
	prev := [][2]string{{EnvStdout, req.PrevStdout}, {EnvStderr, req.PrevStderr}}
	for _, kv := range prev {
		if kv[1] == "" {
			continue
		}
		if err := session.Setenv(kv[0], kv[1]); err != nil && req.Warn != nil {
			req.Warn(fmt.Sprintf("could not set %s (%v): %s", kv[0], err, acceptEnvHint))
		}
	}
	return nil
}

const acceptEnvHint = "the SSH server accepts only the variables its AcceptEnv setting lists; " +
	"alternatively prefix the command with VAR=value"
