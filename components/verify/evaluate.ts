// Judges the collector's observations against the Kubernetes networking model: one result per
// requirement, each naming the pairs, nodes or Services that break it. Pure: no I/O.
import { Address6 } from "ip-address";
import { cidrContains, parseCidr, parseIp } from "../../lib/cidr";
import { Observations, ObservedNode, PodToPodObservation } from "./observations";

export type RequirementId =
  "pod-cidr" | "pod-to-pod-no-nat" | "node-to-pod" | "service-dns" | "nodeport-every-node" | "service-ip-in-cidr";

/** The requirements in report order, with the rule each one proves. */
export const REQUIREMENTS: { id: RequirementId; rule: string }[] = [
  { id: "pod-cidr", rule: "every pod address lies in the pod CIDR and in its node's PodCIDR" },
  { id: "pod-to-pod-no-nat", rule: "every pod reaches every pod on other nodes, seen with its own IP (no NAT)" },
  { id: "node-to-pod", rule: "every node reaches every pod" },
  { id: "service-dns", rule: "every app Service resolves by name and accepts connections" },
  { id: "nodeport-every-node", rule: "every NodePort answers on every node address" },
  { id: "service-ip-in-cidr", rule: "Service IPs lie in the service CIDR" },
];

export interface RequirementResult {
  requirement: RequirementId;
  ok: boolean;
  summary: string;
  /** What breaks the requirement (pairs, nodes, Services); notes prefixed "not enforced:" never fail it. */
  evidence: string[];
}

export interface NetworkReport {
  ok: boolean;
  requirements: RequirementResult[];
}

export interface VerifyPlan {
  podCidr: string;
  serviceCidr: string;
  /**
   * Whether each pod IP must also lie in its node's `.spec.podCIDR`. Flannel allocates from it;
   * Calico's and Cilium's default IPAM carve their own blocks out of the pool.
   * @default true
   */
  requireNodePodCidr?: boolean;
}

/** Canonical text of an address, so "fd00::0:1" and "fd00::1" compare equal; undefined if not an IP. */
export function canonicalIp(text: string): string | undefined {
  const parsed = parseIp(text);
  if (!parsed) return undefined;
  return parsed.family === 4 ? parsed.address.address : (parsed.address as Address6).correctForm();
}

/** The host part of netexec's /clientip answer ("10.244.1.7:41234", "[fd00::7]:41234" or a bare IP). */
export function clientHost(answer: string): string {
  const text = answer.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return bracketed[1];
  // The common IPv4 "address:port" answer, without a failed IPv6 parse per pair.
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  if (ipv4WithPort) return ipv4WithPort[1];
  if (canonicalIp(text)) return text;
  const colon = text.lastIndexOf(":");
  return colon > 0 ? text.slice(0, colon) : text;
}

function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  return !!a && !!b && a.prefix >= b.prefix && cidrContains(outer, a.network);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : word.endsWith("s") ? "es" : "s"}`;

function result(requirement: RequirementId, evidence: string[], pass: string, fail: string): RequirementResult {
  const failing = evidence.filter((e) => !e.startsWith("not enforced:"));
  return { requirement, ok: failing.length === 0, summary: failing.length === 0 ? pass : fail, evidence };
}

/** Nodes that cannot take part in pod checks: not registered, or their probe pod has no IP. */
function probeGaps(obs: Observations): string[] {
  return obs.nodes.flatMap((node) => {
    if (!node.registered)
      return [`node ${node.name} (${node.address || "no address"}) is not registered in the cluster`];
    const probe = obs.probes.find((p) => p.node === node.name);
    if (!probe) return [`node ${node.name} has no probe pod`];
    return probe.ip ? [] : [`node ${node.name}: probe pod ${probe.pod} has no IP (ready: ${probe.ready})`];
  });
}

function podCidrCheck(obs: Observations, plan: VerifyPlan): RequirementResult {
  const strict = plan.requireNodePodCidr ?? true;
  const note = (text: string) => (strict ? text : `not enforced: ${text}`);
  const evidence = probeGaps(obs);
  const nodes = new Map<string, ObservedNode>(obs.nodes.map((n) => [n.name, n]));
  for (const node of obs.nodes.filter((n) => n.registered)) {
    if (!node.podCIDR) evidence.push(note(`node ${node.name} has no PodCIDR (.spec.podCIDR is empty)`));
    else if (!cidrWithin(node.podCIDR, plan.podCidr))
      evidence.push(note(`node ${node.name}: PodCIDR ${node.podCIDR} is outside the pod CIDR ${plan.podCidr}`));
  }
  const withIp = obs.probes.filter((p) => p.ip);
  for (const probe of withIp) {
    const where = `${probe.pod} on ${probe.node}: ${probe.ip}`;
    if (!cidrContains(plan.podCidr, probe.ip)) evidence.push(`${where} is outside the pod CIDR ${plan.podCidr}`);
    const nodeCidr = nodes.get(probe.node)?.podCIDR;
    if (nodeCidr && !cidrContains(nodeCidr, probe.ip))
      evidence.push(note(`${where} is outside its node's PodCIDR ${nodeCidr}`));
  }
  const scope = strict ? ` and their nodes' PodCIDRs` : "";
  return result(
    "pod-cidr",
    evidence,
    `${plural(withIp.length, "probe pod IP")} inside ${plan.podCidr}${scope}`,
    `${plural(evidence.filter((e) => !e.startsWith("not enforced:")).length, "pod address problem")}`,
  );
}

