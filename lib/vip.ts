// `kubelab:nodes.vip`: the virtual IP kube-vip holds on one control plane at a time, which becomes
// controlPlaneEndpoint. Which addresses may carry it, and the `auto` choice for node sources whose
// addresses kubelab knows before any machine exists.
import { Address4 } from "ip-address";
import { cidrContains, parseCidr } from "./cidr";
import type { ConfigProblem } from "./config-checks";
import { planLocalNetwork } from "./local-nodes";

export const VIP_AUTO = "auto";

export type NodeSource = "static" | "multipass" | "local";

export interface VipInput {
  /** `kubelab:nodes.vip` as configured; undefined: no VIP. */
  readonly vip?: { readonly address: string };
  /** `kubelab:nodes.controlPlaneEndpoint` as configured. */
  readonly controlPlaneEndpoint?: string;
  readonly provider: NodeSource;
  readonly nodeCidr: string;
  readonly controlPlanes: number;
  /** Static hosts in config order: their addresses are taken. */
  readonly hosts?: readonly { readonly name: string; readonly address: string }[];
  /** Local nodes in plan order: planLocalNetwork gives them and the bridge their addresses. */
  readonly localNodeNames?: readonly string[];
}

export interface VipResult {
  /** The address kube-vip holds (`auto` resolved); undefined without a VIP or with a problem. */
  address?: string;
  /** Errors: the stack must not go on. */
  problems: ConfigProblem[];
  /** Worth telling, never stopping a run. */
  warnings: ConfigProblem[];
}

/** An address some machine on nodeCidr has, and how to name it in a message. */
interface Taken {
  address: string;
  what: string;
}

const ADDRESS_KEY = "kubelab:nodes.vip.address";

/** Whether a VIP is usable, and which one; see VipResult. */
export function resolveVip(input: VipInput): VipResult {
  const { vip } = input;
  if (!vip) return { problems: [], warnings: [] };
  if (input.controlPlaneEndpoint) return { problems: [bothSet(input)], warnings: [] };
  const net = parseCidr(input.nodeCidr);
  // An unparsable nodeCidr is reported under its own key; nothing here can be judged without it.
  if (!net) return { problems: [], warnings: [] };
  if (net.family !== 4) {
    const message =
      `kube-vip announces the VIP with ARP, which needs an IPv4 nodeCidr, and nodeCidr is ${input.nodeCidr}; ` +
      `remove kubelab:nodes.vip or use an IPv4 node network`;
    return { problems: [{ key: ADDRESS_KEY, value: vip.address, message }], warnings: [] };
  }
  const taken = takenAddresses(input);
  const resolved = vip.address === VIP_AUTO ? chooseAuto(input, taken) : checkAddress(input, vip.address, taken);
  if ("problem" in resolved) return { problems: [resolved.problem], warnings: [] };
  return { address: resolved.address, problems: [], warnings: warnings(input, resolved.address) };
}

function bothSet(input: VipInput): ConfigProblem {
  return {
    key: "kubelab:nodes.vip",
    value: input.vip,
    message:
      `and kubelab:nodes.controlPlaneEndpoint (${input.controlPlaneEndpoint}) are both set; the VIP becomes the ` +
      `endpoint, so remove controlPlaneEndpoint to use the VIP, or remove nodes.vip to keep your own endpoint`,
  };
}

/** Addresses machines on nodeCidr have or will have, as far as the node source tells. */
function takenAddresses(input: VipInput): Taken[] {
  switch (input.provider) {
    case "static":
      return (input.hosts ?? []).map((h, i) => ({
        address: h.address,
        what: `the address of nodes.hosts[${i}] (${h.name})`,
      }));
    case "local": {
      const plan = planLocalNetwork(input.nodeCidr, [...(input.localNodeNames ?? [])]);
      return [
        { address: plan.gateway, what: "the address of the local nodes' bridge (their gateway)" },
        ...[...plan.addresses].map(([name, address]) => ({ address, what: `the address local node ${name} gets` })),
      ];
    }
    case "multipass":
      return [
        { address: hostAddress(input.nodeCidr, 1), what: "the address Multipass gives its bridge (the VMs' gateway)" },
      ];
  }
}

