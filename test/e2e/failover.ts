// The HA proof of `npm run e2e -- --ha`: the control plane holding kube-vip's VIP is lost, once hard
// (its node container killed) and once gracefully (kubelet and the node's containers stopped, then
// containerd); the VIP must move within a bound, kubectl through the VIP and the app's NodePorts on
// the surviving nodes must keep answering, and the node must come back and rejoin.
import { spawnSync } from "child_process";
import { machineName } from "../../lib/local-nodes";
import { NodeOutput, notReadyNodes } from "./checks";

export interface Cluster {
  stack: string;
  kubectl: string;
  kubeconfig: string;
  keyFile: string;
  user: string;
  nodes: NodeOutput[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KUBE_VIP_LEASE = ["-n", "kube-system", "get", "lease", "plndr-cp-lock", "-o", "jsonpath={.spec.holderIdentity}"];

function kubectl(c: Cluster, args: string[], timeoutSeconds = 5): { ok: boolean; out: string } {
  const run = spawnSync(c.kubectl, ["--kubeconfig", c.kubeconfig, `--request-timeout=${timeoutSeconds}s`, ...args], {
    encoding: "utf8",
    timeout: (timeoutSeconds + 2) * 1000,
  });
  return { ok: run.status === 0, out: (run.stdout ?? "").trim() };
}

/** The control plane whose kube-vip holds the lease (and so the VIP). */
export function vipHolder(c: Cluster): string {
  const got = kubectl(c, KUBE_VIP_LEASE);
  if (!got.ok || !got.out) throw new Error("cannot read kube-vip's lease kube-system/plndr-cp-lock through the VIP");
  return got.out;
}

function ssh(c: Cluster, node: NodeOutput, script: string): void {
  const run = spawnSync(
    "ssh",
    [
      "-i",
      c.keyFile,
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
    ].concat(["-o", "LogLevel=ERROR", `${c.user}@${node.address}`, script]),
    { encoding: "utf8", timeout: 120_000 },
  );
  if (run.status !== 0) throw new Error(`on ${node.name}: ${script}\n${run.stderr}`);
}

/** Seconds from `since` until the API answers through the VIP with another holder than `lost`. */
async function vipMoved(c: Cluster, lost: string, since: number, boundSeconds = 60): Promise<number> {
  while ((Date.now() - since) / 1000 < boundSeconds) {
    const ready = kubectl(c, ["get", "--raw", "/readyz"], 2);
    if (ready.ok) {
      const holder = kubectl(c, KUBE_VIP_LEASE, 2);
      if (holder.ok && holder.out && holder.out !== lost) return (Date.now() - since) / 1000;
    }
    await sleep(250);
  }
  throw new Error(`the VIP did not move away from ${lost} within ${boundSeconds}s`);
}

/** Why a NodePort did not answer: an HTTP status, or the connection error's cause. */
async function answers(url: string): Promise<string | undefined> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return answer.ok ? undefined : `HTTP ${answer.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ?? (error as Error).name;
  }
}

/**
 * kubectl through the VIP works, and every NodePort answers on every surviving node. An app pod on
 * the lost node stays a Service endpoint until the node controller marks the node NotReady (its
 * grace period, then endpoint propagation), so until then some connections go nowhere: each
 * NodePort has to answer CONSECUTIVE times in a row within the bound, and the time that took and
 * the failed attempts are reported, not hidden.
 */
async function stillServing(c: Cluster, lost: string, since: number, boundSeconds = 150): Promise<string> {
  const CONSECUTIVE = 8;
  if (!kubectl(c, ["get", "nodes"]).ok) throw new Error("kubectl through the VIP failed after the failover");
  const surviving = c.nodes.filter((n) => n.name !== lost);
  const failures = new Map<string, number>();
  for (const node of surviving)
    for (const port of [30004, 30005]) {
      let streak = 0;
      while (streak < CONSECUTIVE) {
        if ((Date.now() - since) / 1000 > boundSeconds)
          throw new Error(
            `NodePort ${port} on ${node.name} did not answer ${CONSECUTIVE} times in a row within ${boundSeconds}s ` +
              `of losing ${lost} (failed attempts: ${describe(failures)})`,
          );
        const failure = await answers(`http://${node.address}:${port}/`);
        if (failure) {
          const what = `${node.name}:${port} ${failure}`;
          failures.set(what, (failures.get(what) ?? 0) + 1);
        }
        streak = failure ? 0 : streak + 1;
      }
    }
  const seconds = (Date.now() - since) / 1000;
  return (
    `kubectl via the VIP ok; NodePorts 30004/30005 answer ${CONSECUTIVE} times in a row on ` +
    `${surviving.map((n) => n.name).join(", ")} ${seconds.toFixed(0)}s after the loss (failed attempts: ${describe(failures)})`
  );
}

