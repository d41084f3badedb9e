package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func runRequest() *pulumirpc.RunRequest {
	return &pulumirpc.RunRequest{
		MonitorAddress:   "127.0.0.1:5001",
		Project:          "kubelab",
		Stack:            "dev",
		Organization:     "organization",
		DryRun:           true,
		Parallel:         8,
		Args:             []string{"extra"},
		Config:           map[string]string{"kubelab:nodes": `{"provider":"static"}`, "kubernetes:context": "lab"},
		ConfigSecretKeys: []string{"kubelab:sshPrivateKey"},
		Info: &pulumirpc.ProgramInfo{
			RootDirectory: "/src/kubelab", ProgramDirectory: "/src/kubelab", EntryPoint: ".",
		},
	}
}

func TestRunArgsMatchTheSDKRunScript(t *testing.T) {
	opts := nodeOptions{nodeargs: []string{"--max-old-space-size=4096"}}
	got := runArgs(runRequest(), opts, "/src/kubelab/node_modules/@pulumi/pulumi/cmd/run/index.js",
		"127.0.0.1:5000", "")
	want := []string{
		"--max-old-space-size=4096", // node's own options come before the script
		"/src/kubelab/node_modules/@pulumi/pulumi/cmd/run/index.js",
		"--monitor", "127.0.0.1:5001", "--engine", "127.0.0.1:5000",
		"--organization", "organization", "--project", "kubelab",
		"--root-directory", "/src/kubelab", "--stack", "dev", "--pwd", "/src/kubelab",
		"--dry-run", "--parallel", "8", ".", "extra",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestRunArgsUpdateWithTracingAndDefaultEntry(t *testing.T) {
	req := runRequest()
	req.DryRun = false
	req.Organization = ""
	req.Args = nil
	req.Info.EntryPoint = ""
	got := runArgs(req, nodeOptions{}, "run.js", "e:1", "file:/tmp/trace")
	if slices.Contains(got, "--dry-run") || slices.Contains(got, "--organization") {
		t.Fatalf("an update must not pass --dry-run or an empty organization: %q", got)
	}
	tail := got[len(got)-3:]
	if !reflect.DeepEqual(tail, []string{"--tracing", "file:/tmp/trace", "."}) {
		t.Fatalf("tail = %q", tail)
	}
}

func envValue(t *testing.T, env []string, key string) string {
	t.Helper()
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	t.Fatalf("%s not set in %q", key, env)
	return ""
}

func TestRunEnvCarriesConfigAndTypeScript(t *testing.T) {
	env, err := runEnv([]string{"PATH=/bin"}, runRequest(), nodeOptions{typescript: true, tsconfig: "tsconfig.pulumi.json"})
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]string
	if err := json.Unmarshal([]byte(envValue(t, env, "PULUMI_CONFIG")), &cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"kubelab:config:nodes":      `{"provider":"static"}`,
		"kubernetes:config:context": "lab",
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("PULUMI_CONFIG = %v, want %v", cfg, want)
	}
	if got := envValue(t, env, "PULUMI_CONFIG_SECRET_KEYS"); got != `["kubelab:sshPrivateKey"]` {
		t.Fatalf("secret keys = %s", got)
	}
	if envValue(t, env, "PULUMI_NODEJS_TYPESCRIPT") != "true" ||
		envValue(t, env, "PULUMI_NODEJS_TSCONFIG_PATH") != "tsconfig.pulumi.json" || envValue(t, env, "PATH") != "/bin" {
		t.Fatalf("env = %q", env)
	}
}

func TestRunEnvEmptyConfigAndJavaScript(t *testing.T) {
	env, err := runEnv(nil, &pulumirpc.RunRequest{}, nodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK parses both variables as JSON, so "nothing" must still be valid JSON.
	if envValue(t, env, "PULUMI_CONFIG") != "{}" || envValue(t, env, "PULUMI_CONFIG_SECRET_KEYS") != "[]" {
		t.Fatalf("env = %q", env)
	}
	if len(env) != 2 {
		t.Fatalf("a JavaScript program gets no TypeScript switches: %q", env)
	}
}

func TestConfigJSONKeyForms(t *testing.T) {
	// A key already in the old form is not doubled.
	got, err := configJSON(map[string]string{"kubelab:config:app": "{}"})
	if err != nil || got != `{"kubelab:config:app":"{}"}` {
		t.Fatalf("got %s, %v", got, err)
	}
	_, err = configJSON(map[string]string{"nonamespace": "x"})
	if err == nil || !strings.Contains(err.Error(), `"nonamespace"`) {
		t.Fatalf("error = %v", err)
	}
}

func TestPluginArgsPolicyPackDirectoryGoesLast(t *testing.T) {
	opts := nodeOptions{nodeargs: []string{"--inspect"}}
	engineArgs := []string{"--tracing", "t", "127.0.0.1:9"}
	got := pluginArgs(opts, "run-policy-pack.js", "/p", engineArgs, true)
	want := []string{"--inspect", "run-policy-pack.js", "--tracing", "t", "127.0.0.1:9", "/p"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("analyzer: got %q, want %q", got, want)
	}
	got = pluginArgs(opts, "run-plugin.js", "/p", engineArgs, false)
	want = []string{"--inspect", "run-plugin.js", "/p", "--tracing", "t", "127.0.0.1:9"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plugin: got %q, want %q", got, want)
	}
}

func TestPolicyEnvFromStackConfiguration(t *testing.T) {
	env, err := policyEnv(nil)
	if err != nil || env != nil {
		t.Fatalf("no configuration must add nothing: %q %v", env, err)
	}
	env, err = policyEnv(&pulumirpc.AnalyzerStackConfigureRequest{
		Stack: "dev", Project: "kubelab", Organization: "org", DryRun: true,
		Config: map[string]string{"kubelab:app": "{}"}, ConfigSecretKeys: []string{"kubelab:app"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"PULUMI_NODEJS_ORGANIZATION=org", "PULUMI_NODEJS_PROJECT=kubelab", "PULUMI_NODEJS_STACK=dev",
		"PULUMI_NODEJS_DRY_RUN=true", `PULUMI_CONFIG={"kubelab:config:app":"{}"}`,
		`PULUMI_CONFIG_SECRET_KEYS=["kubelab:app"]`,
	}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("got  %q\nwant %q", env, want)
	}
}

func TestParseOptions(t *testing.T) {
	opts, err := parseOptions(nil)
	if err != nil || !opts.typescript || opts.packageManager != "auto" {
		t.Fatalf("defaults: %+v %v", opts, err)
	}
	s, err := structpb.NewStruct(map[string]any{
		"typescript": false, "tsconfig": "t.json", "nodeargs": `--title "a b"`,
		"packagemanager": "pnpm", "production": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts, err = parseOptions(s)
	if err != nil {
		t.Fatal(err)
	}
	if opts.typescript || opts.tsconfig != "t.json" || !reflect.DeepEqual(opts.nodeargs, []string{"--title", "a b"}) ||
		opts.packageManager != "pnpm" || !opts.production {
		t.Fatalf("got %+v", opts)
	}
}

func TestParseOptionsErrorsNameTheOption(t *testing.T) {
	for key, value := range map[string]any{
		"typescript": "yes", "tsconfig": 3.0, "packagemanager": "cargo", "nodeargs": `"unclosed`, "production": 1.0,
	} {
		s, err := structpb.NewStruct(map[string]any{key: value})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parseOptions(s); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("option %s=%v: error = %v, want it to name the option", key, value, err)
		}
	}
}
