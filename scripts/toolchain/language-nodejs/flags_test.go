package main

import (
	"strings"
	"testing"
)

func TestParseFlagsEngineCommandLine(t *testing.T) {
	// What plugin.buildPluginArguments produces with logging flowed and tracing on.
	f, err := parseFlags([]string{"--logtostderr", "-v=9", "--tracing", "file:/tmp/t.json", "127.0.0.1:4455"})
	if err != nil {
		t.Fatal(err)
	}
	want := hostFlags{engineAddress: "127.0.0.1:4455", tracing: "file:/tmp/t.json", runtime: "nodejs",
		verbose: 9, logToStderr: true}
	if f != want {
		t.Fatalf("got %+v, want %+v", f, want)
	}
}

func TestParseFlagsToleratesUnknownFlags(t *testing.T) {
	f, err := parseFlags([]string{"-root=/p", "--future-flag", "--other=x", "-tracing=zipkin", "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	if f.engineAddress != "127.0.0.1:1" || f.tracing != "zipkin" {
		t.Fatalf("got %+v", f)
	}
}

func TestParseFlagsEngineAddressIsLastPositional(t *testing.T) {
	// An unknown flag written with a separate value leaves that value as a positional;
	// the engine address still wins because the engine always passes it last.
	f, err := parseFlags([]string{"--unknown", "value", "127.0.0.1:2"})
	if err != nil {
		t.Fatal(err)
	}
	if f.engineAddress != "127.0.0.1:2" {
		t.Fatalf("engine address = %q", f.engineAddress)
	}
}

func TestParseFlagsNoEngineAndVersion(t *testing.T) {
	f, err := parseFlags([]string{"-version"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.showVersion || f.engineAddress != "" {
		t.Fatalf("got %+v", f)
	}
	f, err = parseFlags([]string{"--logtostderr=false", "--", "-not-a-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if f.logToStderr || f.engineAddress != "-not-a-flag" {
		t.Fatalf("got %+v", f)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for args, want := range map[string]string{
		"-v=lots":          "whole number",
		"--tracing":        "needs a value",
		"--logflow=maybe":  "true or false",
		"-runtime":         "needs a value",
		"--version=banana": "true or false",
	} {
		_, err := parseFlags(strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFlags(%q) error = %v, want it to mention %q", args, err, want)
		}
	}
}
