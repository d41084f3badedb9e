// The policy pack's work, free of the Pulumi engine: turn `kubernetes:*` resources into Kubernetes
// objects, run the same rules as `npm run check`, and report each finding against its resource URN.
import { checkObjects } from "../index";
import { parseCidr } from "../../lib/cidr";
import { parseNodePortRange } from "../nodeports";
import { resourceOf } from "../k8s";
import { Cni, K8sObject, NetworkPlan, Severity, SourcedObject, Violation } from "../types";

/** The fields of @pulumi/policy's PolicyResource this pack reads. */
export interface PolicyResourceLike {
  type: string;
  props: Record<string, unknown>;
  urn: string;
  name: string;
}

/** The fields of @pulumi/policy's StackValidationArgs this pack reads. */
export interface StackArgsLike {
  resources: PolicyResourceLike[];
  getConfig?: <T extends object>() => T;
}

export type ReportViolation = (message: string, urn?: string) => void;

/** Policy config (`--policy-pack-config`): the cluster's network plan, every field optional. */
export interface PackConfig {
  podCidr?: string;
  serviceCidr?: string;
  nodeCidr?: string;
  /** @default "30000-32767" */
  nodePortRange?: string;
  cni?: Cni;
}

export const PACK_CONFIG_SCHEMA = {
  properties: {
    podCidr: { type: "string" as const, description: "pod CIDR, e.g. 10.244.0.0/16" },
    serviceCidr: { type: "string" as const, description: "service CIDR, e.g. 10.96.0.0/12" },
    nodeCidr: { type: "string" as const, description: "CIDR the node addresses live in" },
    nodePortRange: { type: "string" as const, description: "NodePort range LOW-HIGH, default 30000-32767" },
    cni: { type: "string" as const, enum: ["calico", "flannel", "cilium"] },
  },
};

// `kubernetes:<group>/<version>:<Kind>`; yaml, helm and kustomize types are components, not objects.
const K8S_TYPE = /^kubernetes:([a-z0-9.-]+)\/(v[0-9a-z]+):([A-Za-z]+)$/;
const COMPONENT_GROUPS = new Set(["yaml", "helm.sh", "kustomize"]);

/** apiVersion and kind of a Pulumi Kubernetes resource type; undefined for anything else. */
export function kubernetesType(type: string): { apiVersion: string; kind: string } | undefined {
  const match = K8S_TYPE.exec(type);
  if (!match || COMPONENT_GROUPS.has(match[1])) return undefined;
  const [, group, version, kind] = match;
  // Patch resources change part of an object that exists elsewhere; Lists are not objects.
  if (kind.endsWith("Patch") || kind.endsWith("List")) return undefined;
  return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** Deep copy with values unknown during preview dropped (the engine's proxy throws on reading them). */
function plain(value: unknown, unknown: { found: boolean }): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(plain(read(value, i, unknown), unknown));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = plain(read(value, key, unknown), unknown);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function read(container: object, key: string | number, unknown: { found: boolean }): unknown {
  try {
    return (container as Record<string | number, unknown>)[key];
  } catch (error) {
    if ((error as Error)?.constructor?.name !== "UnknownValueError") throw error;
    unknown.found = true;
    return undefined;
  }
}

export interface ConvertedStack {
  objects: SourcedObject[];
  /** `Kind/namespace/name` -> URN, to report each finding on its resource. */
  urns: Map<string, string>;
  /** Resources with values not known yet (preview); their findings wait for `pulumi up`. */
  incomplete: Set<string>;
}

export function objectsFromResources(resources: PolicyResourceLike[]): ConvertedStack {
  const converted: ConvertedStack = { objects: [], urns: new Map(), incomplete: new Set() };
  for (const r of resources) {
    const type = kubernetesType(r.type);
    if (!type) continue;
    const unknown = { found: false };
    const props = (plain(r.props, unknown) ?? {}) as K8sObject;
    // In a preview of a cluster that does not exist yet (its kubeconfig is unknown) the engine hands
    // the pack objects with no outputs at all: nothing is known about them, not an object without ports.
    if (Object.keys(props).length === 0) unknown.found = true;
    const metadata = { ...(props.metadata ?? {}) };
    // Before the provider auto-names it, an object's name is the Pulumi resource name.
    if (typeof metadata.name !== "string") metadata.name = r.name;
    const object: K8sObject = {
      ...props,
      apiVersion: props.apiVersion ?? type.apiVersion,
      kind: props.kind ?? type.kind,
      metadata,
    };
    const resource = resourceOf(object);
    converted.objects.push({ object });
    converted.urns.set(resource, r.urn);
    if (unknown.found) converted.incomplete.add(resource);
  }
  return converted;
}

/** The network plan from policy config; a malformed value is reported rather than silently ignored. */
export function planFromConfig(config: PackConfig, report: ReportViolation): NetworkPlan {
  const plan: NetworkPlan = {};
  for (const field of ["podCidr", "serviceCidr", "nodeCidr"] as const) {
    const value = config[field];
    if (value === undefined) continue;
    if (parseCidr(value)) plan[field] = value;
    else report(`policy config ${field} "${value}" is not a CIDR; write it like 10.244.0.0/16`);
  }
  if (config.nodePortRange !== undefined) {
    const range = parseNodePortRange(config.nodePortRange);
    if (range) plan.nodePortRange = range;
    else report(`policy config nodePortRange "${config.nodePortRange}" is not LOW-HIGH, e.g. 30000-32767`);
  }
  if (config.cni !== undefined) plan.cni = config.cni;
  return plan;
}

export function formatViolation(v: Violation): string {
  return `[${v.rule}] ${v.resource}: ${v.message}`;
}

/**
 * Runs every kubelab rule over the stack's Kubernetes resources and reports the findings of one
 * severity, each on the URN of the resource it concerns (plan findings on the stack).
 */
export function validateKubernetesStack(args: StackArgsLike, severity: Severity, report: ReportViolation): Violation[] {
  const config = (args.getConfig?.<PackConfig>() ?? {}) as PackConfig;
  const plan = severity === "error" ? planFromConfig(config, report) : planFromConfig(config, () => undefined);
  const { objects, urns, incomplete } = objectsFromResources(args.resources);
  const reported = checkObjects(objects, plan).filter((v) => v.severity === severity && !incomplete.has(v.resource));
  for (const v of reported) report(formatViolation(v), urns.get(v.resource));
  return reported;
}