function pairLabel(p: Pick<PodToPodObservation, "from" | "to" | "fromIp" | "toIp">): string {
  return `${p.from} (${p.fromIp}) -> ${p.to} (${p.toIp})`;
}

const pairKey = (from: string, to: string) => `${from}\u0000${to}`;

/** The first observation of each (from, to) pair, as the former linear search found it. */
function byPair<T extends { from: string; to: string }>(observations: T[]): Map<string, T> {
  const index = new Map<string, T>();
  for (const o of observations) if (!index.has(pairKey(o.from, o.to))) index.set(pairKey(o.from, o.to), o);
  return index;
}

function podToPodCheck(obs: Observations): RequirementResult {
  const gaps = probeGaps(obs);
  const evidence = [...gaps];
  const pods = obs.probes.filter((p) => p.ip);
  // Indexed once: a 200-node lab has 40,000 ordered pairs.
  const observed = byPair(obs.podToPod);
  let nat = 0;
  let silent = 0;
  let pairs = 0;
  for (const from of pods) {
    const fromIp = canonicalIp(from.ip);
    for (const to of pods.filter((p) => p.node !== from.node)) {
      pairs++;
      const seen = observed.get(pairKey(from.node, to.node));
      const label = pairLabel({ from: from.node, to: to.node, fromIp: from.ip, toIp: to.ip });
      if (!seen) {
        silent++;
        evidence.push(`${label}: not observed`);
      } else if (!seen.clientIp) {
        silent++;
        evidence.push(`${label}: no answer${seen.error ? ` (${seen.error})` : ""}`);
      } else if (canonicalIp(clientHost(seen.clientIp)) !== fromIp) {
        nat++;
        evidence.push(`${label}: server saw ${clientHost(seen.clientIp)}, not ${from.ip} (source NAT on the path)`);
      }
    }
  }
  const pass =
    pairs === 0
      ? "no cross-node pair to check (fewer than two nodes run a probe pod)"
      : `${plural(pairs, "cross-node pair")}, each seen with the caller's own pod IP`;
  const fail =
    nat + silent > 0
      ? `${nat} seen through NAT, ${silent} without answer, of ${plural(pairs, "cross-node pair")}`
      : `${plural(gaps.length, "node")} without a probe pod: their pairs are unproven`;
  return result("pod-to-pod-no-nat", evidence, pass, fail);
}

function nodeToPodCheck(obs: Observations): RequirementResult {
  const evidence = probeGaps(obs);
  const pods = obs.probes.filter((p) => p.ip);
  const observed = byPair(obs.nodeToPod);
  let tried = 0;
  for (const host of obs.hostProbes) {
    if (!host.ready) evidence.push(`hostNetwork probe ${host.pod} on ${host.node} is not Ready`);
    for (const pod of pods) {
      tried++;
      const seen = observed.get(pairKey(host.node, pod.node));
      if (!seen?.hostname)
        evidence.push(`node ${host.node} -> ${pod.pod} (${pod.ip}): no answer${seen?.error ? ` (${seen.error})` : ""}`);
    }
  }
  const missing = obs.nodes.filter((n) => n.registered && !obs.hostProbes.some((h) => h.node === n.name));
  for (const node of missing) evidence.push(`node ${node.name} has no hostNetwork probe`);
  return result(
    "node-to-pod",
    evidence,
    `${plural(obs.hostProbes.length, "node")} reached all ${plural(pods.length, "probe pod")}`,
    `${plural(evidence.length, "problem")} across ${plural(tried, "node-to-pod request")}`,
  );
}

