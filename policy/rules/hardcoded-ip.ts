// Pods come and go with new addresses and a ClusterIP changes when its Service is recreated; the
// stable handle is the service name. This rule finds addresses written into containers instead.
import { cidrContains, parseIp } from "../../lib/cidr";
import { arr, matchesMap, nameOf, namespaceOf, rec, serviceDnsName, str, violation } from "../k8s";
import { ObjectIndex, ObjectRule, buildIndex } from "../object-index";
import { Container, PodTemplate } from "../pod-templates";
import { NetworkPlan, Violation } from "../types";

// Dotted quads not embedded in a longer dotted number (versions) and not a CIDR (a range is config, not a peer).
const IPV4 = /(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.]|\/\d)/g;

export function ipv4Literals(text: string): string[] {
  return [...text.matchAll(IPV4)].map((m) => m[1]).filter((ip) => parseIp(ip)?.family === 4);
}

function exempt(ip: string): boolean {
  return ip === "0.0.0.0" || cidrContains("127.0.0.0/8", ip);
}

function podIpsOf(object: Record<string, unknown>): string[] {
  const status = rec(object.status);
  const ips = [str(status?.podIP), ...arr(status?.podIPs).map((p) => str(rec(p)?.ip))];
  return ips.filter((ip): ip is string => !!ip);
}

/** Addresses the input itself ties to a Service: ClusterIPs, Endpoints, EndpointSlices and selected pods. */
function addressBook(index: ObjectIndex): Map<string, string> {
  const book = new Map<string, string>();
  for (const svc of index.services) {
    for (const ip of svc.clusterIPs) book.set(ip, serviceDnsName(svc.name, svc.namespace));
  }
  for (const { object } of index.objects) {
    const ns = namespaceOf(object);
    if (object.kind === "Endpoints") {
      const ips = arr(object.subsets).flatMap((s) => arr(rec(s)?.addresses).map((a) => str(rec(a)?.ip)));
      for (const ip of ips) if (ip && !book.has(ip)) book.set(ip, serviceDnsName(nameOf(object), ns));
    }
    const owner = object.metadata?.labels?.["kubernetes.io/service-name"];
    if (object.kind === "EndpointSlice" && typeof owner === "string") {
      const ips = arr(object.endpoints).flatMap((e) => arr(rec(e)?.addresses).map(str));
      for (const ip of ips) if (ip && !book.has(ip)) book.set(ip, serviceDnsName(owner, ns));
    }
    if (object.kind === "Pod") {
      const labels = object.metadata?.labels ?? {};
      const svc = index.services.find((s) => s.namespace === ns && matchesMap(labels, s.selector ?? {}));
      for (const ip of podIpsOf(object)) if (svc && !book.has(ip)) book.set(ip, serviceDnsName(svc.name, ns));
    }
  }
  return book;
}

function advice(ip: string, plan: NetworkPlan, book: Map<string, string>): string {
  const known = book.get(ip);
  const generic = "<service>.<namespace>.svc.cluster.local";
  if (plan.serviceCidr && cidrContains(plan.serviceCidr, ip)) {
    return (
      `it is a ClusterIP in the service CIDR ${plan.serviceCidr}, which changes when the Service is recreated; ` +
      `use the service name ${known ?? `(${generic})`} instead`
    );
  }
  if (plan.podCidr && cidrContains(plan.podCidr, ip)) {
    return (
      `it is a pod address in the pod CIDR ${plan.podCidr}, which changes every time the pod is recreated; ` +
      (known ? `use the service name ${known} instead` : `put a Service in front of those pods and use its name`)
    );
  }
  if (known) return `it belongs to a Service; use the service name ${known} instead`;
  return (
    `reach in-cluster workloads by service name (${generic}); for a server outside the cluster add an ` +
    `ExternalName Service or a Service with an EndpointSlice so pods still use a name`
  );
}

function literalsOf(c: Container): { where: string; ip: string }[] {
  const found: { where: string; ip: string }[] = [];
  for (const e of c.env) {
    for (const ip of ipv4Literals(e.value ?? "")) found.push({ where: `env ${e.name}="${e.value}"`, ip });
  }
  for (const [field, values] of [
    ["command", c.command],
    ["args", c.args],
  ] as const) {
    for (const value of values) for (const ip of ipv4Literals(value)) found.push({ where: `${field} "${value}"`, ip });
  }
  return found.filter((f) => !exempt(f.ip));
}

function templateViolations(t: PodTemplate, plan: NetworkPlan, book: () => Map<string, string>): Violation[] {
  return [...t.initContainers, ...t.containers].flatMap((c) =>
    literalsOf(c).map(({ where, ip }) =>
      violation(
        "hardcoded-ip",
        "error",
        t.source,
        `container "${c.name}" ${where} hardcodes the address ${ip}: ${advice(ip, plan, book())}`,
        t.resource,
      ),
    ),
  );
}

/** `hardcoded-ip`: IPv4 literals in env values, commands and args instead of service DNS names. */
export const hardcodedIp: ObjectRule = (objects, plan, index = buildIndex(objects)) => {
  let book: Map<string, string> | undefined;
  const lazyBook = () => (book ??= addressBook(index));
  return index.templates.flatMap((t) => templateViolations(t, plan, lazyBook));
};
