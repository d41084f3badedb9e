package server

import (
	"context"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"kubelab.local/toolchain/command/internal/props"
	"kubelab.local/toolchain/command/internal/spec"
)

// Invoke serves command:local:run, which runs its command on every call, previews included.
// Its result is its arguments plus stdout, stderr and the collected assets.
func (s *Server) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != spec.LocalRun.Token {
		return nil, status.Errorf(codes.Unimplemented, "unknown function %q", req.GetTok())
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	checked, failures := spec.Check(spec.LocalRun.Inputs, args)
	if len(failures) > 0 {
		resp := &pulumirpc.InvokeResponse{}
		for _, f := range failures {
			resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
		}
		return resp, nil
	}
	ctx, cancel := s.opContext(ctx, 0)
	defer cancel()
	l := logger{ctx: ctx, host: s.host}
	plain := props.Plain(checked)
	out, err := localExecutor{}.run(ctx, l, request(l, props.StrOr(plain, "command", ""), plain, nil), plain, true)
	if err != nil {
		return nil, err
	}
	ret, err := marshal(merge(checked.Copy(), out))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}