function serviceDnsCheck(obs: Observations): RequirementResult {
  const evidence: string[] = [];
  for (const svc of obs.services) {
    const id = `${svc.namespace}/${svc.name}`;
    const resolved = svc.resolved.map((ip) => canonicalIp(ip) ?? ip);
    if (resolved.length === 0) {
      evidence.push(`${id}: ${svc.fqdn} did not resolve${svc.error ? ` (${svc.error})` : ""}`);
    } else if (canonicalIp(svc.clusterIp) && !resolved.includes(canonicalIp(svc.clusterIp)!)) {
      evidence.push(`${id}: ${svc.fqdn} resolved to ${resolved.join(", ")}, but its ClusterIP is ${svc.clusterIp}`);
    }
    if (!svc.connected)
      evidence.push(`${id}: TCP connect to ${svc.fqdn}:${svc.port} failed${svc.error ? ` (${svc.error})` : ""}`);
  }
  const bad = new Set(evidence.map((e) => e.split(":")[0])).size;
  return result(
    "service-dns",
    evidence,
    obs.services.length === 0
      ? "no app Services to check"
      : `${plural(obs.services.length, "Service")} resolved and accepted a TCP connect`,
    `${bad} of ${plural(obs.services.length, "Service")} failed to resolve or connect`,
  );
}

function nodePortCheck(obs: Observations): RequirementResult {
  const evidence: string[] = [];
  const targets = obs.nodes;
  for (const np of obs.nodePorts) {
    const id = `${np.namespace}/${np.name}:${np.nodePort}`;
    for (const node of targets) {
      const answer = np.answers.find((a) => a.node === node.name);
      const where = `${node.name} (${node.address || "no address"})`;
      if (!answer) evidence.push(`${id} was not tried on ${where}`);
      else if (answer.httpStatus < 100 || answer.httpStatus > 599)
        evidence.push(
          `${id} silent on ${where}${answer.from ? `, asked from ${answer.from}` : ""}${answer.error ? ` (${answer.error})` : ""}`,
        );
    }
  }
  const total = obs.nodePorts.length * targets.length;
  return result(
    "nodeport-every-node",
    evidence,
    obs.nodePorts.length === 0
      ? "no NodePort Services to check"
      : `${plural(obs.nodePorts.length, "NodePort")} answered on all ${plural(targets.length, "node address")}`,
    `${evidence.length} of ${total} NodePort/node combinations did not answer`,
  );
}

function serviceIpCheck(obs: Observations, plan: VerifyPlan): RequirementResult {
  const evidence: string[] = [];
  const ips = [
    { id: "default/kubernetes", ip: obs.kubernetesServiceIp },
    ...[...obs.services, ...obs.nodePorts]
      .filter((s) => s.clusterIp && s.clusterIp !== "None")
      .map((s) => ({ id: `${s.namespace}/${s.name}`, ip: s.clusterIp })),
  ];
  for (const { id, ip } of ips) {
    if (!ip) evidence.push(`could not read the ClusterIP of ${id}`);
    else if (!cidrContains(plan.serviceCidr, ip))
      evidence.push(`${id}: ClusterIP ${ip} is outside the service CIDR ${plan.serviceCidr}`);
  }
  return result(
    "service-ip-in-cidr",
    evidence,
    `kubernetes Service at ${obs.kubernetesServiceIp}${ips.length > 1 ? ` and ${plural(ips.length - 1, "app Service")}` : ""} inside ${plan.serviceCidr}`,
    `${plural(evidence.length, "Service IP")} outside ${plan.serviceCidr} or unreadable`,
  );
}

export function evaluate(obs: Observations, plan: VerifyPlan): NetworkReport {
  const requirements = [
    podCidrCheck(obs, plan),
    podToPodCheck(obs),
    nodeToPodCheck(obs),
    serviceDnsCheck(obs),
    nodePortCheck(obs),
    serviceIpCheck(obs, plan),
  ];
  return { ok: requirements.every((r) => r.ok), requirements };
}

/** A report for observations that could not be read: every requirement unproven. */
export function unreadableReport(message: string): NetworkReport {
  const requirements = REQUIREMENTS.map(({ id }) => ({
    requirement: id,
    ok: false,
    summary: "not checked: the observations could not be read",
    evidence: [message],
  }));
  return { ok: false, requirements };
}

export function formatReport(report: NetworkReport): string {
  const holding = report.requirements.filter((r) => r.ok).length;
  const width = Math.max(...REQUIREMENTS.map((r) => r.id.length));
  const lines = [
    `network model: ${report.ok ? "OK" : "FAILED"} (${holding} of ${report.requirements.length} requirements hold)`,
  ];
  for (const r of report.requirements) {
    lines.push(`  ${r.ok ? "PASS" : "FAIL"} ${r.requirement.padEnd(width)}  ${r.summary}`);
    for (const e of r.evidence) lines.push(`       - ${e}`);
  }
  return lines.join("\n");
}
