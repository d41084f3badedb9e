// The wrapper module that builds k8s.io/kubernetes binaries from the Go module proxy.
//
// k8s.io/kubernetes requires its staging repositories at v0.0.0 and replaces them with
// ./staging/src/k8s.io/<name>; a dependency's replace directives are ignored, so a module that
// imports k8s.io/kubernetes must route each one to its published tag itself
// (kubernetes/kubernetes#79384): k8s.io/<name> v0.<minor>.<patch> for Kubernetes v1.<minor>.<patch>.

/** The parts of `go mod edit -json` this generator reads. */
export interface GoModJson {
  Go?: string | null;
  Require?: { Path: string; Version: string }[] | null;
  Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[] | null;
}

/** The binaries kubelab's nodes and images need, as package paths inside k8s.io/kubernetes. */
export const KUBERNETES_TOOLS = [
  "cmd/kubeadm",
  "cmd/kubelet",
  "cmd/kubectl",
  "cmd/kube-apiserver",
  "cmd/kube-controller-manager",
  "cmd/kube-scheduler",
  "cmd/kube-proxy",
  "test/images/agnhost",
].map((p) => `k8s.io/kubernetes/${p}`);

const EXACT_VERSION = /^v(\d+)\.(\d+)\.(\d+)$/;

/** "1.36.3" or "v1.36.3" -> "v1.36.3"; anything else is an error that says what is accepted. */
export function kubernetesPatch(input: string): string {
  const v = input.startsWith("v") ? input : `v${input}`;
  const m = EXACT_VERSION.exec(v);
  if (!m || m[1] !== "1") {
    throw new Error(`--kubernetes ${JSON.stringify(input)}: expected an exact Kubernetes patch such as 1.36.3`);
  }
  return v;
}

/** The staging modules' tag for a Kubernetes patch: v1.36.3 -> v0.36.3. */
export function stagingVersion(kubernetesVersion: string): string {
  const m = EXACT_VERSION.exec(kubernetesPatch(kubernetesVersion));
  return `v0.${m![2]}.${m![3]}`;
}

/** Staging modules the upstream go.mod both requires and replaces with a local ./staging path. */
export function requiredStagingModules(upstream: GoModJson): string[] {
  const local = new Set(
    (upstream.Replace ?? []).filter((r) => r.New.Path.startsWith("./staging/")).map((r) => r.Old.Path),
  );
  return (upstream.Require ?? [])
    .map((r) => r.Path)
    .filter((p) => local.has(p))
    .sort();
}

function patchOf(version: string): [number, number] | undefined {
  const m = /^v0\.(\d+)\.(\d+)$/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * The served version closest to `wanted` within the same minor (a tie goes to the newer patch);
 * `wanted` itself when it is served or when nothing is known about what is served.
 * A module missing at one patch (the proxy here has k8s.io/sample-apiserver v0.36.4 but not v0.36.3)
 * is only needed for its go.mod, so a neighbouring patch is as good.
 */
export function nearestServed(wanted: string, served: string[] | undefined): string {
  if (!served || served.includes(wanted)) return wanted;
  const [minor, patch] = patchOf(wanted)!;
  const candidates = served
    .map((v) => ({ v, p: patchOf(v) }))
    .filter((c): c is { v: string; p: [number, number] } => c.p !== undefined && c.p[0] === minor)
    .sort((a, b) => Math.abs(a.p[1] - patch) - Math.abs(b.p[1] - patch) || b.p[1] - a.p[1]);
  if (candidates.length === 0) {
    throw new Error(
      `no published version of minor v0.${minor} is served (wanted ${wanted}; served: ${served.join(" ")})`,
    );
  }
  return candidates[0].v;
}

/** `godebug` lines (single or block form) copied verbatim, so the binaries keep upstream's GODEBUG defaults. */
export function godebugLines(goModText: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of goModText.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (inBlock) {
      if (line === ")") inBlock = false;
      else if (line) out.push(`godebug ${line}`);
    } else if (/^godebug\s*\($/.test(line)) inBlock = true;
    else if (/^godebug\s+\S/.test(line)) out.push(line.replace(/\s+/g, " "));
  }
  return out;
}

export interface WrapperArgs {
  kubernetesVersion: string;
  upstream: GoModJson;
  upstreamText: string;
  /** Versions the proxy serves per staging module path; omitted modules are assumed served. */
  served?: Record<string, string[]>;
  tools?: string[];
}

/** The wrapper go.mod text; `go mod tidy` then adds every indirect requirement and go.sum. */
export function kubernetesWrapperGoMod(args: WrapperArgs): string {
  const kv = kubernetesPatch(args.kubernetesVersion);
  const sv = stagingVersion(kv);
  const staging = requiredStagingModules(args.upstream);
  if (staging.length === 0) throw new Error(`k8s.io/kubernetes ${kv}: its go.mod replaces no staging module`);
  const tools = args.tools ?? KUBERNETES_TOOLS;
  const lines = [
    `// Generated for k8s.io/kubernetes ${kv}: every staging module it replaces with a local path`,
    `// is routed to its published version instead. Do not edit; regenerate.`,
    "module kubelab.local/bundle/kubernetes",
    "",
    `go ${args.upstream.Go ?? "1.26.0"}`,
    "",
    ...godebugLines(args.upstreamText),
    "",
    "tool (",
    ...tools.map((t) => `\t${t}`),
    ")",
    "",
    `require k8s.io/kubernetes ${kv}`,
    "",
    "replace (",
    ...staging.map((p) => `\t${p} => ${p} ${nearestServed(sv, args.served?.[p])}`),
    ")",
    "",
  ];
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}
