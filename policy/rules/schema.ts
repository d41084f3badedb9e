// Objects the API server would refuse outright: an unknown apiVersion (the `vl`-for-`v1` typo of
// many tutorials) or a controller whose selector does not pick up its own pods.
import {
  formatLabels,
  matchesLabelSelector,
  matchesMap,
  misshapen,
  rec,
  shapeMessage,
  str,
  stringMap,
  violation,
} from "../k8s";
import { ObjectRule } from "../object-index";
import { podTemplateOf } from "../pod-templates";
import { Violation } from "../types";

const SERVED: Record<string, string[]> = {
  v1: [
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Endpoints",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "ReplicationController",
    "LimitRange",
    "ResourceQuota",
    "Node",
    "List",
  ],
  "apps/v1": ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ControllerRevision"],
  "batch/v1": ["Job", "CronJob"],
  "networking.k8s.io/v1": ["NetworkPolicy", "Ingress", "IngressClass"],
  "discovery.k8s.io/v1": ["EndpointSlice"],
  "rbac.authorization.k8s.io/v1": ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
  "policy/v1": ["PodDisruptionBudget"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "autoscaling/v1": ["HorizontalPodAutoscaler"],
  "storage.k8s.io/v1": ["StorageClass", "CSIDriver", "VolumeAttachment"],
  "scheduling.k8s.io/v1": ["PriorityClass"],
  "apiextensions.k8s.io/v1": ["CustomResourceDefinition"],
  "admissionregistration.k8s.io/v1": ["ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"],
  "coordination.k8s.io/v1": ["Lease"],
};

const EXPECTED = new Map<string, string[]>();
for (const [version, kinds] of Object.entries(SERVED)) {
  for (const kind of kinds) EXPECTED.set(kind, [...(EXPECTED.get(kind) ?? []), version]);
}

const VERSION_FORMAT = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v\d+((alpha|beta)\d+)?$/;

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

function apiVersionProblem(apiVersion: unknown, rawKind: unknown): string | undefined {
  if (misshapen(rawKind, "string"))
    return `${shapeMessage("kind", rawKind, "string")}; write the kind's name, e.g. Service`;
  if (misshapen(apiVersion, "string"))
    return `${shapeMessage("apiVersion", apiVersion, "string")}; write it as a string such as "v1" or "apps/v1"`;
  const kind = str(rawKind);
  if (kind === undefined) return `has no kind; the API server cannot tell what this object is`;
  const expected = EXPECTED.get(kind);
  if (typeof apiVersion !== "string" || apiVersion === "") {
    return `has no apiVersion; set it to ${expected ? `"${expected[0]}"` : "the group/version that serves " + kind}`;
  }
  if (expected && !expected.includes(apiVersion)) {
    const typo = expected.find((e) => editDistance(e, apiVersion) <= 2);
    const why = typo
      ? `looks like a typo of "${typo}"`
      : /(alpha|beta)\d+$/.test(apiVersion)
        ? "is a pre-release API that current Kubernetes no longer serves"
        : `does not serve ${kind}`;
    return `apiVersion "${apiVersion}" ${why}; a ${kind} is apiVersion "${expected[0]}"`;
  }
  if (!expected && !VERSION_FORMAT.test(apiVersion)) {
    return `apiVersion "${apiVersion}" is not a version (v1, v2beta1) or group/version (apps/v1); fix the typo`;
  }
  return undefined;
}

/** `api-version`: kubectl rejects an object whose apiVersion does not serve its kind. */
export const apiVersion: ObjectRule = (objects) => {
  const out: Violation[] = [];
  for (const source of objects) {
    const problem = apiVersionProblem(source.object.apiVersion, source.object.kind);
    if (problem) out.push(violation("api-version", "error", source, problem));
  }
  return out;
};

const LABEL_SELECTOR_KINDS = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);

function selectorProblem(kind: string, selector: unknown, labels: Record<string, string>): string | undefined {
  if (misshapen(selector, "map")) {
    const form = kind === "ReplicationController" ? "label pairs" : "{matchLabels: {...}}";
    return `${shapeMessage("spec.selector", selector, "map")}, so the API server refuses it; write it as ${form} matching the pod template labels (${formatLabels(labels)})`;
  }
  const shown = `spec.selector ${JSON.stringify(selector)}`;
  const fix = `make every matchLabels pair (and matchExpression) hold for spec.template.metadata.labels`;
  if (kind === "ReplicationController") {
    // An omitted selector defaults to the template labels.
    const map = stringMap(selector);
    if (selector === undefined || matchesMap(labels, map ?? {})) return undefined;
    return `${shown} does not match the pod template labels ${formatLabels(labels)}; give the template every selector pair`;
  }
  if (selector === undefined) {
    // A Job generates its own selector unless manualSelector is set.
    if (kind === "Job") return undefined;
    return `has no spec.selector, which apps/v1 requires; set spec.selector.matchLabels to the pod template labels (${formatLabels(labels)})`;
  }
  if (matchesLabelSelector(labels, selector)) return undefined;
  return (
    `${shown} does not select its own pod template (labels ${formatLabels(labels)}), so the API server ` +
    `rejects it ("selector does not match template labels"); ${fix}`
  );
}

/** `deployment-selector-mismatch`: a controller's selector must match its template's labels. */
export const deploymentSelectorMismatch: ObjectRule = (objects) => {
  const out: Violation[] = [];
  for (const source of objects) {
    const kind = str(source.object.kind);
    if (!kind || !(LABEL_SELECTOR_KINDS.has(kind) || kind === "ReplicationController")) continue;
    const template = podTemplateOf(source);
    const selector = rec(source.object.spec)?.selector;
    if (!template && !misshapen(selector, "map")) continue;
    const problem = selectorProblem(kind, selector, template?.labels ?? {});
    if (problem) out.push(violation("deployment-selector-mismatch", "error", source, problem));
  }
  return out;
};
