package server

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"kubelab.local/toolchain/command/internal/spec"
)

func remoteInputs(host string, extra resource.PropertyMap) resource.PropertyMap {
	m := resource.PropertyMap{
		"connection": resource.NewProperty(resource.PropertyMap{
			"host": str(host), "privateKey": resource.MakeSecret(str("KEY")),
		}),
		"create":   str("echo hi"),
		"triggers": resource.NewProperty([]resource.PropertyValue{str("v1")}),
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestDiffKinds(t *testing.T) {
	s := New("1.2.1", nil)
	r := spec.RemoteCommand
	olds := checked(t, s, r, remoteInputs("10.0.0.1", nil))
	for _, tc := range []struct {
		name             string
		news             resource.PropertyMap
		changes          pulumirpc.DiffResponse_DiffChanges
		diffs, replaces  string
		detailedReplaces bool
	}{
		{"same", remoteInputs("10.0.0.1", nil), pulumirpc.DiffResponse_DIFF_NONE, "", "", false},
		{"create", remoteInputs("10.0.0.1", resource.PropertyMap{"create": str("echo bye")}),
			pulumirpc.DiffResponse_DIFF_SOME, "create", "", false},
		{"connection", remoteInputs("10.0.0.2", nil), pulumirpc.DiffResponse_DIFF_SOME, "connection", "", false},
		{"triggers", remoteInputs("10.0.0.1", resource.PropertyMap{
			"triggers": resource.NewProperty([]resource.PropertyValue{str("v2")}),
		}), pulumirpc.DiffResponse_DIFF_SOME, "triggers", "triggers", true},
	} {
		d := diff(t, s, r, olds, checked(t, s, r, tc.news))
		if d.GetChanges() != tc.changes || strings.Join(d.GetDiffs(), ",") != tc.diffs ||
			strings.Join(d.GetReplaces(), ",") != tc.replaces {
			t.Errorf("%s: diff = %v", tc.name, d)
		}
		for path, pd := range d.GetDetailedDiff() {
			replace := pd.GetKind() == pulumirpc.PropertyDiff_UPDATE_REPLACE
			if replace != tc.detailedReplaces || strings.Contains(path, "privateKey") {
				t.Errorf("%s: detailed %s = %v", tc.name, path, pd)
			}
		}
	}
}

func TestDiffHonoursIgnoreChangesAndOldState(t *testing.T) {
	s := New("1.2.1", nil)
	r := spec.LocalCommand
	olds := checked(t, s, r, resource.PropertyMap{"create": str("a"), "dir": str("/tmp")})
	news := checked(t, s, r, resource.PropertyMap{"create": str("b"), "dir": str("/tmp")})
	state := toStruct(t, merge(fromStruct(t, olds), resource.PropertyMap{"stdout": str("x"), "stderr": str("")}))
	resp, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn(r, "r"), Olds: state, News: news, IgnoreChanges: []string{"create"},
	})
	if err != nil || resp.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("ignoreChanges create: %v %v", resp, err)
	}
	// Without old inputs, they are taken from the state (stdout/stderr are not inputs).
	resp, err = s.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn(r, "r"), Olds: state, News: olds})
	if err != nil || resp.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("state as old inputs: %v %v", resp, err)
	}
}

func TestCopyFileReplacesOnAnyChange(t *testing.T) {
	s := New("1.2.1", nil)
	r := spec.CopyFile
	in := func(p string) resource.PropertyMap {
		return resource.PropertyMap{"connection": resource.NewProperty(resource.PropertyMap{"host": str("h")}),
			"localPath": str("/a"), "remotePath": str(p)}
	}
	d := diff(t, s, r, checked(t, s, r, in("/x")), checked(t, s, r, in("/y")))
	if strings.Join(d.GetReplaces(), ",") != "remotePath" {
		t.Errorf("diff = %v", d)
	}
}

func TestCheckReportsFailuresAndKeepsSecretsSecret(t *testing.T) {
	s := New("1.2.1", nil)
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn(spec.RemoteCommand, "r"), News: toStruct(t, resource.PropertyMap{"create": str("x")}),
	})
	if err != nil || len(resp.GetFailures()) != 1 || resp.GetFailures()[0].GetProperty() != "connection" {
		t.Fatalf("Check without connection: %v %v", resp, err)
	}
	out := fromStruct(t, checked(t, s, spec.RemoteCommand, remoteInputs("h", nil)))
	if !out["connection"].IsSecret() {
		t.Error("connection is not secret after Check")
	}
	if _, err := s.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn("command:remote:Nope", "r")}); err == nil {
		t.Error("an unknown type was accepted")
	}
}
