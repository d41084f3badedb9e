package server

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/gobwas/glob"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// collectAssets adds `assets` (for assetPaths) and `archive` (for archivePaths) to out: the files
// under dir matching the globs, keyed by their path relative to dir.
func collectAssets(out resource.PropertyMap, dir string, assetPaths, archivePaths []string) error {
	if assetPaths == nil && archivePaths == nil {
		return nil
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		dir = wd
	}
	if assetPaths != nil {
		assets, err := globAssets(dir, assetPaths, "assetPaths")
		if err != nil {
			return err
		}
		m := resource.PropertyMap{}
		for p, a := range assets {
			m[resource.PropertyKey(p)] = resource.NewProperty(a)
		}
		out["assets"] = resource.NewProperty(m)
	}
	if archivePaths != nil {
		assets, err := globAssets(dir, archivePaths, "archivePaths")
		if err != nil {
			return err
		}
		members := map[string]any{}
		for p, a := range assets {
			members[p] = a
		}
		archive, err := resource.NewAssetArchive(members)
		if err != nil {
			return fmt.Errorf("archivePaths: %w", err)
		}
		out["archive"] = resource.NewProperty(archive)
	}
	return nil
}

// globAssets walks dir and keeps the files matched by the globs, in order: a glob starting with
// "!" removes what earlier globs added. `*` stops at "/", `**` does not.
func globAssets(dir string, globs []string, what string) (map[string]*resource.Asset, error) {
	type rule struct {
		g       glob.Glob
		exclude bool
	}
	rules := make([]rule, len(globs))
	for i, g := range globs {
		exclude := strings.HasPrefix(g, "!")
		compiled, err := glob.Compile(strings.TrimPrefix(g, "!"), '/')
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: invalid glob %q: %w", what, i, g, err)
		}
		rules[i] = rule{compiled, exclude}
	}
	assets := map[string]*resource.Asset{}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, r := range rules {
			switch {
			case !r.g.Match(p):
			case r.exclude:
				delete(assets, p)
			default:
				a, err := resource.NewPathAsset(path.Join(dir, p))
				if err != nil {
					return err
				}
				assets[p] = a
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return assets, nil
}
