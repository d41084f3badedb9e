package server

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/props"
	"kubelab.local/toolchain/command/internal/runner"
	"kubelab.local/toolchain/command/internal/sshconn"
)

// remoteExecutor runs commands on the host of the `connection` input.
type remoteExecutor struct{}

func (remoteExecutor) run(ctx context.Context, l logger, req runner.Request, in resource.PropertyMap, _ bool,
) (resource.PropertyMap, error) {
	client, err := sshconn.Dial(ctx, sshconn.FromProps(props.Object(in, "connection")), l.status)
	if err != nil {
		return nil, err
	}
	defer func() { _ = client.Close() }()
	stdout, stderr, err := runner.RunRemote(ctx, client, req)
	if err != nil {
		return nil, err
	}
	return resource.PropertyMap{"stdout": resource.NewProperty(stdout), "stderr": resource.NewProperty(stderr)}, nil
}

func (remoteExecutor) previewOutputs(resource.PropertyMap) []resource.PropertyKey {
	return []resource.PropertyKey{"stdout", "stderr"}
}
