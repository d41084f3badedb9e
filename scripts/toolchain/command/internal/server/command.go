package server

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/props"
	"kubelab.local/toolchain/command/internal/runner"
	"kubelab.local/toolchain/command/internal/spec"
)

// executor runs one command of a Command resource with its plain inputs and returns the
// outputs to record (stdout, stderr and, locally, assets and archive).
type executor interface {
	run(ctx context.Context, l logger, req runner.Request, in resource.PropertyMap, collect bool) (resource.PropertyMap, error)
	// previewOutputs lists the outputs that are unknown until the command has run.
	previewOutputs(in resource.PropertyMap) []resource.PropertyKey
}

func executorFor(token string) executor {
	if token == spec.LocalCommand {
		return localExecutor{}
	}
	return remoteExecutor{}
}

// request builds the run of command from the plain inputs; prev is the plain old state whose
// stdout and stderr update and delete receive (unless addPreviousOutputInEnv is false).
func request(l logger, command string, in, prev resource.PropertyMap) runner.Request {
	req := runner.Request{
		Command:     command,
		Stdin:       props.StrOr(in, "stdin", ""),
		Environment: props.StringMap(in, "environment"),
		Logging:     runner.Logging(props.StrOr(in, "logging", "")),
		Log:         l.status,
		Warn:        l.warn,
	}
	if prev != nil && props.BoolOr(in, "addPreviousOutputInEnv", true) {
		req.PrevStdout = props.StrOr(prev, "stdout", "")
		req.PrevStderr = props.StrOr(prev, "stderr", "")
	}
	return req
}

// createCommand runs `create`; in preview its outputs are unknown.
func createCommand(ctx context.Context, l logger, ex executor, inputs resource.PropertyMap, preview bool,
) (resource.PropertyMap, error) {
	out := inputs.Copy()
	if preview {
		markUnknown(out, ex.previewOutputs(inputs))
		return out, nil
	}
	plain := props.Plain(inputs)
	out["stdout"], out["stderr"] = resource.NewProperty(""), resource.NewProperty("")
	command := props.Str(plain, "create")
	if command == nil {
		return out, nil
	}
	res, err := ex.run(ctx, l, request(l, *command, plain, nil), plain, true)
	if err != nil {
		return nil, err
	}
	return merge(out, res), nil
}

// updateCommand runs `update`, or `create` when update is unset, with the old stdout and stderr
// in its environment. Without either command, the old outputs are kept.
func updateCommand(ctx context.Context, l logger, ex executor, state, news resource.PropertyMap, preview bool,
) (resource.PropertyMap, error) {
	out := news.Copy()
	for _, k := range []resource.PropertyKey{"stdout", "stderr", "assets", "archive"} {
		if v, ok := state[k]; ok {
			out[k] = v
		}
	}
	if preview {
		markUnknown(out, ex.previewOutputs(news))
		return out, nil
	}
	plain := props.Plain(news)
	command := props.Str(plain, "update")
	if command == nil {
		command = props.Str(plain, "create")
	}
	if command == nil {
		return out, nil
	}
	res, err := ex.run(ctx, l, request(l, *command, plain, props.Plain(state)), plain, true)
	if err != nil {
		return nil, err
	}
	delete(out, "assets")
	delete(out, "archive")
	return merge(out, res), nil
}

// deleteCommand runs `delete` with the inputs recorded in the state.
func deleteCommand(ctx context.Context, l logger, ex executor, state resource.PropertyMap) error {
	plain := props.Plain(state)
	command := props.Str(plain, "delete")
	if command == nil {
		return nil
	}
	_, err := ex.run(ctx, l, request(l, *command, plain, plain), plain, false)
	return err
}

func markUnknown(m resource.PropertyMap, keys []resource.PropertyKey) {
	for _, k := range keys {
		m[k] = resource.MakeComputed(resource.NewProperty(""))
	}
}

func merge(dst, src resource.PropertyMap) resource.PropertyMap {
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
