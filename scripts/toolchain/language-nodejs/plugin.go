package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	policyPackScript = "@pulumi/pulumi/cmd/run-policy-pack"
	pluginScript     = "@pulumi/pulumi/cmd/run-plugin"
)

// RunPlugin runs a plugin written in Node.js, chiefly a policy pack (kind "analyzer") for
// `pulumi preview --policy-pack <dir>`. The plugin's stdout and stderr are streamed back: the
// engine reads the port to dial from the first stdout line, exactly as for a binary plugin.
// The stream ends when node exits; a non-zero exit is sent as the plugin's exit code.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx, release := h.operation(server.Context())
	defer release()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return err
	}
	node, err := findNode()
	if err != nil {
		return err
	}
	dir := req.GetInfo().GetProgramDirectory()
	analyzer := req.GetKind() == string(apitype.AnalyzerPlugin)
	script := pluginScript
	if analyzer {
		script = policyPackScript
	}
	if script, err = resolveModule(ctx, node, dir, script); err != nil {
		return err
	}

	env := append(append([]string{}, req.GetEnv()...), typescriptEnv(opts)...)
	workDir := req.GetPwd()
	if analyzer {
		workDir = dir // packs have always run from their own directory
	}
	args := pluginArgs(opts, script, dir, req.GetArgs(), analyzer)
	cmd := nodeCommand(ctx, node, args, env, workDir)
	cmd.Stderr = stderr
	// Only the arguments are logged: the environment may carry the decrypted stack config.
	logging.V(5).Infof("running plugin %s: %s %s", req.GetName(), node, strings.Join(args, " "))

	if analyzer {
		err = runPolicyPack(ctx, cmd, stdout)
	} else {
		cmd.Stdout = stdout
		err = cmd.Run()
	}
	if code, exited := exitCode(err); exited {
		return server.Send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)},
		})
	}
	if err != nil {
		return fmt.Errorf("could not run plugin %s in %s: %w", req.GetName(), dir, err)
	}
	return closer.Close()
}

// runPolicyPack starts a pack behind the SDK's PolicyProxy. @pulumi/policy packs read the
// project, stack and config from the environment when they start, but the engine sends them
// later, in ConfigureStack. So the proxy answers the engine first (its port is what we print),
// waits for ConfigureStack, and only then is node started with that environment; after that
// the proxy forwards every Analyzer call to the port the pack prints on its own stdout.
func runPolicyPack(ctx context.Context, cmd *exec.Cmd, stdout io.Writer) error {
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	cfg, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		proxy.Abort(err)
		return fmt.Errorf("no stack configuration from the engine: %w", err)
	}
	extra, err := policyEnv(cfg)
	if err != nil {
		proxy.Abort(err)
		return err
	}
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stdout = packStdout
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	return proxy.Attach(ctx, cmd) // returns when node exits
}

// policyEnv is the stack context a pack reads through @pulumi/pulumi's runtime settings.
// cfg is nil when the engine asked something else first (e.g. `pulumi policy publish`).
func policyEnv(cfg *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if cfg == nil {
		return nil, nil
	}
	var env []string
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("PULUMI_NODEJS_ORGANIZATION", cfg.GetOrganization())
	add("PULUMI_NODEJS_PROJECT", cfg.GetProject())
	add("PULUMI_NODEJS_STACK", cfg.GetStack())
	add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.GetDryRun()))
	if cfg.GetConfig() != nil {
		c, err := configJSON(cfg.GetConfig())
		if err != nil {
			return nil, err
		}
		keys, err := json.Marshal(append([]string{}, cfg.GetConfigSecretKeys()...))
		if err != nil {
			return nil, err
		}
		add("PULUMI_CONFIG", c)
		add("PULUMI_CONFIG_SECRET_KEYS", string(keys))
	}
	return env, nil
}
