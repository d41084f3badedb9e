// Pod templates of every workload kind, normalised once so rules read containers, ports and probes
// without re-checking types.
import {
  Rec,
  Shape,
  arr,
  labelsOf,
  misshapen,
  namespaceOf,
  rec,
  resourceOf,
  shapeMessage,
  str,
  stringMap,
} from "./k8s";
import { SourcedObject } from "./types";

export const WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "ReplicaSet",
  "ReplicationController",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
] as const;

const WORKLOADS = new Set<string>(WORKLOAD_KINDS);

export interface ContainerPort {
  name?: string;
  containerPort?: number;
  protocol: string;
}

export type ProbeKind = "readinessProbe" | "livenessProbe" | "startupProbe";
export const PROBE_KINDS: ProbeKind[] = ["readinessProbe", "livenessProbe", "startupProbe"];

export interface Probe {
  kind: ProbeKind;
  /** The httpGet/tcpSocket/grpc port; undefined for exec probes. */
  port?: string | number;
}

export interface Container {
  name: string;
  /** Init containers run to completion before the pod serves traffic. */
  init: boolean;
  image?: string;
  ports: ContainerPort[];
  env: { name: string; value?: string }[];
  args: string[];
  command: string[];
  probes: Probe[];
  resources: Rec;
  securityContext: Rec;
  /** Fields set with the wrong shape, as message clauses ("readinessProbe is a string ("x"), not a map"). */
  misshapen: Partial<Record<ShapedField, string>>;
}

const SHAPED_FIELDS = {
  image: "string",
  readinessProbe: "map",
  livenessProbe: "map",
  startupProbe: "map",
  resources: "map",
  securityContext: "map",
} satisfies Record<string, Shape>;
type ShapedField = keyof typeof SHAPED_FIELDS;

function containerShapes(c: Rec): Container["misshapen"] {
  const out: Container["misshapen"] = {};
  for (const [field, shape] of Object.entries(SHAPED_FIELDS) as [ShapedField, Shape][])
    if (misshapen(c[field], shape)) out[field] = shapeMessage(field, c[field], shape);
  return out;
}

export interface PodTemplate {
  source: SourcedObject;
  /** The owning object, `Kind/namespace/name`. */
  resource: string;
  kind: string;
  namespace: string;
  labels: Record<string, string>;
  spec: Rec;
  /** Regular containers, the ones a Service sends traffic to. */
  containers: Container[];
  initContainers: Container[];
}

function toPort(value: unknown): ContainerPort {
  const p = rec(value) ?? {};
  return {
    name: str(p.name),
    containerPort: typeof p.containerPort === "number" ? p.containerPort : undefined,
    protocol: str(p.protocol) ?? "TCP",
  };
}

function toProbe(kind: ProbeKind, value: unknown): Probe | undefined {
  const probe = rec(value);
  if (!probe) return undefined;
  const handler = rec(probe.httpGet) ?? rec(probe.tcpSocket) ?? rec(probe.grpc);
  const port = handler?.port;
  return { kind, port: typeof port === "string" || typeof port === "number" ? port : undefined };
}

function strings(value: unknown): string[] {
  return arr(value).filter((v): v is string => typeof v === "string");
}

function toContainer(value: unknown, init: boolean, index: number): Container {
  const c = rec(value) ?? {};
  return {
    name: str(c.name) ?? `#${index}`,
    init,
    image: str(c.image),
    ports: arr(c.ports).map(toPort),
    env: arr(c.env)
      .map(rec)
      .filter((e): e is Rec => e !== undefined)
      .map((e) => ({ name: str(e.name) ?? "?", value: typeof e.value === "string" ? e.value : undefined })),
    args: strings(c.args),
    command: strings(c.command),
    probes: PROBE_KINDS.map((kind) => toProbe(kind, c[kind])).filter((p): p is Probe => p !== undefined),
    resources: rec(c.resources) ?? {},
    securityContext: rec(c.securityContext) ?? {},
    misshapen: containerShapes(c),
  };
}

/** Where the pod template sits: the object itself for a Pod, two levels down for a CronJob. */
function templateOf(kind: string, object: Rec): { labels: Record<string, string>; spec: Rec } | undefined {
  const spec = rec(object.spec);
  if (kind === "Pod") return spec && { labels: labelsOf(object), spec };
  const template = kind === "CronJob" ? rec(rec(rec(rec(spec?.jobTemplate)?.spec)?.template)) : rec(spec?.template);
  const podSpec = rec(template?.spec);
  if (!template || !podSpec) return undefined;
  return { labels: stringMap(rec(template.metadata)?.labels) ?? {}, spec: podSpec };
}

export function podTemplateOf(source: SourcedObject): PodTemplate | undefined {
  const { object } = source;
  const kind = str(object.kind);
  if (!kind || !WORKLOADS.has(kind)) return undefined;
  const found = templateOf(kind, object);
  if (!found) return undefined;
  return {
    source,
    resource: resourceOf(object),
    kind,
    namespace: namespaceOf(object),
    labels: found.labels,
    spec: found.spec,
    containers: arr(found.spec.containers).map((c, i) => toContainer(c, false, i)),
    initContainers: arr(found.spec.initContainers).map((c, i) => toContainer(c, true, i)),
  };
}

/** Whether any regular container of the template declares `port` (a number or a port name). */
export function declaresPort(template: PodTemplate, port: number | string): boolean {
  return template.containers.some((c) =>
    c.ports.some((p) => (typeof port === "number" ? p.containerPort === port : p.name === port)),
  );
}

export function declaredPorts(templates: PodTemplate[], by: "name" | "number"): string {
  const all = templates.flatMap((t) =>
    t.containers.flatMap((c) => c.ports.map((p) => (by === "name" ? p.name : p.containerPort))),
  );
  const unique = [...new Set(all.filter((p) => p !== undefined).map(String))];
  return unique.length ? unique.join(", ") : "none";
}
