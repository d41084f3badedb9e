package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// GetRequiredPackages lists the provider plugins the program's npm packages announce, so the
// engine can load (or report missing) exactly those plugin versions before the program runs.
// A package.json that cannot be read does not fail the run: it is logged and skipped.
func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := discoverPackages(req.GetInfo().GetProgramDirectory())
	if err != nil {
		logging.V(3).Infof("problems while discovering plugins: %v", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, still answered for engines
// that ask it; the discovery is the same.
func (h *host) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd() //nolint:staticcheck // engines without ProgramInfo send only pwd
	}
	pkgs, err := discoverPackages(dir)
	if err != nil {
		logging.V(3).Infof("problems while discovering plugins: %v", err)
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// packageJSON is the part of a package.json that announces a provider plugin, e.g.
// "pulumi": {"resource": true, "name": "kubernetes", "version": "4.25.0"}.
type packageJSON struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

// discoverPackages walks dir, reading every package.json inside node_modules trees, and
// returns the announced plugins sorted by name and without duplicates (npm may install the
// same package at several depths). Errors for single files are joined and returned with
// whatever was found.
func discoverPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	if dir == "" {
		return nil, errors.New("no program directory given")
	}
	w := &packageWalker{visited: map[string]bool{}, found: map[string]*pulumirpc.PackageDependency{}}
	w.walk(dir, false)
	keys := make([]string, 0, len(w.found))
	for k := range w.found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pkgs := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, k := range keys {
		pkgs = append(pkgs, w.found[k])
	}
	return pkgs, errors.Join(w.errs...)
}

type packageWalker struct {
	// visited holds the real paths already walked, so symlink cycles end. The key includes
	// whether the walk was inside node_modules: a workspace package linked into node_modules
	// is seen first at its own place (where it is not a dependency), then again as one.
	visited map[string]bool
	found   map[string]*pulumirpc.PackageDependency
	errs    []error
}

func (w *packageWalker) walk(dir string, inNodeModules bool) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	key := fmt.Sprintf("%t %s", inNodeModules, real)
	if w.visited[key] {
		return
	}
	w.visited[key] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 { // npm links and workspaces are symlinks
			fi, err := os.Stat(path)
			if err != nil {
				w.errs = append(w.errs, err)
				continue
			}
			isDir = fi.IsDir()
		}
		switch {
		case isDir && !w.skipDir(path, e.Name()):
			w.walk(path, inNodeModules || e.Name() == "node_modules")
		case !isDir && inNodeModules && e.Name() == "package.json":
			w.read(path)
		}
	}
}

// skipDir leaves out .git and nested policy packs: a policy pack's plugins are the pack's
// dependencies, not the program's.
func (w *packageWalker) skipDir(path, name string) bool {
	if name == ".git" {
		return true
	}
	pack, err := workspace.DetectPolicyPackPathAt(path)
	if err != nil {
		w.errs = append(w.errs, err)
		return true
	}
	return pack != ""
}

func (w *packageWalker) read(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	var info packageJSON
	if err := json.Unmarshal(b, &info); err != nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", path, err))
		return
	}
	dep, err := pluginOf(info)
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", path, err))
		return
	}
	if dep != nil {
		w.found[packageKey(dep)] = dep
	}
}

// packageKey identifies a package for de-duplication; parameterized packages share their
// plugin's name and version, so the parameterization is part of the key.
func packageKey(dep *pulumirpc.PackageDependency) string {
	key := dep.Name + "@" + dep.Version + " " + dep.Server
	for _, p := range []*pulumirpc.PackageParameterization{dep.Parameterization, dep.Extension} {
		if p != nil {
			key += " " + p.Name + "@" + p.Version
		}
	}
	return key
}

// pluginOf returns the plugin a package announces, or nil when it announces none.
// The plugin name defaults to the package name without its @pulumi/ scope and the version
// to the package version; the engine expects versions with a leading "v".
func pluginOf(info packageJSON) (*pulumirpc.PackageDependency, error) {
	if !info.Pulumi.Resource {
		return nil, nil
	}
	name := info.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(info.Name, "@pulumi/") {
			return nil, fmt.Errorf(`package %q announces a plugin without "pulumi": {"name": ...}`, info.Name)
		}
		name = strings.TrimPrefix(info.Name, "@pulumi/")
	}
	version := info.Pulumi.Version
	if version == "" {
		version = info.Version
	}
	if version == "" {
		return nil, fmt.Errorf("package %q announces plugin %q without a version", info.Name, name)
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	dep := &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: version, Server: info.Pulumi.Server}
	if p := info.Pulumi.Parameterization; p != nil {
		dep.Parameterization = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	if p := info.Pulumi.ExtensionParameterization; p != nil {
		dep.Extension = &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
	}
	return dep, nil
}
