package server

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// fakeHost records what the provider logs.
type fakeHost struct {
	mu       sync.Mutex
	status   []string
	messages []string
}

func (h *fakeHost) Log(_ context.Context, sev diag.Severity, _ resource.URN, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.messages = append(h.messages, string(sev)+": "+msg)
	return nil
}

func (h *fakeHost) LogStatus(_ context.Context, _ diag.Severity, _ resource.URN, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = append(h.status, msg)
	return nil
}

func (h *fakeHost) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(append(append([]string{}, h.status...), h.messages...), "\n")
}

func urn(token, name string) string {
	return string(resource.NewURN("dev", "proj", "", tokens.Type(token), name))
}

func toStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fromStruct(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func str(s string) resource.PropertyValue { return resource.NewProperty(s) }

// checked runs Check and fails the test on any failure.
func checked(t *testing.T, s *Server, token string, inputs resource.PropertyMap) *structpb.Struct {
	t.Helper()
	resp, err := s.Check(context.Background(), &pulumirpc.CheckRequest{
		Urn: urn(token, "r"), Type: token, News: toStruct(t, inputs),
	})
	if err != nil || len(resp.GetFailures()) > 0 {
		t.Fatalf("Check: %v %v", err, resp.GetFailures())
	}
	return resp.GetInputs()
}

func create(t *testing.T, s *Server, token string, inputs *structpb.Struct, preview bool) (*pulumirpc.CreateResponse, error) {
	t.Helper()
	return s.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: urn(token, "r"), Type: token, Name: "r", Properties: inputs, Preview: preview,
	})
}

func update(t *testing.T, s *Server, token string, olds, news *structpb.Struct, preview bool) (*pulumirpc.UpdateResponse, error) {
	t.Helper()
	return s.Update(context.Background(), &pulumirpc.UpdateRequest{
		Urn: urn(token, "r"), Type: token, Id: "r1234", Olds: olds, News: news, Preview: preview,
	})
}

func diff(t *testing.T, s *Server, token string, olds, news *structpb.Struct) *pulumirpc.DiffResponse {
	t.Helper()
	resp, err := s.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn(token, "r"), Type: token, Id: "r1234", Olds: olds, News: news, OldInputs: olds,
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func destroy(t *testing.T, s *Server, token string, state *structpb.Struct) error {
	t.Helper()
	_, err := s.Delete(context.Background(), &pulumirpc.DeleteRequest{
		Urn: urn(token, "r"), Type: token, Id: "r1234", Properties: state,
	})
	return err
}

func checkRequest(t *testing.T, token string, inputs resource.PropertyMap) *pulumirpc.CheckRequest {
	return &pulumirpc.CheckRequest{Urn: urn(token, "r"), Type: token, News: toStruct(t, inputs)}
}
