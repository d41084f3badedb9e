package main

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestCancelStopsRunningOperationsOnly(t *testing.T) {
	h := newHost("127.0.0.1:1", "")
	running, release := h.operation(context.Background())
	defer release()
	if _, err := h.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if running.Err() == nil {
		t.Fatal("an operation running at Cancel must be stopped")
	}
	// An attached host is cancelled after every command and then used again.
	next, releaseNext := h.operation(context.Background())
	defer releaseNext()
	if next.Err() != nil {
		t.Fatal("an operation started after Cancel must run")
	}
}

func TestOperationEndsWithItsCall(t *testing.T) {
	h := newHost("", "")
	call, endCall := context.WithCancel(context.Background())
	op, release := h.operation(call)
	defer release()
	other, releaseOther := h.operation(context.Background())
	defer releaseOther()
	endCall()
	<-op.Done() // the AfterFunc runs asynchronously
	if other.Err() != nil {
		t.Fatal("ending one call must not stop other operations")
	}
}

func TestRunWithoutEngineAddress(t *testing.T) {
	_, err := newHost("", "").Run(context.Background(), &pulumirpc.RunRequest{})
	if err == nil || !strings.Contains(err.Error(), "Handshake") {
		t.Fatalf("error = %v", err)
	}
}

func TestHostVersionIsTheSDKRelease(t *testing.T) {
	info, err := newHost("", "").GetPluginInfo(context.Background(), &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	// Test binaries carry their module dependencies too, so this is the go.mod's sdk/v3.
	if info.Version != "v3.274.1" {
		t.Fatalf("version = %q", info.Version)
	}
}
