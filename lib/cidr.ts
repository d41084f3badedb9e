// Thin wrappers over ip-address so the rest of kubelab speaks in CIDR strings.
import { Address4, Address6 } from "ip-address";

export type IpFamily = 4 | 6;

export interface ParsedCidr {
  family: IpFamily;
  prefix: number;
  /** The network address (host bits cleared). */
  network: string;
  address: Address4 | Address6;
}

function parseAddress(text: string): Address4 | Address6 | undefined {
  // Pick the family by its separator: a failed parse throws, and exceptions are slow in bulk.
  const Kind = text.includes(":") ? Address6 : Address4;
  try {
    return new Kind(text);
  } catch {
    return undefined;
  }
}

/** Parses "10.244.0.0/16" (a prefix length is required); undefined when invalid. */
export function parseCidr(text: string): ParsedCidr | undefined {
  if (typeof text !== "string" || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(text.trim())) return undefined;
  const address = parseAddress(text.trim());
  if (!address) return undefined;
  const family: IpFamily = address instanceof Address4 ? 4 : 6;
  const network = family === 4 ? address.startAddress().address : (address as Address6).startAddress().correctForm();
  return { family, prefix: address.subnetMask, network, address };
}

/** Parses a bare IPv4 or IPv6 address (no prefix); undefined when invalid. */
export function parseIp(text: string): { family: IpFamily; address: Address4 | Address6 } | undefined {
  if (typeof text !== "string" || text.includes("/")) return undefined;
  const address = parseAddress(text.trim());
  if (!address) return undefined;
  return { family: address instanceof Address4 ? 4 : 6, address };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function isIp(text: string): boolean {
  return parseIp(text) !== undefined;
}

/** Whether two prefixes share any address (for aligned prefixes: one contains the other). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y || x.family !== y.family) return false;
  return (
    (x.address as Address4).isInSubnet(y.address as Address4) ||
    (y.address as Address4).isInSubnet(x.address as Address4)
  );
}

/** Whether a bare address lies inside a CIDR. */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  const addr = parseIp(ip);
  if (!net || !addr || net.family !== addr.family) return false;
  return (addr.address as Address4).isInSubnet(net.address as Address4);
}

export function hostBits(cidr: string): number {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  return (parsed.family === 4 ? 32 : 128) - parsed.prefix;
}

/** The per-node pod range kube-controller-manager carves by default (--node-cidr-mask-size). */
export function nodeMaskSize(family: IpFamily): number {
  return family === 4 ? 24 : 64;
}

/** How many per-node ranges of `maskSize` fit in `cidr` (capped to avoid huge numbers). */
export function subnetCount(cidr: string, maskSize: number): number {
  const parsed = parseCidr(cidr);
  if (!parsed || maskSize < parsed.prefix) return 0;
  return 2 ** Math.min(maskSize - parsed.prefix, 52);
}

/** The n-th address (0-based) of a CIDR, used to draw plausible addresses for rendering. */
export function nthAddress(cidr: string, n: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  const start = parsed.address.startAddress().bigInt();
  const value = start + BigInt(n);
  return parsed.family === 4 ? Address4.fromBigInt(value).address : Address6.fromBigInt(value).correctForm();
}

/** The n-th per-node /24 (or /64) inside a pod CIDR, as kube-controller-manager would assign it. */
export function nthSubnet(cidr: string, n: number): string {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`not a CIDR: ${cidr}`);
  const mask = nodeMaskSize(parsed.family);
  const width = parsed.family === 4 ? 32 : 128;
  const start = parsed.address.startAddress().bigInt() + (BigInt(n) << BigInt(width - mask));
  const base = parsed.family === 4 ? Address4.fromBigInt(start).address : Address6.fromBigInt(start).correctForm();
  return `${base}/${mask}`;
}
