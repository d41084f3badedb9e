package sshconn

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/testsshd"
)

func connection(host string, port int, extra resource.PropertyMap) Config {
	m := resource.PropertyMap{"host": resource.NewProperty(host), "port": resource.NewProperty(float64(port))}
	for k, v := range extra {
		m[k] = v
	}
	return FromProps(m)
}

func TestDialGivesUpAfterTheLimit(t *testing.T) {
	port := testsshd.ClosedPort(t)
	c := connection("127.0.0.1", port, resource.PropertyMap{"dialErrorLimit": resource.NewProperty(2.0)})
	var retries []string
	_, err := Dial(context.Background(), c, func(msg string) { retries = append(retries, msg) })
	if err == nil {
		t.Fatal("dialing a closed port succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"root@127.0.0.1:", "after 3 attempt(s)", "connection.dialErrorLimit is 2", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if len(retries) != 2 || !strings.HasPrefix(retries[0], "Dial 1/3 to root@127.0.0.1") {
		t.Errorf("retry messages = %q", retries)
	}
}

func TestDialStopsWhenCancelled(t *testing.T) {
	port := testsshd.ClosedPort(t)
	c := connection("127.0.0.1", port, resource.PropertyMap{"dialErrorLimit": resource.NewProperty(-1.0)})
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Dial(ctx, c, func(string) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestDialRejectsBadKeyMaterialWithoutQuotingIt(t *testing.T) {
	secret := "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n"
	c := connection("127.0.0.1", 22, resource.PropertyMap{"privateKey": resource.NewProperty(secret)})
	_, err := Dial(context.Background(), c, func(string) {})
	if err == nil || !strings.HasPrefix(err.Error(), "connection.privateKey: ") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("the error quotes the key: %v", err)
	}
}

func TestDialRealServer(t *testing.T) {
	srv := testsshd.Start(t)
	key := resource.NewProperty(srv.PrivateKey)
	pinned := connection("127.0.0.1", srv.Port, resource.PropertyMap{"privateKey": key, "hostKey": resource.NewProperty(srv.HostKey)})
	client, err := Dial(context.Background(), pinned, func(string) {})
	if err != nil {
		t.Fatalf("dial with the pinned key: %v", err)
	}
	_ = client.Close()

	wrongPin := connection("127.0.0.1", srv.Port, resource.PropertyMap{
		"privateKey": key, "hostKey": resource.NewProperty(testsshd.NewKey(t)),
	})
	var retries int
	_, err = Dial(context.Background(), wrongPin, func(string) { retries++ })
	if !errors.Is(err, ErrHostKeyMismatch) || retries != 0 || !strings.Contains(err.Error(), "after 1 attempt(s)") {
		t.Errorf("another host key: err = %v after %d retries", err, retries)
	}

	proxied := pinned
	proxy := connection("127.0.0.1", srv.Port, resource.PropertyMap{"privateKey": key})
	proxy.what = "connection.proxy"
	proxied.Proxy = &proxy
	client, err = Dial(context.Background(), proxied, func(string) {})
	if err != nil {
		t.Fatalf("dial through the bastion: %v", err)
	}
	_ = client.Close()
}

func TestDialRetriesRefusedAuthentication(t *testing.T) {
	srv := testsshd.Start(t)
	c := connection("127.0.0.1", srv.Port, resource.PropertyMap{
		"privateKey": resource.NewProperty(srv.PrivateKey), "user": resource.NewProperty("nobody"),
		"dialErrorLimit": resource.NewProperty(1.0),
	})
	var retries int
	_, err := Dial(context.Background(), c, func(string) { retries++ })
	if err == nil || retries != 1 || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("err = %v after %d retries", err, retries)
	}
}
