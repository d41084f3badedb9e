package server

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"kubelab.local/toolchain/command/internal/spec"
)

func resourceName(name, urn string) string {
	if name != "" {
		return name
	}
	return resource.URN(urn).Name()
}

// Create runs the resource's create action; in preview nothing runs and the outputs that only
// the run can tell are unknown. A failed create records nothing.
func (s *Server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	r, err := lookup(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.opContext(ctx, req.GetTimeout())
	defer cancel()
	l := logger{ctx, s.host, resource.URN(req.GetUrn())}
	var outputs resource.PropertyMap
	prefix := resourceName(req.GetName(), req.GetUrn())
	switch r.Token {
	case spec.CopyToRemote, spec.CopyFile:
		prefix = ""
		outputs, err = createCopy(ctx, l, r.Token, inputs, req.GetPreview())
	default:
		outputs, err = createCommand(ctx, l, executorFor(r.Token), inputs, req.GetPreview())
	}
	if err != nil {
		return nil, err
	}
	id := ""
	if !req.GetPreview() {
		if id, err = resource.NewUniqueHex(prefix, 8, 0); err != nil {
			return nil, err
		}
	}
	props, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update runs the resource's update action with the new inputs and the old state.
func (s *Server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	r, err := lookup(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.opContext(ctx, req.GetTimeout())
	defer cancel()
	l := logger{ctx, s.host, resource.URN(req.GetUrn())}
	var outputs resource.PropertyMap
	switch r.Token {
	case spec.CopyToRemote, spec.CopyFile:
		outputs, err = updateCopy(ctx, l, r.Token, state, news, req.GetPreview())
	default:
		outputs, err = updateCommand(ctx, l, executorFor(r.Token), state, news, req.GetPreview())
	}
	if err != nil {
		return nil, err
	}
	props, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete runs a Command's `delete` with the inputs recorded in its state; copies leave the
// remote files in place.
func (s *Server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	r, err := lookup(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.opContext(ctx, req.GetTimeout())
	defer cancel()
	if r.Token == spec.RemoteCommand || r.Token == spec.LocalCommand {
		l := logger{ctx, s.host, resource.URN(req.GetUrn())}
		if err := deleteCommand(ctx, l, executorFor(r.Token), state); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// Read returns the recorded state as it is: a command's effects cannot be read back.
func (s *Server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}
