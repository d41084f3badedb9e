// What the end-to-end run asserts on the real cluster and on the host, each returning evidence.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { processesMatching } from "../local-nodes/host-processes";

export interface NodeOutput {
  name: string;
  role: string;
  address: string;
}

/** `kubectl get nodes` with the stack's kubeconfig: the names that are not Ready (empty when all are). */
export function notReadyNodes(kubectl: string, kubeconfig: string, expected: string[]): string[] {
  const got = spawnSync(kubectl, ["--kubeconfig", kubeconfig, "get", "nodes", "-o", "json"], { encoding: "utf8" });
  if (got.status !== 0) return [`kubectl get nodes failed: ${got.stderr.trim()}`];
  const items = (JSON.parse(got.stdout).items ?? []) as {
    metadata: { name: string };
    status: { conditions?: { type: string; status: string }[] };
  }[];
  const ready = new Set(
    items
      .filter((n) => n.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
      .map((n) => n.metadata.name),
  );
  const extra = items.map((n) => n.metadata.name).filter((n) => !expected.includes(n));
  return [
    ...expected.filter((n) => !ready.has(n)).map((n) => `${n} not Ready`),
    ...extra.map((n) => `${n} unexpected`),
  ];
}

interface Results {
  votes: { a: number; b: number };
  total: number;
}

async function results(url: string): Promise<Results | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return response.ok ? ((await response.json()) as Results) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A vote posted to the vote NodePort on one node's address is counted by result's NodePort on
 * another's: vote -> redis -> worker -> db -> result, each found by its Service name.
 */
export async function voteCountedAcrossNodes(
  voteAt: string,
  resultAt: string,
  ports: { vote: number; result: number },
  timeoutSeconds = 120,
): Promise<string> {
  const resultUrl = `http://${resultAt}:${ports.result}/results.json`;
  const deadline = Date.now() + timeoutSeconds * 1000;
  let before: Results | undefined;
  while (!before && Date.now() < deadline) before = (await results(resultUrl)) ?? (await sleep(2000), undefined);
  if (!before) throw new Error(`result never answered on ${resultUrl} within ${timeoutSeconds}s`);
  const voter = `e2e${Date.now().toString(16)}`;
  const posted = await fetch(`http://${voteAt}:${ports.vote}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: `voter_id=${voter}` },
    body: "vote=a",
    signal: AbortSignal.timeout(10000),
  });
  if (!posted.ok) throw new Error(`POST vote=a to ${voteAt}:${ports.vote} answered ${posted.status}`);
  while (Date.now() < deadline) {
    const now = await results(resultUrl);
    if (now && now.votes.a > before.votes.a)
      return `vote a posted on ${voteAt}:${ports.vote}; result on ${resultAt}:${ports.result} counted a ${before.votes.a} -> ${now.votes.a}`;
    await sleep(2000);
  }
  throw new Error(`the vote posted on ${voteAt} was not counted on ${resultAt} within ${timeoutSeconds}s`);
}

const STATE_DIR = process.env.KUBELAB_LOCAL_NODES_DIR || "/var/lib/kubelab/local-nodes";

function cgroupDirs(prefix: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.filter((d) => d.isDirectory())) {
      const full = path.join(dir, e.name);
      if (path.basename(dir) === "kubelab" && e.name.startsWith(prefix)) found.push(full);
      else walk(full, depth + 1);
    }
  };
  walk("/sys/fs/cgroup", 0);
  return found;
}

/** Everything of a stack's local nodes still on the host: processes, mounts, links, cgroups, state. */
export function leftovers(stack: string, bridge: string): string[] {
  const prefix = `${stack}-`;
  const found = processesMatching((cmdline) => cmdline.includes(`--machine=${prefix}`));
  const mounts = fs.readFileSync("/proc/self/mounts", "utf8").split("\n");
  found.push(...mounts.filter((m) => m.includes(path.join(STATE_DIR, prefix))).map((m) => `mount ${m.split(" ")[1]}`));
  const links = fs.readdirSync("/sys/class/net");
  found.push(...links.filter((l) => l === bridge || l.startsWith(`vb-${prefix}`)).map((l) => `link ${l}`));
  found.push(...cgroupDirs(prefix).map((d) => `cgroup ${d}`));
  if (fs.existsSync(STATE_DIR))
    found.push(
      ...fs
        .readdirSync(STATE_DIR)
        .filter((d) => d.startsWith(prefix))
        .map((d) => `state ${d}`),
    );
  return found;
}
