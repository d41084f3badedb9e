// One pass over the input builds the lookups every rule shares, so a check over 10,000 objects
// matches each Service against a label index instead of every pod template.
import { arr, misshapen, nameOf, namespaceOf, rec, resourceOf, shapeMessage, str, stringMap } from "./k8s";
import { PodTemplate, podTemplateOf } from "./pod-templates";
import { NetworkPlan, SourcedObject, Violation } from "./types";

export interface ServicePort {
  index: number;
  name?: string;
  port?: unknown;
  targetPort?: unknown;
  nodePort?: unknown;
  protocol: string;
  /** Set when the entry is not a map: why it cannot be read as a port. */
  misshapen?: string;
}

export interface ServiceView {
  source: SourcedObject;
  resource: string;
  name: string;
  namespace: string;
  /** @default "ClusterIP" */
  type: string;
  /** undefined or empty: the Service selects no pods itself. */
  selector?: Record<string, string>;
  ports: ServicePort[];
  /** `clusterIP: None`: DNS returns pod addresses directly and no port list is needed. */
  headless: boolean;
  clusterIPs: string[];
  /** Fields set with the wrong shape, each as a message clause; the rules report them, never read them as absent. */
  misshapen: { spec?: string; ports?: string; selector?: string };
}

export interface ObjectIndex {
  objects: SourcedObject[];
  templates: PodTemplate[];
  services: ServiceView[];
  /** `namespace/name` of every Endpoints object and of every Service an EndpointSlice belongs to. */
  endpoints: Set<string>;
  /** Pod templates matching `selector` in `namespace` (memoised per selector). */
  select(namespace: string, selector: Record<string, string> | undefined): PodTemplate[];
}

function toServicePort(value: unknown, index: number): ServicePort {
  const p = rec(value) ?? {};
  return {
    misshapen: rec(value) ? undefined : shapeMessage(`spec.ports[${index}]`, value, "map"),
    index,
    name: str(p.name),
    port: p.port,
    targetPort: p.targetPort,
    nodePort: p.nodePort,
    protocol: str(p.protocol) ?? "TCP",
  };
}

function serviceShapes(object: SourcedObject["object"]): ServiceView["misshapen"] {
  const spec = object.spec;
  if (misshapen(spec, "map")) return { spec: shapeMessage("spec", spec, "map") };
  const { ports, selector } = rec(spec) ?? {};
  return {
    ports: misshapen(ports, "list") ? shapeMessage("spec.ports", ports, "list") : undefined,
    selector: misshapen(selector, "map") ? shapeMessage("spec.selector", selector, "map") : undefined,
  };
}

function toService(source: SourcedObject): ServiceView {
  const spec = rec(source.object.spec) ?? {};
  const clusterIPs = [str(spec.clusterIP), ...arr(spec.clusterIPs).map(str)].filter(
    (ip): ip is string => ip !== undefined && ip !== "" && ip !== "None",
  );
  return {
    source,
    resource: resourceOf(source.object),
    name: nameOf(source.object),
    namespace: namespaceOf(source.object),
    type: str(spec.type) ?? "ClusterIP",
    selector: stringMap(spec.selector),
    ports: arr(spec.ports).map(toServicePort),
    headless: spec.clusterIP === "None",
    clusterIPs: [...new Set(clusterIPs)],
    misshapen: serviceShapes(source.object),
  };
}

const pairKey = (namespace: string, key: string, value: string) => `${namespace}\u0000${key}\u0000${value}`;

function labelIndex(templates: PodTemplate[]): Map<string, PodTemplate[]> {
  const byPair = new Map<string, PodTemplate[]>();
  for (const t of templates) {
    for (const [k, v] of Object.entries(t.labels)) {
      const key = pairKey(t.namespace, k, v);
      const list = byPair.get(key);
      if (list) list.push(t);
      else byPair.set(key, [t]);
    }
  }
  return byPair;
}

function endpointNames(objects: SourcedObject[]): Set<string> {
  const out = new Set<string>();
  for (const { object } of objects) {
    if (object.kind === "Endpoints") out.add(`${namespaceOf(object)}/${nameOf(object)}`);
    if (object.kind === "EndpointSlice") {
      const owner = object.metadata?.labels?.["kubernetes.io/service-name"];
      if (typeof owner === "string") out.add(`${namespaceOf(object)}/${owner}`);
    }
  }
  return out;
}

export function buildIndex(objects: SourcedObject[]): ObjectIndex {
  const templates = objects.map(podTemplateOf).filter((t): t is PodTemplate => t !== undefined);
  const byPair = labelIndex(templates);
  const memo = new Map<string, PodTemplate[]>();
  const select = (namespace: string, selector: Record<string, string> | undefined): PodTemplate[] => {
    const pairs = Object.entries(selector ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (pairs.length === 0) return [];
    const memoKey = `${namespace}\u0001${JSON.stringify(pairs)}`;
    const cached = memo.get(memoKey);
    if (cached) return cached;
    // Start from the rarest pair and filter by the others.
    const lists = pairs.map(([k, v]) => byPair.get(pairKey(namespace, k, v)) ?? []);
    const smallest = lists.reduce((a, b) => (b.length < a.length ? b : a));
    const found = smallest.filter((t) => pairs.every(([k, v]) => t.labels[k] === v));
    memo.set(memoKey, found);
    return found;
  };
  const services = objects.filter((o) => o.object.kind === "Service").map(toService);
  return { objects, templates, services, endpoints: endpointNames(objects), select };
}

/**
 * DESIGN §5: a rule is a pure function of the objects and the plan. `checkObjects` passes one shared
 * index; a rule called on its own builds it.
 */
export type ObjectRule = (objects: SourcedObject[], plan: NetworkPlan, index?: ObjectIndex) => Violation[];
