// Package server is the provider's gRPC ResourceProviderServer: it checks and diffs inputs
// against the resource specs and runs the commands of create, update and delete.
package server

import (
	"context"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"kubelab.local/toolchain/command/internal/spec"
)

// Host is where the provider logs: the engine's host client, or a stand-in in tests.
type Host interface {
	Log(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) error
	LogStatus(ctx context.Context, sev diag.Severity, urn resource.URN, msg string) error
}

// Server implements the provider protocol for the command package.
type Server struct {
	pulumirpc.UnimplementedResourceProviderServer

	version string
	host    Host

	mu sync.Mutex
	// cancelled ends at the next Cancel, stopping the operations in flight.
	cancelled context.Context
	cancel    context.CancelFunc
}

// New returns a server; host may be nil (nothing is logged then).
func New(version string, host Host) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{version: version, host: host, cancelled: ctx, cancel: cancel}
}

func (s *Server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: s.version}, nil
}

func (s *Server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := spec.Schema(s.version)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

// Configure has nothing to configure. The provider takes secrets, previews (returning unknown
// outputs) and resource references, which it keeps as they are.
func (s *Server) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{
		AcceptSecrets: true, SupportsPreview: true, AcceptResources: true,
	}, nil
}

// CheckConfig accepts any provider configuration: the package has no settings.
func (s *Server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports no change: no setting can change the provider's behaviour.
func (s *Server) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Cancel stops every operation in flight: local commands are killed, remote ones sent SIGKILL.
func (s *Server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel()
	s.cancelled, s.cancel = context.WithCancel(context.Background())
	return &emptypb.Empty{}, nil
}

// opContext bounds an operation by the request's timeout (customTimeouts) and by Cancel.
func (s *Server) opContext(ctx context.Context, timeoutSeconds float64) (context.Context, context.CancelFunc) {
	s.mu.Lock()
	cancelled := s.cancelled
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(cancelled, cancel)
	if timeoutSeconds > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(timeoutSeconds*float64(time.Second)))
		return ctx, func() { cancelTimeout(); stop(); cancel() }
	}
	return ctx, func() { stop(); cancel() }
}

var marshalOptions = plugin.MarshalOptions{
	KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true,
}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, marshalOptions)
	if m == nil {
		m = resource.PropertyMap{}
	}
	return m, err
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

// logger sends messages about one resource to the host.
type logger struct {
	ctx  context.Context
	host Host
	urn  resource.URN
}

// status shows a line in the resource's progress row (an ephemeral message, as the command's
// output is shown while it runs).
func (l logger) status(msg string) {
	if l.host != nil {
		_ = l.host.LogStatus(l.ctx, diag.Info, l.urn, msg)
	}
}

func (l logger) warn(msg string) {
	if l.host != nil {
		_ = l.host.Log(l.ctx, diag.Warning, l.urn, msg)
	}
}
