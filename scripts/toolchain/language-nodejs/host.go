package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// sdkModule is the Go module whose gRPC protocol this host speaks; its version is the
// host's version unless the build stamps one with -X .../version.Version.
const sdkModule = "github.com/pulumi/pulumi/sdk/v3"

// host implements the engine's LanguageRuntime service for Node.js. Calls it does not
// implement (code generation, packing, linking, `pulumi new` prompts) answer Unimplemented
// through the embedded type; the engine treats that as "not supported by this language".
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracing string

	mu            sync.Mutex
	engineAddress string
	// ops is the context of the operations (programs, plugins, installs) running now; Cancel
	// ends it and starts a fresh one, because a host the engine attached to
	// (PULUMI_DEBUG_LANGUAGES) is sent Cancel after every command and then used again.
	ops     context.Context
	stopOps context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ops, stop := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, ops: ops, stopOps: stop}
}

// operation returns a context for a new operation that ends with ctx (the gRPC call) or
// with the next Cancel, whichever comes first. Call release when the operation is done.
func (h *host) operation(ctx context.Context) (opCtx context.Context, release func()) {
	h.mu.Lock()
	ops := h.ops
	h.mu.Unlock()
	opCtx, stop := context.WithCancel(ops)
	unhook := context.AfterFunc(ctx, stop)
	return opCtx, func() { unhook(); stop() }
}

// stopOperations interrupts every running operation; later ones start unaffected.
func (h *host) stopOperations() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopOps()
	h.ops, h.stopOps = context.WithCancel(context.Background())
}

// engine returns the engine's address, set from the command line or by Handshake.
func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake is sent only when the engine attaches to an already running host
// (PULUMI_DEBUG_LANGUAGES); it is how such a host learns the engine's address.
func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() == "" {
		return nil, errors.New("handshake without an engine address: the engine must send its gRPC address")
	}
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	// This host was started by hand and outlives the engine: when the engine goes away, only
	// what it was running is stopped (the health check then ends by itself).
	if err := rpcutil.Healthcheck(context.Background(), req.GetEngineAddress(), engineHealthInterval,
		h.stopOperations); err != nil {
		return nil, fmt.Errorf("could not watch the engine at %s: %w", req.GetEngineAddress(), err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the host's version; the engine records it with each update.
func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: hostVersion()}, nil
}

// Cancel is the engine asking for a graceful stop (e.g. after Ctrl-C): running node
// processes get SIGINT so the SDK can flush what it has registered.
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.stopOperations()
	return &emptypb.Empty{}, nil
}

// hostVersion is the stamped version, else the sdk/v3 release compiled in (e.g. v3.274.1),
// which is also the engine release whose protocol the host speaks.
func hostVersion() string {
	if version.Version != "" {
		return version.Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sdkModule {
				return dep.Version
			}
		}
	}
	return "v0.0.0-dev"
}
