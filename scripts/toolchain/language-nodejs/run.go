package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runScript is the Node SDK's entry point for programs; it connects to the engine, loads
// ts-node when asked, and runs the program's entry point.
const runScript = "@pulumi/pulumi/cmd/run"

// exitAfterActionableMessage is the exit code the SDK uses when it has already shown the user
// a clear error (e.g. a failed resource or a config error): the engine should then stop
// without adding a generic "program failed" message (cmd/run/index.js).
const exitAfterActionableMessage = 32

// Run executes the program once, for a preview (dry run) or an update.
// Problems with the program are returned in RunResponse.Error, which the engine shows as the
// program's failure; a gRPC error is reserved for the host itself being unusable.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	engine := h.engine()
	if engine == "" {
		return nil, errors.New("no engine address: start the host with it as argument or send Handshake first")
	}
	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := findNode()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	script, err := resolveModule(ctx, node, req.GetInfo().GetProgramDirectory(), runScript)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(os.Environ(), req, opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not pass the stack configuration: %v", err)}, nil
	}

	// Stop node when the engine gives up on this call or sends Cancel.
	runCtx, release := h.operation(ctx)
	defer release()

	args := runArgs(req, opts, script, engine, h.tracing)
	cmd := nodeCommand(runCtx, node, args, env, req.GetPwd())
	// The engine shows whatever this host writes as the program's output. Wrapping the
	// writers makes exec copy through pipes instead of handing node our own descriptors:
	// node switches its stdio to non-blocking mode, which would break our own writes.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	// Only the arguments are logged: the environment carries the decrypted stack config.
	logging.V(5).Infof("running program: %s %s", node, strings.Join(args, " "))

	// Run returns after node's output is fully copied, so its last error message is printed
	// before the engine reports the failure.
	return runResponse(cmd.Run()), nil
}

// runResponse maps how node ended to the engine's answer.
func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	code, exited := exitCode(err)
	switch {
	case !exited:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}
	case code == exitAfterActionableMessage:
		return &pulumirpc.RunResponse{Bail: true}
	case code < 0:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program was stopped: %v", err)}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}
	}
}
