package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runArgs is the node command line for one program run: the node arguments from
// runtime.options, the SDK's run script, the flags that script parses with minimist
// (@pulumi/pulumi/cmd/run/index.js), the entry point, and the program's own arguments.
// The SDK talks to the engine's resource monitor directly: no proxy sits in between, and
// no --sync directory is passed because the 3.x SDK no longer makes synchronous invokes.
func runArgs(req *pulumirpc.RunRequest, opts nodeOptions, runScript, engine, tracing string) []string {
	args := append([]string{}, opts.nodeargs...)
	args = append(args, runScript)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engine)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", req.GetInfo().GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", req.GetInfo().GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	flag("tracing", tracing)
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "." // the program directory's package.json "main", or index
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// runEnv adds to base what the SDK reads from the environment instead of flags: the stack's
// configuration and the names of its secret keys as JSON, and the TypeScript switches.
func runEnv(base []string, req *pulumirpc.RunRequest, opts nodeOptions) ([]string, error) {
	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return nil, err
	}
	keys := req.GetConfigSecretKeys()
	if keys == nil {
		keys = []string{}
	}
	secretKeys, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	env := append(append([]string{}, base...), "PULUMI_CONFIG="+cfg, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	return append(env, typescriptEnv(opts)...), nil
}

// configJSON writes each "namespace:name" key in the older "namespace:config:name" form: every
// SDK version reads it (3.x strips the ":config:" again in runtime/config.js cleanKey), while
// SDKs before that cleanup read only this form. Secret keys are sent as the engine names them.
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", fmt.Errorf("config key %q from the engine: %w", k, err)
		}
		out[key.Namespace()+":config:"+key.Name()] = v
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// typescriptEnv switches the SDK's ts-node loader on and points it at a tsconfig.
func typescriptEnv(opts nodeOptions) []string {
	var env []string
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	return env
}

// pluginArgs is the node command line for a plugin written in Node.js. A policy pack is
// started by cmd/run-policy-pack, which expects "<engine address> <pack directory>", so the
// directory goes last; other plugins get the directory first, then the engine's arguments.
func pluginArgs(opts nodeOptions, script, dir string, engineArgs []string, analyzer bool) []string {
	args := append(append([]string{}, opts.nodeargs...), script)
	if analyzer {
		args = append(args, engineArgs...)
		return append(args, dir)
	}
	args = append(args, dir)
	return append(args, engineArgs...)
}