function describe(failures: Map<string, number>): string {
  return failures.size === 0 ? "none" : [...failures].map(([what, count]) => `${count}x ${what}`).join(", ");
}

/**
 * The lost node is back, not merely not yet noticed gone: the node controller keeps a node Ready
 * for its grace period after the node dies, so Ready alone proves nothing. Its kubelet must have
 * renewed its Lease after the restart, every node must be Ready, and a control plane's own API
 * server must answer /readyz on its address (its etcd member and API server rejoined).
 */
async function rejoined(c: Cluster, node: NodeOutput, restarted: number, boundSeconds = 300): Promise<number> {
  const names = c.nodes.map((n) => n.name);
  let waiting = "";
  while ((Date.now() - restarted) / 1000 < boundSeconds) {
    const renewed = kubectl(c, [
      "-n",
      "kube-node-lease",
      "get",
      "lease",
      node.name,
      "-o",
      "jsonpath={.spec.renewTime}",
    ]);
    const notReady = notReadyNodes(c.kubectl, c.kubeconfig, names);
    const ownApi =
      node.role !== "control-plane" ||
      kubectl(c, ["--server", `https://${node.address}:6443`, "get", "--raw", "/readyz"], 3).ok;
    if (renewed.ok && Date.parse(renewed.out) > restarted && notReady.length === 0 && ownApi)
      return (Date.now() - restarted) / 1000;
    waiting = !(renewed.ok && Date.parse(renewed.out) > restarted)
      ? `${node.name}'s kubelet has not renewed its Lease since the restart`
      : notReady.length > 0
        ? notReady.join(", ")
        : `${node.name}'s API server does not answer /readyz`;
    await sleep(2000);
  }
  throw new Error(`${node.name} did not rejoin within ${boundSeconds}s of its restart: ${waiting}`);
}

function nodeSh(args: string[]): void {
  const run = spawnSync("bash", ["scripts/local-nodes/node.sh", ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`node.sh ${args.join(" ")}: ${run.stderr}`);
}

/** The holder's node container killed: no goodbye from kube-vip, the lease has to expire. */
export async function hardFailover(c: Cluster): Promise<{ seconds: number; evidence: string }> {
  const lost = vipHolder(c);
  const machine = machineName(c.stack, lost);
  const since = Date.now();
  nodeSh(["kill", machine]);
  const seconds = await vipMoved(c, lost, since);
  const serving = await stillServing(c, lost, since);
  const node = c.nodes.find((n) => n.name === lost) as NodeOutput;
  const restarted = Date.now();
  nodeSh(["start", machine]);
  const back = await rejoined(c, node, restarted);
  return {
    seconds,
    evidence: `hard: killed ${lost}'s container; the VIP answered from another control plane after ${seconds.toFixed(1)}s; ${serving}; ${lost} back (Lease renewed, every node Ready, its API server ready) ${back.toFixed(0)}s after its restart`,
  };
}

/** kubelet stopped, then the node's containers (kube-vip gets SIGTERM and lets go), then containerd. */
export async function gracefulFailover(c: Cluster): Promise<{ seconds: number; evidence: string }> {
  const lost = vipHolder(c);
  const node = c.nodes.find((n) => n.name === lost) as NodeOutput;
  const since = Date.now();
  ssh(
    c,
    node,
    "sudo systemctl stop kubelet && sudo ctr -n k8s.io tasks ls -q | xargs -r -n1 sudo ctr -n k8s.io tasks kill -s SIGTERM; " +
      "sleep 3; sudo systemctl stop containerd",
  );
  const seconds = await vipMoved(c, lost, since);
  const serving = await stillServing(c, lost, since);
  const restarted = Date.now();
  ssh(c, node, "sudo systemctl start containerd kubelet");
  const back = await rejoined(c, node, restarted);
  return {
    seconds,
    evidence: `graceful: stopped ${lost}'s kubelet, containers and containerd; the VIP answered from another control plane after ${seconds.toFixed(1)}s; ${serving}; ${lost} back (Lease renewed, every node Ready, its API server ready) ${back.toFixed(0)}s after its restart`,
  };
}
