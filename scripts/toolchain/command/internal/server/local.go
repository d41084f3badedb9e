package server

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/props"
	"kubelab.local/toolchain/command/internal/runner"
)

// localExecutor runs commands on this machine, with `interpreter` in `dir`.
type localExecutor struct{}

func (localExecutor) run(ctx context.Context, _ logger, req runner.Request, in resource.PropertyMap, collect bool,
) (resource.PropertyMap, error) {
	dir := props.StrOr(in, "dir", "")
	stdout, stderr, err := runner.RunLocal(ctx, req, props.Strings(in, "interpreter"), dir)
	if err != nil {
		return nil, err
	}
	out := resource.PropertyMap{"stdout": resource.NewProperty(stdout), "stderr": resource.NewProperty(stderr)}
	if !collect {
		return out, nil
	}
	if err := collectAssets(out, dir, props.Strings(in, "assetPaths"), props.Strings(in, "archivePaths")); err != nil {
		return nil, err
	}
	return out, nil
}

func (localExecutor) previewOutputs(in resource.PropertyMap) []resource.PropertyKey {
	keys := []resource.PropertyKey{"stdout", "stderr"}
	if _, ok := in["assetPaths"]; ok {
		keys = append(keys, "assets")
	}
	if _, ok := in["archivePaths"]; ok {
		keys = append(keys, "archive")
	}
	return keys
}
