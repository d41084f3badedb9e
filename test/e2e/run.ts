// `npm run e2e [-- --keep | --down | --json FILE]`: kubelab for real on local machine containers,
// from the offline bundle, with the Pulumi engine built from Go modules: up, prove, re-run, scale
// in, destroy, recreate. Every phase is timed and fails hard with its evidence.
import * as fs from "fs";
import * as path from "path";
import { Command } from "commander";
import { formatReport, NetworkReport } from "../../components/verify/evaluate";
import { leftovers, NodeOutput, notReadyNodes, voteCountedAcrossNodes } from "./checks";
import { Cluster, gracefulFailover, hardFailover } from "./failover";
import { ensureBuilds, hostProblems, initStack, pulumi, run, stackOutputs, workspace, Workspace } from "./workspace";

/** The stacks the run uses: 1 control plane + 2 workers, or with --ha 3 control planes + 1 worker. */
const PROFILES = {
  basic: { stack: "e2e", bridge: "kle2e0", names: ["cp-1", "worker-1", "worker-2"] },
  ha: { stack: "e2e-ha", bridge: "kle2eha0", names: ["cp-1", "cp-2", "cp-3", "worker-1"] },
};
let STACK = PROFILES.basic.stack;
let BRIDGE = PROFILES.basic.bridge;

interface Phase {
  name: string;
  ok: boolean;
  seconds: number;
  evidence?: string;
}

class PhaseError extends Error {}

const phases: Phase[] = [];

async function phase(name: string, body: () => Promise<string | undefined>): Promise<void> {
  const started = Date.now();
  process.stdout.write(`\n=== e2e phase: ${name}\n`);
  try {
    const evidence = await body();
    phases.push({ name, ok: true, seconds: (Date.now() - started) / 1000, evidence });
    process.stdout.write(
      `=== ${name}: ok in ${((Date.now() - started) / 1000).toFixed(1)}s${evidence ? `\n${evidence}` : ""}\n`,
    );
  } catch (error) {
    const evidence = (error as Error).message;
    phases.push({ name, ok: false, seconds: (Date.now() - started) / 1000, evidence });
    process.stdout.write(`=== ${name}: FAILED after ${((Date.now() - started) / 1000).toFixed(1)}s\n${evidence}\n`);
    throw new PhaseError(`phase ${name} failed`);
  }
}

async function must(ws: Workspace, what: string, args: string[]): Promise<void> {
  const result = await pulumi(ws, args);
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stderr.slice(-3000)}`);
}

function kubectl(ws: Workspace): string {
  return path.join(ws.bundle, "bin", "kubectl");
}

/** The cluster as the stack reports it: every node Ready and the network report holding. */
async function provenCluster(ws: Workspace, expected: string[]): Promise<string> {
  const outputs = await stackOutputs(ws);
  const kubeconfig = path.join(path.dirname(ws.dir), "kubeconfig");
  fs.writeFileSync(kubeconfig, String(outputs.kubeconfig), { mode: 0o600 });
  const notReady = notReadyNodes(kubectl(ws), kubeconfig, expected);
  const report = outputs.networkReport as NetworkReport | undefined;
  const text = report ? formatReport(report) : "(no networkReport output)";
  if (notReady.length > 0 || !report?.ok) throw new Error(`${notReady.join("\n")}\n${text}`);
  // The report must be of this cluster: a check that did not run again still shows the old nodes.
  if (!text.includes(`${expected.length} probe pod IPs`))
    throw new Error(`the network report is not of the ${expected.length} nodes ${expected.join(", ")}:\n${text}`);
  return text;
}

function nodesOf(outputs: Record<string, unknown>): NodeOutput[] {
  return (outputs.nodes ?? []) as NodeOutput[];
}

async function upAndProve(ws: Workspace, names: string[]): Promise<string> {
  await must(ws, "pulumi up", ["up", "--yes", "--skip-preview"]);
  return provenCluster(ws, names);
}

async function appAcrossNodes(ws: Workspace): Promise<string> {
  const nodes = nodesOf(await stackOutputs(ws));
  const worker = nodes.find((n) => n.role === "worker");
  const controlPlane = nodes.find((n) => n.role === "control-plane");
  if (!worker || !controlPlane)
    throw new Error(`stack output nodes lacks a worker or a control plane: ${JSON.stringify(nodes)}`);
  return voteCountedAcrossNodes(worker.address, controlPlane.address, { vote: 30004, result: 30005 });
}

async function verify(ws: Workspace): Promise<string> {
  const result = await run("npm", ["run", "--silent", "verify", "--", "--stack", STACK], { cwd: ws.dir, env: ws.env });
  if (result.status !== 0) throw new Error(`npm run verify exited ${result.status}`);
  return result.stdout.split("\n").find((l) => l.startsWith("network model:")) ?? "";
}

async function idempotent(ws: Workspace): Promise<string> {
  await must(ws, "pulumi preview --expect-no-changes", ["preview", "--expect-no-changes"]);
  await must(ws, "pulumi up --expect-no-changes", ["up", "--yes", "--skip-preview", "--expect-no-changes"]);
  return "preview and a second up changed nothing";
}

/** Removing one worker drains, deletes and resets that node only, and the network still holds. */
async function scaleIn(ws: Workspace): Promise<string> {
  await must(ws, "config set", ["config", "set", "--path", "kubelab:nodes.workers", "1"]);
  const preview = await pulumi(ws, ["preview", "--json"], true);
  const steps = (JSON.parse(preview.stdout).steps ?? []) as { op: string; urn: string }[];
  const deleted = steps.filter((s) => s.op === "delete").map((s) => s.urn.split("::").pop() as string);
  const strays = deleted.filter((name) => !name.includes("worker-2"));
  if (deleted.length === 0 || strays.length > 0)
    throw new Error(`scale-in would delete ${JSON.stringify(deleted)}; only worker-2's resources may go`);
  const evidence = await upAndProve(ws, ["cp-1", "worker-1"]);
  return `deleted only: ${deleted.join(", ")}\n${evidence}`;
}

