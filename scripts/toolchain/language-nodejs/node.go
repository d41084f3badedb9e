package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// stopGrace is how long a node process has after SIGINT before it is killed; the SDK uses it
// to finish the gRPC calls it has in flight.
const stopGrace = 5 * time.Second

// findNode returns the node executable on PATH: programs run under the same node the user
// runs `npm install` with, so native modules and the SDK agree on the version.
func findNode() (string, error) {
	p, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("could not find node on $PATH (%w): install Node.js and start pulumi with node on its PATH", err)
	}
	return p, nil
}

// resolveModule asks node where mod resolves to from dir. The SDK scripts must be the copy
// the program itself loads (its node_modules), not any other, and require.resolve follows
// the same rules (parent directories, package "exports", symlinks) as the program will.
func resolveModule(ctx context.Context, node, dir, mod string) (string, error) {
	cmd := exec.CommandContext(ctx, node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", mod)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "MODULE_NOT_FOUND") || strings.Contains(msg, "Cannot find module") {
			return "", fmt.Errorf("could not find %s from %s: the Pulumi Node SDK is not installed there; "+
				"run `npm install` in %s", mod, dir, dir)
		}
		return "", fmt.Errorf("could not resolve %s from %s: %w: %s", mod, dir, err, lastLine(msg))
	}
	return strings.TrimSpace(string(out)), nil
}

// lastLine keeps error text short: node prints a stack before the message's summary line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// nodeCommand prepares node to run under ctx; when ctx ends (the engine cancelled the call,
// or sent Cancel) node gets SIGINT first and is killed only after stopGrace.
func nodeCommand(ctx context.Context, node string, args, env []string, dir string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = stopGrace
	return cmd
}

// exitCode returns the process exit code in err, or ok=false when err is not an exit
// (node never started, or its output could not be copied).
func exitCode(err error) (code int, ok bool) {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), true
	}
	return 0, false
}
