package main

import (
	"fmt"

	"github.com/google/shlex"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
)

// nodeOptions are the Pulumi.yaml `runtime.options` the Node.js runtime understands.
type nodeOptions struct {
	typescript     bool     // run .ts sources through ts-node (the SDK's default is on)
	tsconfig       string   // tsconfig.json the SDK hands to ts-node instead of the default
	nodeargs       []string // extra node arguments, written as one shell-style string
	packageManager npm.PackageManagerType
	production     bool // install without devDependencies
}

// parseOptions reads runtime.options; a value of the wrong type is an error naming the key,
// since a silently ignored option would run the program differently than written.
func parseOptions(s *structpb.Struct) (nodeOptions, error) {
	opts := nodeOptions{typescript: true, packageManager: npm.AutoPackageManager}
	m := s.AsMap() // a nil Struct gives an empty map
	var err error
	if opts.typescript, err = boolOption(m, "typescript", true); err != nil {
		return opts, err
	}
	if opts.production, err = boolOption(m, "production", false); err != nil {
		return opts, err
	}
	if opts.tsconfig, err = stringOption(m, "tsconfig"); err != nil {
		return opts, err
	}
	args, err := stringOption(m, "nodeargs")
	if err != nil {
		return opts, err
	}
	if opts.nodeargs, err = shlex.Split(args); err != nil {
		return opts, fmt.Errorf("runtime option nodeargs %q: %w; quote it like a shell command line", args, err)
	}
	pm, err := stringOption(m, "packagemanager")
	if err != nil {
		return opts, err
	}
	switch npm.PackageManagerType(pm) {
	case "":
	case npm.AutoPackageManager, npm.NpmPackageManager, npm.YarnPackageManager,
		npm.PnpmPackageManager, npm.BunPackageManager:
		opts.packageManager = npm.PackageManagerType(pm)
	default:
		return opts, fmt.Errorf("runtime option packagemanager %q: use auto, npm, yarn, pnpm or bun", pm)
	}
	return opts, nil
}

func boolOption(m map[string]any, key string, def bool) (bool, error) {
	v, ok := m[key]
	if !ok {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return def, fmt.Errorf("runtime option %s must be true or false, got %v (set runtime.options.%s in Pulumi.yaml)",
			key, v, key)
	}
	return b, nil
}

func stringOption(m map[string]any, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("runtime option %s must be a string, got %v (set runtime.options.%s in Pulumi.yaml)",
			key, v, key)
	}
	return s, nil
}
