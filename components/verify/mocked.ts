// Plausible output of the network check for offline runs (render, tests, bench): a healthy
// cluster as network-check.sh would describe it, built from the check step's own settings.
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { parse } from "shell-quote";
import { nthAddress, nthSubnet, parseCidr } from "../../lib/cidr";
import { MockedOutput } from "../mocked-output";
import { Observations } from "./observations";
import {
  collectorEnv,
  DEFAULT_PROBE_IMAGE,
  DEFAULT_PROBE_NAMESPACE,
  NetworkCheckSettings,
  nodeAddressList,
  parseNodeAddressList,
  parseNodePortList,
  parseServiceList,
} from "./targets";

/** The `K=V` assignments of `sudo -n env K=V ... bash -c '<script>'`, unquoted. */
export function commandEnv(commandText: string): Record<string, string> {
  const start = commandText.indexOf("sudo -n env ");
  if (start < 0) return {};
  const env: Record<string, string> = {};
  for (const token of parse(commandText.slice(start + "sudo -n env ".length))) {
    if (typeof token !== "string" || token === "bash") break;
    const at = token.indexOf("=");
    if (at > 0) env[token.slice(0, at)] = token.slice(at + 1);
  }
  return env;
}

const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

export interface MockRanges {
  /** @default "10.244.0.0/16" */
  podCidr?: string;
  /** @default "10.96.0.0/12" */
  serviceCidr?: string;
}

/** Every requirement holds: pods in per-node ranges, no NAT, every NodePort answering everywhere. */
export function plausibleObservations(env: Record<string, string>, ranges: MockRanges = {}): Observations {
  const podCidr = parseCidr(ranges.podCidr ?? "") ? ranges.podCidr! : "10.244.0.0/16";
  const serviceCidr = parseCidr(ranges.serviceCidr ?? "") ? ranges.serviceCidr! : "10.96.0.0/12";
  const nodes = parseNodeAddressList(env.NODE_ADDRESSES).map((n, i) => ({
    ...n,
    podCIDR: nthSubnet(podCidr, i),
    registered: true,
  }));
  const probes = nodes.map((n) => ({ node: n.name, pod: `pod-${n.name}`, ip: nthAddress(n.podCIDR, 10), ready: true }));
  const client = probes[0]?.pod ?? "";
  const namespace = env.PROBE_NAMESPACE || DEFAULT_PROBE_NAMESPACE;
  return {
    version: 1,
    namespace,
    probeImage: env.PROBE_IMAGE || DEFAULT_PROBE_IMAGE,
    clusterDomain: "cluster.local",
    kubernetesServiceIp: nthAddress(serviceCidr, 1),
    nodes,
    probes,
    hostProbes: nodes.map((n) => ({ node: n.name, pod: `host-${n.name}`, ready: true })),
    podToPod: probes.flatMap((from) =>
      probes
        .filter((to) => to.node !== from.node)
        .map((to) => ({
          from: from.node,
          to: to.node,
          fromIp: from.ip,
          toIp: to.ip,
          clientIp: hostPort(from.ip, 40000),
          error: "",
        })),
    ),
    nodeToPod: nodes.flatMap((from) =>
      probes.map((to) => ({ from: from.name, to: to.node, toIp: to.ip, hostname: to.pod, error: "" })),
    ),
    services: parseServiceList(env.SERVICES).map((s, i) => {
      const clusterIp = nthAddress(serviceCidr, 100 + i);
      const fqdn = `${s.name}.${s.namespace}.svc.cluster.local`;
      return { ...s, fqdn, clusterIp, resolved: [clusterIp], connected: true, from: client, error: "" };
    }),
    nodePorts: parseNodePortList(env.NODEPORTS).map((np, i) => ({
      ...np,
      clusterIp: nthAddress(serviceCidr, 200 + i),
      answers: nodes.map((n, j) => ({
        node: n.name,
        address: n.address,
        from: nodes[(j + 1) % nodes.length].name,
        httpStatus: 200,
        error: "",
      })),
    })),
  };
}

/** The settings a gate command (`... gate.ts '<settings JSON>'`) carries as its last word. */
export function gateSettings(commandText: string): NetworkCheckSettings | undefined {
  const words = parse(commandText.split("\n").slice(1).join("\n")).filter((t): t is string => typeof t === "string");
  try {
    return JSON.parse(words[words.length - 1] ?? "") as NetworkCheckSettings;
  } catch {
    return undefined;
  }
}

/** What network-check.sh would observe for the gate command's settings on a healthy cluster. */
export function gateObservations(commandText: string): Observations {
  const settings = gateSettings(commandText);
  if (!settings) return plausibleObservations({});
  const env = {
    ...collectorEnv(settings),
    NODE_ADDRESSES: nodeAddressList(settings.nodes),
  };
  return plausibleObservations(env, { podCidr: settings.podCidr, serviceCidr: settings.serviceCidr });
}

export const mockedOutputs: MockedOutput[] = [
  {
    suffix: "-collect",
    produce: (args: MockResourceArgs) => {
      const create = typeof args.inputs.create === "string" ? args.inputs.create : "";
      return { stdout: `${JSON.stringify(gateObservations(create))}\n`, stderr: "" };
    },
  },
];