/** The n-th address counted from the network address (0: the network address itself). */
function hostAddress(cidr: string, n: number): string {
  const start = (parseCidr(cidr)?.address as Address4).startAddress().bigInt();
  return Address4.fromBigInt(start + BigInt(n)).address;
}

/** The highest host address of nodeCidr nothing has taken: the end of a lab network is the least crowded. */
function highestFree(cidr: string, taken: Taken[]): string | undefined {
  const net = parseCidr(cidr)?.address as Address4;
  const used = new Set(taken.map((t) => t.address));
  const first = net.startAddress().bigInt() + 1n;
  // Far more candidates than machines: at most taken.length + 1 of them are looked at.
  for (let value = net.endAddress().bigInt() - 1n; value >= first; value--) {
    const address = Address4.fromBigInt(value).address;
    if (!used.has(address)) return address;
  }
  return undefined;
}

function example(input: VipInput, taken: Taken[]): string {
  const free = highestFree(input.nodeCidr, taken);
  return free ? `, e.g. ${free}` : "";
}

type Resolution = { address: string } | { problem: ConfigProblem };

function refuse(value: string, message: string): Resolution {
  return { problem: { key: ADDRESS_KEY, value, message } };
}

function chooseAuto(input: VipInput, taken: Taken[]): Resolution {
  if (input.provider === "multipass") {
    return refuse(
      VIP_AUTO,
      "is refused on multipass: Multipass's DHCP server leases every address from .2 to .254 of its network to " +
        "VMs, so no address chosen here is sure to stay free; write an address outside the DHCP range of nodeCidr " +
        `${input.nodeCidr} (e.g. on a bridged network whose DHCP range leaves room)`,
    );
  }
  const free = highestFree(input.nodeCidr, taken);
  if (input.provider === "static") {
    return refuse(
      VIP_AUTO,
      "is only for provider local, whose addresses kubelab assigns itself; with static hosts write an address no " +
        `machine on nodeCidr ${input.nodeCidr} uses${free ? `, e.g. ${free} (the highest no host has)` : ""}`,
    );
  }
  if (!free) {
    return refuse(
      VIP_AUTO,
      `finds no address left in nodeCidr ${input.nodeCidr} after the bridge's and the nodes'; use a larger network`,
    );
  }
  return { address: free };
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

function checkAddress(input: VipInput, address: string, taken: Taken[]): Resolution {
  const cidr = input.nodeCidr;
  const net = parseCidr(cidr)?.address as Address4;
  const eg = example(input, taken);
  const auto = input.provider === "local" ? `, or write ${VIP_AUTO}` : "";
  if (typeof address !== "string" || !DOTTED_QUAD.test(address) || !Address4.isValid(address)) {
    return refuse(address, `is not an IPv4 address; write an unused address inside nodeCidr ${cidr}${eg}${auto}`);
  }
  if (!cidrContains(cidr, address)) {
    return refuse(
      address,
      `is outside nodeCidr ${cidr}; kube-vip announces the VIP with ARP, which only reaches the nodes' own ` +
        `network: pick an unused address inside it${eg}${auto}`,
    );
  }
  const edge =
    address === net.startAddress().address ? "network" : address === net.endAddress().address ? "broadcast" : "";
  if (edge) {
    return refuse(
      address,
      `is the ${edge} address of nodeCidr ${cidr}, which no host can use; pick a host address${eg}`,
    );
  }
  const clash = taken.find((t) => t.address === address);
  if (clash) return refuse(address, `is ${clash.what}; the VIP must be an address no machine has${eg}${auto}`);
  return { address };
}

function warnings(input: VipInput, address: string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  if (input.controlPlanes === 1) {
    out.push({
      key: "kubelab:nodes.vip",
      value: input.vip,
      message:
        "with 1 control plane the VIP has nowhere to move, so kube-vip adds a moving part and no availability; " +
        "use 3 control planes, or remove nodes.vip",
    });
  }
  if (input.provider === "multipass") {
    out.push({
      key: ADDRESS_KEY,
      value: address,
      message:
        "make sure no DHCP server on nodeCidr can lease this address (Multipass's own leases .2 to .254 of its " +
        "network): the first control plane refuses an address that already answers, but a VM launched later " +
        "could still be given it",
    });
  }
  return out;
}
