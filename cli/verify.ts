// `kubelab verify [--stack NAME] [--out DIR]`: re-runs the live network check of a deployed
// stack and prints the report (DESIGN §4). It runs network-check.sh on the first control plane over
// the stack's own SSH access, as `pulumi up` does (components/verify/collect.ts): this machine needs
// the Pulumi CLI and ssh, no kubectl, any bash.
// Exit 0 every requirement holds, 1 one does not, 2 the stack or the cluster cannot be reached.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { CheckHost, Runner, collectOverSsh, runnerEnv, spawnRunner } from "../components/verify/collect";
import { evaluate, formatReport } from "../components/verify/evaluate";
import { Observations } from "../components/verify/observations";
import { NetworkCheckSettings, planOf } from "../components/verify/targets";
import { topologyMarkdown } from "../components/verify/topology";
import { stackSshSecrets } from "../lib/config-ssh";
import { PROJECT_ROOT } from "../lib/project-root";

export const REPO_ROOT = PROJECT_ROOT;
export type { RunOptions, RunResult, Runner } from "../components/verify/collect";

export interface VerifyIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  run: Runner;
  /** Asks for a secret on the terminal without echo; undefined when there is no terminal. */
  askSecret?: (prompt: string) => string | undefined;
  /** Where stacks/ lives and relative key paths resolve. @default the repository this file is in */
  repoRoot?: string;
}

/** A problem that stops the check before it could judge the network (exit 2). */
export class UnreachableError extends Error {}

/** What `npm run verify` reads from the stack outputs `networkCheck` and `nodes`. */
export interface VerifyInputs {
  settings: NetworkCheckSettings;
}

/**
 * The local file backend `npm run up` uses (cli/pulumi.sh), unless the caller chose another. The
 * state passphrase is the caller's own (PULUMI_CONFIG_PASSPHRASE or _FILE), never a default.
 */
export function pulumiEnv(env: NodeJS.ProcessEnv, repoRoot = REPO_ROOT): NodeJS.ProcessEnv {
  return { ...env, PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL || `file://${path.join(repoRoot, ".pulumi-state")}` };
}

/** Pulumi's passphrase secrets provider keeps its salt in the stack file; other providers need no passphrase. */
function usesPassphrase(stack: string, repoRoot: string): boolean {
  const file = path.join(repoRoot, "stacks", `Pulumi.${stack}.yaml`);
  return fs.existsSync(file) && /^encryptionsalt:/m.test(fs.readFileSync(file, "utf8"));
}

/**
 * The environment of every Pulumi call. Without PULUMI_CONFIG_PASSPHRASE(_FILE), a passphrase stack
 * asks on the terminal once, here: Pulumi's own prompt would go to the stdout this command reads.
 * Without a terminal Pulumi itself says which variable to set.
 */
export function stackEnv(stack: string, io: VerifyIo): NodeJS.ProcessEnv {
  const env = pulumiEnv(io.env, io.repoRoot ?? REPO_ROOT);
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined || env.PULUMI_CONFIG_PASSPHRASE_FILE) return env;
  if (!usesPassphrase(stack, io.repoRoot ?? REPO_ROOT)) return env;
  const typed = io.askSecret?.(
    `Passphrase of stack ${stack} (set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to skip this): `,
  );
  return typed === undefined ? env : { ...env, PULUMI_CONFIG_PASSPHRASE: typed };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkHost(via: unknown): CheckHost | undefined {
  if (!isObject(via)) return undefined;
  const { node, host, port, user, hostKey } = via;
  if (typeof node !== "string" || typeof host !== "string" || typeof port !== "number" || typeof user !== "string")
    return undefined;
  return { node, host, port, user, ...(typeof hostKey === "string" ? { hostKey } : {}) };
}

