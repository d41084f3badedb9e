package main

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exitWith returns the error a process exiting with code gives.
func exitWith(t *testing.T, script string) error {
	t.Helper()
	err := exec.Command("/bin/sh", "-c", script).Run()
	if err == nil {
		t.Fatalf("%q succeeded", script)
	}
	return err
}

func TestRunResponse(t *testing.T) {
	if r := runResponse(nil); r.Error != "" || r.Bail {
		t.Fatalf("success: %v", r)
	}
	// The SDK already showed the user what went wrong: the engine must stop quietly.
	if r := runResponse(exitWith(t, "exit 32")); r.Error != "" || !r.Bail {
		t.Fatalf("exit 32: %v", r)
	}
	if r := runResponse(exitWith(t, "exit 1")); r.Bail || r.Error != "Program exited with non-zero exit code: 1" {
		t.Fatalf("exit 1: %v", r)
	}
	if r := runResponse(exitWith(t, "kill -KILL $$")); r.Bail || !strings.Contains(r.Error, "Program was stopped") {
		t.Fatalf("killed: %v", r)
	}
	if r := runResponse(errors.New("fork failed")); !strings.Contains(r.Error, "could not run node: fork failed") {
		t.Fatalf("start failure: %v", r)
	}
}

func TestResolveModuleUsesTheProgramsOwnSDK(t *testing.T) {
	node, err := findNode()
	if err != nil {
		t.Skip("node is not installed:", err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "node_modules/@pulumi/pulumi/package.json", `{"name":"@pulumi/pulumi","version":"3.248.0"}`)
	writeFile(t, dir, "node_modules/@pulumi/pulumi/cmd/run/index.js", "")
	writeFile(t, dir, "src/app/.keep", "")
	// Resolution walks up from a subdirectory, as require() in the program does.
	got, err := resolveModule(context.Background(), node, filepath.Join(dir, "src/app"), runScript)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "node_modules/@pulumi/pulumi/cmd/run/index.js"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	_, err = resolveModule(context.Background(), node, dir, policyPackScript)
	if err == nil || !strings.Contains(err.Error(), "run `npm install` in "+dir) {
		t.Fatalf("missing module: error = %v", err)
	}
}
