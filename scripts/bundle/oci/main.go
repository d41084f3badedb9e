// Command oci-image assembles an image archive that `ctr images import` and `docker load` read, from
// layer tarballs and an image config, tagged with exactly one reference.
//
// Usage: oci-image SPEC.json, where SPEC is {"ref", "out", "layers": [tar...], "config": {...}}
// with config fields as in the OCI image config (Entrypoint, Cmd, Env, WorkingDir, User,
// ExposedPorts, Labels). Every timestamp is the Unix epoch, so the same inputs give the same archive.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type spec struct {
	Ref    string    `json:"ref"`
	Out    string    `json:"out"`
	Layers []string  `json:"layers"`
	Config v1.Config `json:"config"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: oci-image SPEC.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "oci-image: %v\n", err)
		os.Exit(1)
	}
}

func readSpec(path string) (*spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Ref == "" || s.Out == "" || len(s.Layers) == 0 {
		return nil, fmt.Errorf("%s: ref, out and at least one layer are required", path)
	}
	return &s, nil
}

func run(specPath string) error {
	s, err := readSpec(specPath)
	if err != nil {
		return err
	}
	// StrictValidation: the tag must be given, never defaulted to "latest".
	tag, err := name.NewTag(s.Ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("ref %q: %w", s.Ref, err)
	}
	img := empty.Image
	for _, path := range s.Layers {
		layer, err := tarball.LayerFromFile(path)
		if err != nil {
			return fmt.Errorf("layer %s: %w", path, err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "kubelab bundle"}}); err != nil {
			return err
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config = s.Config
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	if img, err = mutate.CreatedAt(img, v1.Time{Time: time.Unix(0, 0).UTC()}); err != nil {
		return err
	}
	return tarball.WriteToFile(s.Out, tag, img)
}