/** Picks what the check needs out of `pulumi stack output --json`; names every missing output. */
export function verifyInputs(stack: string, outputs: unknown): VerifyInputs {
  const out = isObject(outputs) ? outputs : {};
  const problems: string[] = [];
  const check = out.networkCheck;
  if (!isObject(check)) {
    problems.push("networkCheck: missing (deployed with kubelab:verify.enabled false?)");
  } else {
    for (const key of ["podCidr", "serviceCidr", "probeImage", "namespace"])
      if (typeof check[key] !== "string") problems.push(`networkCheck.${key}: missing or not a string`);
    for (const key of ["services", "nodePorts"])
      if (!Array.isArray(check[key])) problems.push(`networkCheck.${key}: missing or not a list`);
    if (!checkHost(check.via))
      problems.push("networkCheck.via: missing (the control plane the check runs on; deployed by an older kubelab?)");
  }
  // `nodes` is the stack's own list of machines; the check's copy stands in for older stacks.
  const nodes = Array.isArray(out.nodes) ? out.nodes : isObject(check) ? check.nodes : undefined;
  const usable = Array.isArray(nodes) && nodes.every((n) => isObject(n) && typeof n.name === "string");
  if (!usable || nodes.length === 0) problems.push("nodes: missing or empty (a list of {name, address})");
  if (problems.length > 0)
    throw new UnreachableError(
      `stack ${stack} lacks what verify needs (run \`npm run up\` first):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  const c = check as Record<string, unknown>;
  const settings: NetworkCheckSettings = {
    nodes: (nodes as { name: string; address?: string }[]).map((n) => ({ name: n.name, address: n.address ?? "" })),
    services: c.services as NetworkCheckSettings["services"],
    nodePorts: c.nodePorts as NetworkCheckSettings["nodePorts"],
    podCidr: c.podCidr as string,
    serviceCidr: c.serviceCidr as string,
    requireNodePodCidr: c.requireNodePodCidr !== false,
    mode: c.mode === "report" ? "report" : "enforce",
    probeImage: c.probeImage as string,
    namespace: c.namespace as string,
    timeoutSeconds: typeof c.timeoutSeconds === "number" ? c.timeoutSeconds : 180,
    via: checkHost(c.via) as CheckHost,
  };
  return { settings };
}

/** `pulumi <args>` printing JSON, in the stack's environment (backend and passphrase). */
function pulumiJson(what: string, args: string[], env: NodeJS.ProcessEnv, io: VerifyIo): unknown {
  const result = io.run("pulumi", args, { env });
  if (result.error)
    throw new UnreachableError(
      `cannot run the Pulumi CLI (${result.error.message}); see https://www.pulumi.com/docs/install/`,
    );
  if (result.status !== 0)
    throw new UnreachableError(`cannot read ${what}: ${result.stderr.trim() || `exit ${result.status}`}`);
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new UnreachableError(
      `\`pulumi ${args.slice(0, 2).join(" ")}\` printed something that is not JSON for ${what}`,
    );
  }
}

function readFileIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

function collect(
  stack: string,
  settings: NetworkCheckSettings,
  keepProbes: boolean,
  env: NodeJS.ProcessEnv,
  io: VerifyIo,
): Observations {
  const config = pulumiJson(
    `the config of stack ${stack}`,
    ["config", "--json", "--show-secrets", "--stack", stack],
    env,
    io,
  );
  const secrets = stackSshSecrets(
    isObject(config) ? (config as never) : {},
    io.repoRoot ?? REPO_ROOT,
    readFileIfExists,
  );
  const collected = collectOverSsh(settings, { ...io.env, ...runnerEnv(settings.via, secrets) }, io.run, keepProbes);
  if ("error" in collected) throw new UnreachableError(collected.error);
  return collected.observations;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of seconds, at least 1");
  return n;
}

function program(io: VerifyIo): Command {
  return new Command("kubelab verify")
    .description("Re-run the live network check against a deployed kubelab stack and print the report")
    .option("--stack <name>", "stack to verify", io.env.STACK || "lab")
    .option("--out <dir>", "where topology.md, report.json and observations.json go", "out/verify")
    .option("--timeout <seconds>", "bound on waiting for the probes (default: the stack's)", positiveInt)
    .option("--keep-probes", "leave the probe namespace in place for debugging")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run with --help for usage)");
}

function writeResults(dir: string, files: Record<string, string>, io: VerifyIo): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, "topology.md");
  const relative = path.relative(io.cwd, file);
  io.stdout(`wrote ${relative.startsWith("..") ? file : relative}\n`);
}

/** Runs the command on `argv` (without node and script) and returns the exit code. */
export function runVerify(argv: string[], io: VerifyIo): number {
  const cmd = program(io);
  try {
    cmd.parse(argv, { from: "user" });
    const opts = cmd.opts() as { stack: string; out: string; timeout?: number; keepProbes?: boolean };
    const env = stackEnv(opts.stack, io);
    const outputs = pulumiJson(
      `the outputs of stack ${opts.stack}`,
      ["stack", "output", "--json", "--show-secrets", "--stack", opts.stack],
      env,
      io,
    );
    const { settings } = verifyInputs(opts.stack, outputs);
    if (opts.timeout) settings.timeoutSeconds = opts.timeout;
    const observations = collect(opts.stack, settings, !!opts.keepProbes, env, io);
    const report = evaluate(observations, planOf(settings));
    io.stdout(`${formatReport(report)}\n`);
    writeResults(
      path.resolve(io.cwd, opts.out),
      {
        "topology.md": topologyMarkdown(observations, report),
        "report.json": `${JSON.stringify(report, null, 2)}\n`,
        "observations.json": `${JSON.stringify(observations, null, 2)}\n`,
      },
      io,
    );
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UnreachableError) {
      io.stderr(`verify: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** Reads a line from the terminal with echo off (bash's `read -s`, which macOS's bash 3.2 has too). */
export function ttyAskSecret(prompt: string): string | undefined {
  if (!process.stdin.isTTY) return undefined;
  const read = spawnSync(
    "bash",
    ["-c", 'IFS= read -rs -p "$1" answer </dev/tty && printf "%s" "$answer"; echo >&2', "ask", prompt],
    {
      encoding: "utf8",
      stdio: ["inherit", "pipe", "inherit"],
    },
  );
  return read.status === 0 ? read.stdout : undefined;
}

/** `kubelab verify ARGS...` on this process's terminal, environment and working folder. */
export function main(argv: string[]): number {
  return runVerify(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    run: spawnRunner,
    askSecret: ttyAskSecret,
  });
}
