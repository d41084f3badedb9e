// A small NetworkPolicy evaluator for the tests: which (source, destination pod, port) connections
// the ingress policies of a set of objects allow. It covers what the app uses (podSelector with
// matchLabels, from.podSelector, ports by number or name) and throws on anything else, so a policy
// it cannot judge fails the test rather than passing it.
import { K8sObject } from "../../../policy/types";

type Labels = Record<string, string>;

interface PodPort {
  name?: string;
  containerPort: number;
  protocol: string;
}

export interface Pod {
  /** The pod's `<prefix>/name` label (the tier's name). */
  name: string;
  namespace: string;
  labels: Labels;
  ports: PodPort[];
}

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}

interface IngressRule {
  from?: { podSelector?: Selector; namespaceSelector?: unknown; ipBlock?: unknown }[];
  ports?: { protocol?: string; port?: number | string; endPort?: number }[];
}

interface Policy {
  namespace: string;
  podSelector: Selector;
  policyTypes?: string[];
  ingress?: IngressRule[];
}

/** Not a pod: a client outside the cluster, reaching a pod through a NodePort. */
export const OUTSIDE = "outside";
/** A port no container declares: if it is reachable, isolation is missing. */
export const UNDECLARED_PORT: PodPort = { name: "undeclared", containerPort: 9999, protocol: "TCP" };

export function podsOf(objects: K8sObject[], nameLabel = "app.kubernetes.io/name"): Pod[] {
  return objects
    .filter((o) => o.kind === "Deployment")
    .map((o) => {
      const template = (o.spec as { template: { metadata: { labels: Labels }; spec: { containers: unknown[] } } })
        .template;
      const containers = template.spec.containers as {
        ports?: { name?: string; containerPort: number; protocol?: string }[];
      }[];
      const labels = template.metadata.labels;
      return {
        name: labels[nameLabel],
        namespace: o.metadata?.namespace ?? "default",
        labels,
        ports: containers.flatMap((c) => (c.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? "TCP" }))),
      };
    });
}

function policiesOf(objects: K8sObject[]): Policy[] {
  return objects
    .filter((o) => o.kind === "NetworkPolicy")
    .map((o) => ({ namespace: o.metadata?.namespace ?? "default", ...(o.spec as Omit<Policy, "namespace">) }));
}

function selects(selector: Selector, labels: Labels): boolean {
  if (selector.matchExpressions?.length) throw new Error("evaluator: matchExpressions not supported");
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function peerAllows(rule: IngressRule, source: Pod | typeof OUTSIDE, namespace: string): boolean {
  if (!rule.from || rule.from.length === 0) return true;
  return rule.from.some((peer) => {
    if (peer.namespaceSelector !== undefined || peer.ipBlock !== undefined) {
      throw new Error("evaluator: namespaceSelector and ipBlock peers not supported");
    }
    if (!peer.podSelector) throw new Error("evaluator: empty peer");
    return source !== OUTSIDE && source.namespace === namespace && selects(peer.podSelector, source.labels);
  });
}

function portAllows(rule: IngressRule, port: PodPort): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some((p) => {
    if (p.endPort !== undefined) throw new Error("evaluator: endPort not supported");
    if ((p.protocol ?? "TCP") !== port.protocol) return false;
    return p.port === undefined || p.port === port.containerPort || (port.name !== undefined && p.port === port.name);
  });
}

/** Kubernetes semantics: a pod no Ingress policy selects takes everything; otherwise the union of the rules. */
export function allows(policies: Policy[], source: Pod | typeof OUTSIDE, dest: Pod, port: PodPort): boolean {
  const isolating = policies.filter(
    (p) =>
      p.namespace === dest.namespace &&
      (p.policyTypes ?? ["Ingress"]).includes("Ingress") &&
      selects(p.podSelector, dest.labels),
  );
  if (isolating.length === 0) return true;
  return isolating.some((p) =>
    (p.ingress ?? []).some((rule) => peerAllows(rule, source, p.namespace) && portAllows(rule, port)),
  );
}

/**
 * Allowed edges as `source->dest:port`, over every pod's declared ports plus UNDECLARED_PORT.
 * A port open to every source (every pod and the outside) is written once as `*->dest:port`.
 */
export function allowedEdges(objects: K8sObject[], nameLabel?: string): string[] {
  const pods = podsOf(objects, nameLabel);
  const policies = policiesOf(objects);
  const sources: (Pod | typeof OUTSIDE)[] = [OUTSIDE, ...pods];
  const edges: string[] = [];
  for (const dest of pods) {
    for (const port of [...dest.ports, UNDECLARED_PORT]) {
      const from = sources.filter((s) => allows(policies, s, dest, port)).map((s) => (s === OUTSIDE ? s : s.name));
      const target = `${dest.name}:${port.containerPort}`;
      if (from.length === sources.length) edges.push(`*->${target}`);
      else edges.push(...from.map((s) => `${s}->${target}`));
    }
  }
  return edges.sort();
}
