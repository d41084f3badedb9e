// What the network check is aimed at, and how that reaches network-check.sh as env values.
// Shared by the NetworkCheck component, its mocked outputs and `npm run verify`.
import { isCidr } from "../../lib/cidr";
import type { CheckHost } from "./collect";
import { Cni } from "../../policy/types";
import { VerifyPlan } from "./evaluate";

/** A ClusterIP Service of the app, checked by DNS name and TCP connect. */
export interface ServiceTarget {
  name: string;
  namespace: string;
  port: number;
}

/** A NodePort Service, asked for on every node address. */
export interface NodePortTarget {
  name: string;
  namespace: string;
  nodePort: number;
}

export interface NodeAddress {
  name: string;
  address: string;
}

/** Pinned: the tag checked against kubernetes/test/images/agnhost/VERSION. */
export const DEFAULT_PROBE_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.66.1";
export const DEFAULT_PROBE_NAMESPACE = "kubelab-netcheck";
export const DEFAULT_TIMEOUT_SECONDS = 180;
export const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";

/**
 * Everything needed to run the check again later (`npm run verify`); NetworkCheck exposes it
 * and the program exports it as the stack output `networkCheck`.
 */
export interface NetworkCheckSettings {
  nodes: NodeAddress[];
  services: ServiceTarget[];
  nodePorts: NodePortTarget[];
  podCidr: string;
  serviceCidr: string;
  requireNodePodCidr: boolean;
  mode: "enforce" | "report";
  probeImage: string;
  namespace: string;
  timeoutSeconds: number;
  /** The first control plane the check runs on, and how SSH reaches it (the key stays in config). */
  via: CheckHost;
}

/** Flannel allocates pod IPs from each node's `.spec.podCIDR`; Calico and Cilium IPAM use their own blocks. */
export function nodePodCidrEnforced(cni: Cni | undefined): boolean {
  return cni === undefined || cni === "flannel";
}

export function planOf(
  settings: Pick<NetworkCheckSettings, "podCidr" | "serviceCidr" | "requireNodePodCidr">,
): VerifyPlan {
  return {
    podCidr: settings.podCidr,
    serviceCidr: settings.serviceCidr,
    requireNodePodCidr: settings.requireNodePodCidr,
  };
}

export const serviceList = (services: ServiceTarget[]) =>
  services.map((s) => `${s.namespace}/${s.name}:${s.port}`).join(" ");
export const nodePortList = (nodePorts: NodePortTarget[]) =>
  nodePorts.map((s) => `${s.namespace}/${s.name}:${s.nodePort}`).join(" ");
export const nodeAddressList = (nodes: NodeAddress[]) => nodes.map((n) => `${n.name}=${n.address}`).join(" ");

const words = (text: string | undefined) => (text ?? "").split(/\s+/).filter(Boolean);

function splitRef(entry: string): { namespace: string; name: string; port: number } {
  const match = /^([^/]+)\/([^:]+):(\d+)$/.exec(entry);
  if (!match) throw new Error(`expected namespace/name:port, got "${entry}"`);
  return { namespace: match[1], name: match[2], port: Number(match[3]) };
}

export const parseServiceList = (text: string | undefined): ServiceTarget[] => words(text).map(splitRef);
export const parseNodePortList = (text: string | undefined): NodePortTarget[] =>
  words(text)
    .map(splitRef)
    .map(({ namespace, name, port }) => ({ namespace, name, nodePort: port }));
export const parseNodeAddressList = (text: string | undefined): NodeAddress[] =>
  words(text).map((entry) => {
    const at = entry.indexOf("=");
    if (at <= 0) throw new Error(`expected name=address, got "${entry}"`);
    return { name: entry.slice(0, at), address: entry.slice(at + 1) };
  });

/** The env of network-check.sh (all but the kubeconfig path and node addresses, which vary by caller). */
export function collectorEnv(
  settings: Pick<NetworkCheckSettings, "services" | "nodePorts" | "probeImage" | "namespace" | "timeoutSeconds">,
): Record<string, string> {
  return {
    PROBE_IMAGE: settings.probeImage,
    PROBE_NAMESPACE: settings.namespace,
    SERVICES: serviceList(settings.services),
    NODEPORTS: nodePortList(settings.nodePorts),
    TIMEOUT_SECONDS: String(settings.timeoutSeconds),
  };
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const image = /^[A-Za-z0-9./:@_-]+$/;
const validPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

/** Every problem with the check's targets, each naming the field, the value and what is accepted. */
export function targetProblems(
  input: Omit<NetworkCheckSettings, "nodes" | "requireNodePodCidr" | "mode" | "via"> & { nodeNames: string[] },
): string[] {
  const problems: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  for (const [field, value] of [
    ["podCidr", input.podCidr],
    ["serviceCidr", input.serviceCidr],
  ] as const)
    if (!isCidr(value)) problems.push(`${field} = ${show(value)}: must be a CIDR such as 10.244.0.0/16`);
  if (input.nodeNames.length === 0) problems.push("nodes = []: the check needs at least one node");
  for (const name of input.nodeNames)
    if (!dnsSubdomain.test(name)) problems.push(`nodes: name ${show(name)} must be an RFC 1123 host name`);
  input.services.forEach((s, i) => {
    if (!dnsLabel.test(s.name) || !dnsLabel.test(s.namespace))
      problems.push(`services[${i}] = ${show(`${s.namespace}/${s.name}`)}: namespace and name must be DNS labels`);
    if (!validPort(s.port)) problems.push(`services[${i}].port = ${show(s.port)}: must be 1-65535`);
  });
  input.nodePorts.forEach((s, i) => {
    if (!dnsLabel.test(s.name) || !dnsLabel.test(s.namespace))
      problems.push(`nodePorts[${i}] = ${show(`${s.namespace}/${s.name}`)}: namespace and name must be DNS labels`);
    if (!validPort(s.nodePort)) problems.push(`nodePorts[${i}].nodePort = ${show(s.nodePort)}: must be 1-65535`);
  });
  if (!image.test(input.probeImage))
    problems.push(`probeImage = ${show(input.probeImage)}: must be an image reference`);
  if (!dnsLabel.test(input.namespace)) problems.push(`namespace = ${show(input.namespace)}: must be a DNS label`);
  if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds < 1)
    problems.push(`timeoutSeconds = ${show(input.timeoutSeconds)}: must be a positive whole number of seconds`);
  return problems;
}
