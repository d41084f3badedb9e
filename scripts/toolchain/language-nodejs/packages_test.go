package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// writeFile creates path (and its directories) below root with the given content.
func writeFile(t *testing.T, root, path, content string) {
	t.Helper()
	full := filepath.Join(root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func summary(pkgs []*pulumirpc.PackageDependency) string {
	var parts []string
	for _, p := range pkgs {
		s := p.Kind + ":" + p.Name + "@" + p.Version
		if p.Server != "" {
			s += "<" + p.Server + ">"
		}
		if p.Parameterization != nil {
			s += "(" + p.Parameterization.Name + "@" + p.Parameterization.Version + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestDiscoverPackagesFindsAnnouncedPlugins(t *testing.T) {
	dir := t.TempDir()
	// The real announcements of kubelab's provider SDKs.
	writeFile(t, dir, "node_modules/@pulumi/command/package.json",
		`{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true,"name":"command","version":"1.2.1"}}`)
	writeFile(t, dir, "node_modules/@pulumi/kubernetes/package.json",
		`{"name":"@pulumi/kubernetes","version":"4.25.0","pulumi":{"resource":true,"name":"kubernetes","version":"4.25.0"}}`)
	// A nested copy of the same version is reported once.
	writeFile(t, dir, "node_modules/x/node_modules/@pulumi/command/package.json",
		`{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true}}`)
	// Name and version derived from the package, with a download server kept as given.
	writeFile(t, dir, "node_modules/@pulumi/random/package.json",
		`{"name":"@pulumi/random","version":"v4.1.0","pulumi":{"resource":true,"server":"https://example.test"}}`)
	// No plugin: the SDK itself (its "pulumi" has only a comment), and resource=false.
	writeFile(t, dir, "node_modules/@pulumi/pulumi/package.json",
		`{"name":"@pulumi/pulumi","version":"3.248.0","pulumi":{"comment":"Do not remove."}}`)
	writeFile(t, dir, "node_modules/plain/package.json", `{"name":"plain","version":"1.0.0"}`)
	writeFile(t, dir, "node_modules/off/package.json", `{"name":"@pulumi/off","pulumi":{"resource":false}}`)
	// Outside node_modules a package.json is the project's own, not a dependency.
	writeFile(t, dir, "package.json", `{"name":"@pulumi/self","version":"1.0.0","pulumi":{"resource":true}}`)
	// A nested policy pack's dependencies are the pack's, not the program's.
	writeFile(t, dir, "policy/pack/PulumiPolicy.yaml", "runtime: nodejs\n")
	writeFile(t, dir, "policy/pack/node_modules/@pulumi/aws/package.json",
		`{"name":"@pulumi/aws","version":"7.0.0","pulumi":{"resource":true}}`)

	pkgs, err := discoverPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := summary(pkgs)
	want := "resource:command@v1.2.1 resource:kubernetes@v4.25.0 resource:random@v4.1.0<https://example.test>"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestDiscoverPackagesReportsBadFilesAndKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "node_modules/broken/package.json", `{"name":`)
	writeFile(t, dir, "node_modules/third/package.json",
		`{"name":"third-party","version":"1.0.0","pulumi":{"resource":true}}`)
	writeFile(t, dir, "node_modules/@pulumi/command/package.json",
		`{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true}}`)
	pkgs, err := discoverPackages(dir)
	if got := summary(pkgs); got != "resource:command@v1.2.1" {
		t.Fatalf("got %s", got)
	}
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "third-party") {
		t.Fatalf("error should name both bad packages, got %v", err)
	}
}

func TestDiscoverPackagesFollowsSymlinksWithoutLooping(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "libs/cmd/package.json",
		`{"name":"@pulumi/command","version":"1.2.1","pulumi":{"resource":true}}`)
	if err := os.MkdirAll(filepath.Join(dir, "node_modules/@pulumi"), 0o755); err != nil {
		t.Fatal(err)
	}
	// npm workspaces link packages into node_modules; a link back up must not loop.
	if err := os.Symlink(filepath.Join(dir, "libs/cmd"), filepath.Join(dir, "node_modules/@pulumi/command")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "node_modules/loop")); err != nil {
		t.Fatal(err)
	}
	pkgs, err := discoverPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(pkgs); got != "resource:command@v1.2.1" {
		t.Fatalf("got %s", got)
	}
}

func TestPluginOfParameterizedPackages(t *testing.T) {
	info := packageJSON{Name: "@pulumi/a", Version: "1.0.0"}
	info.Pulumi.Resource = true
	info.Pulumi.Name = "terraform-provider"
	info.Pulumi.Version = "0.10.0"
	info.Pulumi.Parameterization = &plugin.PulumiParameterizationJSON{Name: "aws", Version: "5.0.0", Value: []byte("x")}
	dep, err := pluginOf(info)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary([]*pulumirpc.PackageDependency{dep}); got != "resource:terraform-provider@v0.10.0(aws@5.0.0)" {
		t.Fatalf("got %s", got)
	}
	if string(dep.Parameterization.Value) != "x" {
		t.Fatalf("parameter value lost: %q", dep.Parameterization.Value)
	}
}

func TestPluginOfNeedsAVersion(t *testing.T) {
	info := packageJSON{Name: "@pulumi/nover"}
	info.Pulumi.Resource = true
	if _, err := pluginOf(info); err == nil || !strings.Contains(err.Error(), "without a version") {
		t.Fatalf("error = %v", err)
	}
}
