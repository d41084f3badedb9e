// Defensive readers over Kubernetes objects: manifests come from any YAML, so no field is trusted
// to have the type the API schema promises.
import { K8sObject, Severity, SourcedObject, Violation } from "./types";

export type Rec = Record<string, unknown>;

export function rec(value: unknown): Rec | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Rec) : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export type Shape = "map" | "list" | "string";

/** Set, but not of the shape the API schema gives it (`ports: "x"`, `selector: 5`). */
export function misshapen(value: unknown, shape: Shape): boolean {
  if (value === undefined) return false;
  if (shape === "map") return rec(value) === undefined;
  if (shape === "list") return !Array.isArray(value);
  return typeof value !== "string";
}

/** How a misshapen value reads in a message: `a string ("x")`, `a number (5)`, `a list`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  const shown = JSON.stringify(value) ?? String(value);
  return `a ${typeof value} (${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown})`;
}

/** "spec.ports is a string ("x"), not a list": the first clause of a misshapen-field finding. */
export function shapeMessage(path: string, value: unknown, shape: Shape): string {
  const expected = shape === "map" ? "a map" : shape === "list" ? "a list" : "a string";
  return `${path} is ${describeValue(value)}, not ${expected}`;
}

/** Label maps with scalar values; YAML turns `version: 1` into a number that Kubernetes would refuse. */
export function stringMap(value: unknown): Record<string, string> | undefined {
  const r = rec(value);
  if (!r) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  }
  return out;
}

/** Kinds without a namespace: they never land in `default` and have no namespace segment of their own. */
export const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "StorageClass",
  "CustomResourceDefinition",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "CSIDriver",
  "CSINode",
  "APIService",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "PodSecurityPolicy",
  "VolumeAttachment",
  "CertificateSigningRequest",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "IPAddress",
  "ServiceCIDR",
]);

export function kindOf(object: K8sObject): string {
  return str(object.kind) ?? "Object";
}

export function nameOf(object: K8sObject): string {
  return str(object.metadata?.name) ?? str(rec(object.metadata)?.generateName) ?? "(unnamed)";
}

/** The namespace an object lives in; a Namespace is named after itself so its findings group with its contents. */
export function namespaceOf(object: K8sObject): string {
  if (object.kind === "Namespace") return nameOf(object);
  return str(object.metadata?.namespace) || "default";
}

/** `Kind/namespace/name`, the namespace defaulting to `default` as kubectl would apply it. */
export function resourceOf(object: K8sObject): string {
  return `${kindOf(object)}/${namespaceOf(object)}/${nameOf(object)}`;
}

export function labelsOf(object: K8sObject): Record<string, string> {
  return stringMap(object.metadata?.labels) ?? {};
}

export function violation(
  rule: string,
  severity: Severity,
  source: SourcedObject,
  message: string,
  resource = resourceOf(source.object),
): Violation {
  return source.file === undefined
    ? { rule, severity, resource, message }
    : { rule, severity, resource, file: source.file, message };
}

/** A Service-style selector: every pair must be present. An empty selector selects nothing here. */
export function matchesMap(labels: Record<string, string>, selector: Record<string, string>): boolean {
  const pairs = Object.entries(selector);
  return pairs.length > 0 && pairs.every(([k, v]) => labels[k] === v);
}

function matchesExpression(labels: Record<string, string>, expression: unknown): boolean {
  const e = rec(expression);
  const key = str(e?.key);
  if (!e || key === undefined) return false;
  const values = arr(e.values).map(String);
  const has = Object.prototype.hasOwnProperty.call(labels, key);
  switch (e.operator) {
    case "In":
      return has && values.includes(labels[key]);
    case "NotIn":
      return !has || !values.includes(labels[key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    default:
      return false;
  }
}

/** A workload `LabelSelector` (matchLabels + matchExpressions); empty selects nothing, as apps/v1 demands. */
export function matchesLabelSelector(labels: Record<string, string>, selector: unknown): boolean {
  const s = rec(selector);
  if (!s) return false;
  const matchLabels = stringMap(s.matchLabels) ?? {};
  const expressions = arr(s.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  return (
    Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => matchesExpression(labels, e))
  );
}

export function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(",") : "(none)";
}

/** The DNS name pods should use for a Service (kubeadm's default cluster domain). */
export function serviceDnsName(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}
