package server

import (
	"context"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"kubelab.local/toolchain/command/internal/spec"
)

// Diff compares the old inputs with the new ones. A change of `triggers` replaces the resource;
// any other change (the connection included) is an update, which runs `update` (or `create`).
func (s *Server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
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
	olds := inputsOf(r, state)
	if req.GetOldInputs() != nil {
		if olds, err = unmarshal(req.GetOldInputs()); err != nil {
			return nil, err
		}
	}
	return computeDiff(r, olds, news, state, req.GetIgnoreChanges()), nil
}

// inputsOf takes the inputs out of a state, for engines that do not send the old inputs.
func inputsOf(r spec.Resource, state resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for _, f := range r.Inputs {
		if v, ok := state[resource.PropertyKey(f.Name)]; ok {
			out[resource.PropertyKey(f.Name)] = v
		}
	}
	return out
}

func computeDiff(r spec.Resource, olds, news, state resource.PropertyMap, ignore []string) *pulumirpc.DiffResponse {
	olds, news = withoutInternalKeys(olds), withoutInternalKeys(news)
	for _, p := range ignore {
		if path, err := resource.ParsePropertyPath(p); err == nil {
			if v, ok := path.Get(resource.NewProperty(state)); ok {
				path.Set(resource.NewProperty(news), v)
			}
		}
	}
	objDiff := olds.Diff(news)
	if objDiff == nil || !objDiff.AnyChanges() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	}
	resp := &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, HasDetailedDiff: true,
		DetailedDiff: map[string]*pulumirpc.PropertyDiff{},
	}
	for path, d := range plugin.NewDetailedDiffFromObjectDiff(objDiff, false) {
		top := topKey(path)
		kind := d.Kind
		if replacesOnChange(r, top) {
			kind = kind.AsReplace()
		}
		resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: rpcKind(kind), InputDiff: d.InputDiff}
		if !slices.Contains(resp.Diffs, top) {
			resp.Diffs = append(resp.Diffs, top)
		}
		if kind.IsReplace() && !slices.Contains(resp.Replaces, top) {
			resp.Replaces = append(resp.Replaces, top)
		}
	}
	slices.Sort(resp.Diffs)
	slices.Sort(resp.Replaces)
	return resp
}

// withoutInternalKeys drops the engine's `version` and any `__`-prefixed key.
func withoutInternalKeys(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if k != "version" && !strings.HasPrefix(string(k), "__") {
			out[k] = v
		}
	}
	return out
}

func topKey(path string) string {
	if p, err := resource.ParsePropertyPath(path); err == nil && len(p) > 0 {
		if s, ok := p[0].(string); ok {
			return s
		}
	}
	return path
}

// replacesOnChange: `triggers` everywhere; every input of CopyFile, which has no update.
func replacesOnChange(r spec.Resource, key string) bool {
	if r.Token == spec.CopyFile {
		return true
	}
	for _, f := range r.Inputs {
		if f.Name == key {
			return f.Replace
		}
	}
	return false
}

func rpcKind(k plugin.DiffKind) pulumirpc.PropertyDiff_Kind {
	switch k {
	case plugin.DiffAdd:
		return pulumirpc.PropertyDiff_ADD
	case plugin.DiffAddReplace:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case plugin.DiffDelete:
		return pulumirpc.PropertyDiff_DELETE
	case plugin.DiffDeleteReplace:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case plugin.DiffUpdateReplace:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	}
	return pulumirpc.PropertyDiff_UPDATE
}