async function destroyed(ws: Workspace): Promise<string> {
  await must(ws, "pulumi destroy", ["destroy", "--yes", "--skip-preview"]);
  const exported = await pulumi(ws, ["stack", "export"], true);
  const resources = (JSON.parse(exported.stdout).deployment?.resources ?? []) as unknown[];
  const left = leftovers(STACK, BRIDGE);
  if (resources.length > 0) left.push(`${resources.length} resources still in the stack's state`);
  if (left.length > 0) throw new Error(`left behind:\n${left.join("\n")}`);
  return "no node process, mount, link, cgroup, state dir or stack resource left";
}

/** Losing the control plane that holds the VIP, hard and then gracefully (--ha). */
async function failover(ws: Workspace, report: Record<string, unknown>): Promise<string> {
  const outputs = await stackOutputs(ws);
  const cluster: Cluster = {
    stack: STACK,
    kubectl: kubectl(ws),
    kubeconfig: path.join(path.dirname(ws.dir), "kubeconfig"),
    keyFile: ws.keyFile,
    user: "kubelab",
    nodes: nodesOf(outputs),
  };
  const hard = await hardFailover(cluster);
  const graceful = await gracefulFailover(cluster);
  report.failover = { hardSeconds: hard.seconds, gracefulSeconds: graceful.seconds };
  return `${hard.evidence}\n${graceful.evidence}`;
}

async function main(argv: string[]): Promise<number> {
  const options = new Command("e2e")
    .option("--keep", "stop after verify and keep the cluster")
    .option("--down", "destroy a kept cluster")
    .option(
      "--ha",
      "3 control planes behind a kube-vip VIP: up, prove, lose the VIP holder (hard and graceful), destroy",
    )
    .option("--json <file>", "write every phase's result and seconds")
    .parse(argv, { from: "user" })
    .opts<{ keep?: boolean; down?: boolean; ha?: boolean; json?: string }>();
  const profile = options.ha ? PROFILES.ha : PROFILES.basic;
  STACK = profile.stack;
  BRIDGE = profile.bridge;
  const problems = hostProblems();
  if (problems.length > 0) {
    process.stderr.write(`e2e cannot run here:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    return 2;
  }
  const report: Record<string, unknown> = { phases };
  try {
    let ws: Workspace | undefined;
    await phase("builds", async () => {
      const built = await ensureBuilds();
      ws = workspace(STACK, built.bundle, !options.down);
      await initStack(ws);
      return `toolchain ${built.seconds.toolchain}s, bundle ${built.seconds.bundle}s`;
    });
    const w = ws as Workspace;
    if (options.down) {
      await phase("destroy", () => destroyed(w));
      return 0;
    }
    const names = profile.names;
    await phase("up", () => upAndProve(w, names));
    await phase("app", () => appAcrossNodes(w));
    await phase("verify", () => verify(w));
    if (options.keep) {
      const outputs = await stackOutputs(w);
      report.kubeconfig = path.join(path.dirname(w.dir), "kubeconfig");
      report.nodes = nodesOf(outputs);
      process.stdout.write(`\nkept: kubeconfig ${report.kubeconfig}\n${JSON.stringify(report.nodes, null, 2)}\n`);
      process.stdout.write("npm run e2e -- --down destroys it\n");
      return 0;
    }
    if (options.ha) {
      await phase("failover", () => failover(w, report));
      await phase("destroy", () => destroyed(w));
      return 0;
    }
    await phase("idempotent", () => idempotent(w));
    await phase("scale-in", () => scaleIn(w));
    await phase("destroy", () => destroyed(w));
    await phase("recreate", async () => {
      await must(w, "config set", ["config", "set", "--path", "kubelab:nodes.workers", "2"]);
      return upAndProve(w, names);
    });
    await phase("cleanup", () => destroyed(w));
    return 0;
  } catch (error) {
    if (!(error instanceof PhaseError)) throw error;
    return 1;
  } finally {
    if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\n${phases.map((p) => `${p.ok ? "ok    " : "FAILED"} ${p.name.padEnd(12)} ${p.seconds.toFixed(1)}s`).join("\n")}\n`,
    );
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
