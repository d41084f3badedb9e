package server

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"kubelab.local/toolchain/command/internal/spec"
)

func lookup(typ, urn string) (spec.Resource, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	r, ok := spec.Lookup(typ)
	if !ok {
		return r, status.Errorf(codes.InvalidArgument, "unknown resource type %q", typ)
	}
	return r, nil
}

// Check validates the inputs, applies defaults (connection: port 22, user root, dialErrorLimit
// 10, perDialTimeout 15) and marks the connection secret.
func (s *Server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, err := lookup(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := spec.Check(r.Inputs, news)
	if r.Token == spec.CopyToRemote {
		failures = append(failures, checkSource(checked)...)
	}
	inputs, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.CheckResponse{Inputs: inputs}
	for _, f := range failures {
		resp.Failures = append(resp.Failures, &pulumirpc.CheckFailure{Property: f.Property, Reason: f.Reason})
	}
	return resp, nil
}

// checkSource accepts what CopyToRemote can copy: a file or text asset, or a path archive.
func checkSource(inputs resource.PropertyMap) []spec.Failure {
	v := inputs["source"]
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	reason := ""
	switch {
	case v.IsAsset() && !v.AssetValue().IsPath() && !v.AssetValue().IsText():
		reason = "the asset must be a FileAsset or a StringAsset"
	case v.IsArchive() && !v.ArchiveValue().IsPath():
		reason = "the archive must be a FileArchive (a file or directory path)"
	}
	if reason == "" {
		return nil
	}
	return []spec.Failure{{Property: "source", Reason: reason}}
}
