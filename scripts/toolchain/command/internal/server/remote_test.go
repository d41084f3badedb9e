package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"kubelab.local/toolchain/command/internal/spec"
	"kubelab.local/toolchain/command/internal/testsshd"
)

const remote = spec.RemoteCommand

func sshConnection(srv *testsshd.Server, extra resource.PropertyMap) resource.PropertyValue {
	m := resource.PropertyMap{
		"host":       str("127.0.0.1"),
		"port":       resource.NewProperty(float64(srv.Port)),
		"privateKey": resource.MakeSecret(str(srv.PrivateKey)),
		"hostKey":    str(srv.HostKey),
	}
	for k, v := range extra {
		m[k] = v
	}
	return resource.MakeSecret(resource.NewProperty(m))
}

func TestRemoteCommandLifecycle(t *testing.T) {
	srv := testsshd.Start(t)
	host := &fakeHost{}
	s := New("1.2.1", host)
	inputs := resource.PropertyMap{
		"connection":  sshConnection(srv, nil),
		"create":      str(`read -r line; echo "got $line as $(id -un) $KUBELAB_ROLE"; echo note >&2`),
		"update":      str(`echo "was: $PULUMI_COMMAND_STDOUT"`),
		"delete":      str(`echo "$PULUMI_COMMAND_STDOUT" > ` + srv.Dir + `/deleted`),
		"stdin":       str("token-123\n"),
		"environment": resource.NewProperty(resource.PropertyMap{"KUBELAB_ROLE": str("worker")}),
	}
	news := checked(t, s, remote, inputs)
	created, err := create(t, s, remote, news, false)
	if err != nil {
		t.Fatal(err)
	}
	state := fromStruct(t, created.GetProperties())
	if state["stdout"].StringValue() != "got token-123 as root worker" || state["stderr"].StringValue() != "note" {
		t.Errorf("outputs: %v", state)
	}
	if !state["connection"].IsSecret() || state["stdout"].IsSecret() || !state["stdin"].IsString() {
		t.Errorf("secretness of outputs: connection %v, stdout %v", state["connection"].IsSecret(), state["stdout"].IsSecret())
	}
	if strings.Contains(host.all(), "BEGIN OPENSSH") || strings.Contains(host.all(), "token-123\n") {
		t.Errorf("a secret was logged: %q", host.all())
	}

	inputs["create"] = str("echo changed")
	news2 := checked(t, s, remote, inputs)
	updated, err := update(t, s, remote, created.GetProperties(), news2, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromStruct(t, updated.GetProperties())["stdout"].StringValue(); got != "was: got token-123 as root worker" {
		t.Errorf("update stdout = %q", got)
	}
	if err := destroy(t, s, remote, updated.GetProperties()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, srv.Dir+"/deleted"); got != "was: got token-123 as root worker\n" {
		t.Errorf("delete saw %q", got)
	}
}

func TestRemoteFailures(t *testing.T) {
	srv := testsshd.Start(t)
	s := New("1.2.1", nil)
	for _, tc := range []struct {
		name   string
		inputs resource.PropertyMap
		want   []string
	}{
		{"exit status", resource.PropertyMap{"connection": sshConnection(srv, nil), "create": str("echo partial; exit 3")},
			[]string{"Process exited with status 3", `running "echo partial; exit 3"`, "partial"}},
		{"refused environment", resource.PropertyMap{"connection": sshConnection(srv, nil), "create": str("true"),
			"environment": resource.NewProperty(resource.PropertyMap{"OTHER": str("x")})},
			[]string{`environment: could not set "OTHER"`, "AcceptEnv"}},
		{"other host key", resource.PropertyMap{"create": str("true"),
			"connection": sshConnection(srv, resource.PropertyMap{"hostKey": str(testsshd.NewKey(t))})},
			[]string{"host key mismatch", "connection.hostKey expects", "after 1 attempt(s)"}},
	} {
		_, err := create(t, s, remote, checked(t, s, remote, tc.inputs), false)
		if err == nil {
			t.Errorf("%s: create succeeded", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tc.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: the error quotes the key", tc.name)
		}
	}
}

func TestUnreachableHostFailsAfterDialErrorLimit(t *testing.T) {
	host := &fakeHost{}
	s := New("1.2.1", host)
	port := testsshd.ClosedPort(t)
	news := checked(t, s, remote, resource.PropertyMap{"create": str("true"), "connection": resource.NewProperty(resource.PropertyMap{
		"host": str("127.0.0.1"), "port": resource.NewProperty(float64(port)), "dialErrorLimit": resource.NewProperty(2.0),
	})})
	_, err := create(t, s, remote, news, false)
	if err == nil || !strings.Contains(err.Error(), "after 3 attempt(s) (connection.dialErrorLimit is 2)") {
		t.Errorf("err = %v", err)
	}
	if got := strings.Count(host.all(), "failed, retrying"); got != 2 {
		t.Errorf("%d retry messages: %q", got, host.all())
	}
}

func TestCustomTimeoutStopsARemoteCommand(t *testing.T) {
	srv := testsshd.Start(t)
	s := New("1.2.1", nil)
	news := checked(t, s, remote, resource.PropertyMap{"connection": sshConnection(srv, nil), "create": str("sleep 300")})
	done := make(chan error, 1)
	go func() {
		_, err := s.Create(context.Background(), &pulumirpc.CreateRequest{
			Urn: urn(remote, "r"), Properties: news, Timeout: 1,
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the command outlived its timeout")
	}
}
