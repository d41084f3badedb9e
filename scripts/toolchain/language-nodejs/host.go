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

	// stopped is cancelled by the Cancel call; running programs and installs are interrupted.
	stopped context.Context
	cancel  context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, stopped: ctx, cancel: cancel}
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
	if err := rpcutil.Healthcheck(h.stopped, req.GetEngineAddress(), engineHealthInterval, h.cancel); err != nil {
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
	h.cancel()
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
