// The bootstrap critical path: the longest chain of dependent remote steps in the recorded graph.
// `pulumi up` runs independent steps in parallel, so this chain — not the node count — sets the
// wall time when the graph is right.
import { RecordedResource } from "../render/mock-runtime";

export type StepKind =
  | "vm"
  | "machine"
  | "scripts"
  | "prepare"
  | "bundle"
  | "init"
  | "token"
  | "join"
  | "registered"
  | "kubeconfig"
  | "addon"
  | "operator"
  | "wait"
  | "object"
  | "app"
  | "verify";

/**
 * Seconds each kind of step takes on a real lab (2 vCPU VMs, a home connection). Package installs
 * and image pulls dominate: prepare downloads containerd and the kube packages, init and join pull
 * control-plane images, the addon and app steps pull their images before pods turn Ready.
 */
export const STEP_SECONDS: Record<StepKind, number> = {
  vm: 60,
  machine: 5,
  scripts: 1,
  prepare: 150,
  // Copying and importing an offline bundle (about 1 GB) over a LAN.
  bundle: 150,
  init: 90,
  token: 3,
  join: 45,
  registered: 5,
  kubeconfig: 2,
  addon: 20,
  // An addon operator starting (image pull) and registering its CRDs.
  operator: 30,
  wait: 90,
  // A Namespace, Service or NetworkPolicy is accepted at once; a Deployment waits for its rollout.
  object: 1,
  app: 60,
  verify: 60,
};

/**
 * Seconds each kind of step took in `npm run e2e` (the `e2e` stack: local machine containers, an
 * offline bundle, flannel; 2 shared cores), read from Pulumi's per-resource times: measured, where
 * STEP_SECONDS is assumed. Kinds that stack does not have (a VM, Calico's operator) keep
 * STEP_SECONDS's figure.
 */
export const MEASURED_LOCAL_OFFLINE_SECONDS: Record<StepKind, number> = {
  ...STEP_SECONDS,
  machine: 4,
  scripts: 0.3,
  prepare: 0.4,
  bundle: 120,
  init: 10,
  token: 0.6,
  join: 8,
  registered: 0.9,
  kubeconfig: 0.5,
  // The flannel chart, its DaemonSet rolled out.
  addon: 22,
  wait: 1,
  object: 0.1,
  app: 11,
  verify: 8,
};

/**
 * The network check grows with the cluster: one batched request round per probe (a pod and a
 * hostNetwork probe on every node), so it adds this much per node on top of STEP_SECONDS.verify.
 */
export const VERIFY_SECONDS_PER_NODE = 1;

const BY_SUFFIX: [RegExp, StepKind][] = [
  [/-vm$/, "vm"],
  [/-machine$/, "machine"],
  [/^scripts-/, "scripts"],
  [/-install-bundle$/, "bundle"],
  [/-prepare$/, "prepare"],
  [/-init$/, "init"],
  [/-join-token$/, "token"],
  [/-join$/, "join"],
  [/-registered$/, "registered"],
  [/-kubeconfig$/, "kubeconfig"],
  [/-wait-ready$/, "wait"],
  [/-wait-crds$/, "operator"],
  [/-collect$/, "verify"],
];

export function stepKind(r: RecordedResource): StepKind | undefined {
  if (r.type === "kubernetes:helm.sh/v4:Chart") return "addon";
  if (r.type.startsWith("kubernetes:") && r.custom) return r.type.endsWith(":Deployment") ? "app" : "object";
  if (!r.type.startsWith("command:")) return undefined;
  return BY_SUFFIX.find(([pattern]) => pattern.test(r.name))?.[1];
}

export interface CriticalPath {
  steps: number;
  seconds: number;
  chain: string[];
}

/** Depending on a component means depending on it and everything inside it (a Helm v4 Chart is a component whose objects live in the provider). */
function expandDependencies(resources: RecordedResource[]): Map<string, Set<string>> {
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.name]);
  const descendants = (name: string): string[] =>
    (children.get(name) ?? []).flatMap((child) => [child, ...descendants(child)]);
  const byName = new Map(resources.map((r) => [r.name, r]));
  return new Map(
    resources.map((r) => [
      r.name,
      new Set(r.dependsOn.flatMap((dep) => (byName.get(dep)?.custom === false ? [dep, ...descendants(dep)] : [dep]))),
    ]),
  );
}

/** Longest chain by weighted time; the step count is that chain's length. */
export function criticalPath(
  resources: RecordedResource[],
  durations: Record<StepKind, number> = STEP_SECONDS,
): CriticalPath {
  const nodeCount = resources.filter((r) => stepKind(r) === "prepare").length;
  const seconds = (kind: StepKind) => durations[kind] + (kind === "verify" ? VERIFY_SECONDS_PER_NODE * nodeCount : 0);
  const deps = expandDependencies(resources);
  const byName = new Map(resources.map((r) => [r.name, r]));
  const memo = new Map<string, CriticalPath>();
  const longest = (name: string, visiting = new Set<string>()): CriticalPath => {
    const cached = memo.get(name);
    if (cached) return cached;
    if (visiting.has(name)) throw new Error(`dependency cycle through ${name}`);
    visiting.add(name);
    let best: CriticalPath = { steps: 0, seconds: 0, chain: [] };
    for (const dep of deps.get(name) ?? []) {
      const candidate = longest(dep, visiting);
      if (candidate.seconds > best.seconds || (candidate.seconds === best.seconds && candidate.steps > best.steps))
        best = candidate;
    }
    visiting.delete(name);
    const kind = byName.has(name) ? stepKind(byName.get(name) as RecordedResource) : undefined;
    const result = kind
      ? { steps: best.steps + 1, seconds: best.seconds + seconds(kind), chain: [...best.chain, `${kind}:${name}`] }
      : best;
    memo.set(name, result);
    return result;
  };
  return resources
    .map((r) => longest(r.name))
    .reduce((a, b) => (b.seconds > a.seconds ? b : a), { steps: 0, seconds: 0, chain: [] });
}
