// The network check's collection, the same for `pulumi up` (gate.ts) and `npm run verify`:
// network-check.sh runs on the first control plane, sent over OpenSSH by run-over-ssh.sh, with the
// admin kubeconfig that lives there. This machine needs no kubectl, and any bash will do.
import { spawnSync } from "child_process";
import { RUNNER } from "../ssh/over-ssh";
import { readNodeScript } from "../node-scripts";
import { Observations, parseObservations } from "./observations";
import { ADMIN_KUBECONFIG, collectorEnv, NetworkCheckSettings, nodeAddressList } from "./targets";

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (ENOENT: not installed). */
  error?: Error;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Show the program's stderr live (progress of the collector) instead of capturing it. */
  passStderr?: boolean;
}

export type Runner = (program: string, args: string[], options: RunOptions) => RunResult;

export const spawnRunner: Runner = (program, args, options) => {
  const result = spawnSync(program, args, {
    env: options.env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", options.passStderr ? "inherit" : "pipe"],
  });
  return { status: result.status, stdout: result.stdout ?? "", stderr: result.stderr ?? "", error: result.error };
};

/** Where the check runs: the first control plane, as the stack's SSH connection reaches it. */
export interface CheckHost {
  node: string;
  host: string;
  port: number;
  user: string;
  hostKey?: string;
}

/** network-check.sh's values, as `NAME=value` arguments of the runner. */
export function collectorArguments(settings: NetworkCheckSettings, keepProbes: boolean): string[] {
  const env: Record<string, string> = {
    KUBECONFIG: ADMIN_KUBECONFIG,
    ...collectorEnv(settings),
    NODE_ADDRESSES: nodeAddressList(settings.nodes.filter((n) => n.address)),
    KEEP_PROBES: keepProbes ? "1" : "0",
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The runner's environment for the check host; `secrets` carries KUBELAB_SSH_KEY(_PASSPHRASE). */
export function runnerEnv(host: CheckHost, secrets: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...secrets,
    KUBELAB_NODE: host.node,
    KUBELAB_STEP: "network-check",
    KUBELAB_HOST: host.host,
    KUBELAB_PORT: String(host.port),
    KUBELAB_USER: host.user,
    ...(host.hostKey ? { KUBELAB_HOST_KEY: host.hostKey } : {}),
  };
}

export type Collected = { observations: Observations } | { error: string };

/**
 * Runs the collector; its progress goes to stderr as it happens. `env` holds the runner's settings
 * (runnerEnv) on top of this process's environment (PATH, SSH_AUTH_SOCK).
 */
export function collectOverSsh(
  settings: NetworkCheckSettings,
  env: NodeJS.ProcessEnv,
  run: Runner,
  keepProbes = false,
): Collected {
  const result = run("bash", [RUNNER, "network-check.sh", ...collectorArguments(settings, keepProbes)], {
    env: { ...env, KUBELAB_SCRIPT: readNodeScript("network-check"), KUBELAB_UNREACHABLE: "fail" },
    passStderr: true,
  });
  const where = `on ${env.KUBELAB_NODE ?? "the first control plane"}`;
  if (result.error) return { error: `cannot run bash for the network check (${result.error.message})` };
  if (result.status === 255) return { error: `could not reach ${env.KUBELAB_NODE} over SSH (see above)` };
  if (result.status !== 0)
    return { error: `network-check.sh failed ${where} (exit ${result.status}; its output is above)` };
  try {
    return { observations: parseObservations(result.stdout) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
