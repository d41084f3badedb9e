// Command pulumi-resource-command is the resource provider plugin of the `command` package
// (@pulumi/command): command:local:Command, command:remote:Command, command:remote:CopyToRemote
// and command:remote:CopyFile.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"kubelab.local/toolchain/command/internal/server"
	"kubelab.local/toolchain/command/internal/version"
)

func main() {
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		if host == nil { // attach mode: no engine to log to
			return server.New(version.Get(), nil), nil
		}
		return server.New(version.Get(), host), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
