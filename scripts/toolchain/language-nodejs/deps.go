package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// InstallDependencies runs the project's package manager (`pulumi install`, and installs of
// plugins and policy packs from source), streaming its output back to the engine. In an
// npm/yarn/pnpm workspace the install runs at the workspace root, where the lock file is.
// Node version managers (fnm) are not driven: the node on PATH is used as it is.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return err
	}
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory() //nolint:staticcheck // engines without ProgramInfo send only this
	}
	root, err := npm.FindWorkspaceRoot(dir)
	if errors.Is(err, npm.ErrNotInWorkspace) {
		root, err = dir, nil
	}
	if err != nil {
		return fmt.Errorf("looking for a package-manager workspace above %s: %w", dir, err)
	}

	ctx, release := h.operation(server.Context())
	defer release()
	fmt.Fprintf(stdout, "Installing dependencies in %s...\n", root)
	pm, err := npm.Install(ctx, opts.packageManager, root, opts.production, stdout, stderr)
	if err != nil {
		return fmt.Errorf("%s install in %s failed: %w", pm, root, err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n")
	return closer.Close()
}

// GetProgramDependencies lists installed npm packages (`pulumi about`, update metadata).
func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return nil, err
	}
	dir := req.GetInfo().GetProgramDirectory()
	pm, err := npm.ResolvePackageManager(opts.packageManager, dir)
	if err != nil {
		return nil, err
	}
	pkgs, err := pm.ListPackages(ctx, dir, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("listing the npm packages of %s: %w", dir, err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// About describes the runtime for `pulumi about` and the metadata of each update. Versions
// that cannot be read are left out rather than failing the caller.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return nil, err
	}
	dir := req.GetInfo().GetProgramDirectory()
	node, err := findNode()
	if err != nil {
		return nil, err
	}
	meta := map[string]string{}
	if pm, err := npm.ResolvePackageManager(opts.packageManager, dir); err == nil {
		meta["packagemanager"] = pm.Name()
		if v, err := pm.Version(); err == nil {
			meta["packagemanagerVersion"] = v.String()
		}
	}
	// The TypeScript the program loads is the one node resolves from its directory.
	if v := nodeOutput(ctx, node, dir, "-p", "require('typescript/package.json').version"); v != "" {
		meta["typescriptVersion"] = v
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    nodeOutput(ctx, node, dir, "--version"),
		Metadata:   meta,
	}, nil
}

// nodeOutput runs node in dir and returns its trimmed stdout, or "" if it fails.
func nodeOutput(ctx context.Context, node, dir string, args ...string) string {
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
