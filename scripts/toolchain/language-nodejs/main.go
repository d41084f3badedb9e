// pulumi-language-nodejs is the language host the Pulumi engine starts to run Node.js
// (TypeScript or JavaScript) programs and policy packs. It answers the engine's
// LanguageRuntime gRPC calls and runs the Node SDK's own launch scripts
// (@pulumi/pulumi/cmd/run, cmd/run-policy-pack) with `node`.
//
// The engine looks for this binary next to its own `pulumi` executable, so it is built
// into the same directory.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// engineHealthInterval is how often the host checks that the engine is still alive; when it
// is gone the host stops, so no language host outlives an interrupted `pulumi` run.
const engineHealthInterval = 5 * time.Minute

func main() {
	flags, err := parseFlags(os.Args[1:])
	if err != nil {
		fail(err)
	}
	if flags.showVersion {
		fmt.Println(hostVersion())
		return
	}
	if flags.runtime != "nodejs" {
		fail(fmt.Errorf("unsupported runtime %q: this language host runs only nodejs", flags.runtime))
	}
	logging.InitLogging(flags.logToStderr, flags.verbose, flags.logFlow)

	// Ctrl-C (or the engine interrupting its plugins) stops the gRPC server gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	stopServer := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stopServer)
	}()

	h := newHost(flags.engineAddress, flags.tracing)
	if flags.engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, flags.engineAddress, engineHealthInterval, stop); err != nil {
			fail(fmt.Errorf("could not watch the engine at %s: %w", flags.engineAddress, err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServer,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fail(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}

	// The engine reads the port to dial from the first line of a plugin's stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fail(fmt.Errorf("language host gRPC server stopped: %w", err))
	}
}

// fail reports a start-up error on stderr, which the engine shows to the user, and exits.
func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
	os.Exit(1)
}
