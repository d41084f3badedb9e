// Workload hygiene (warnings): what keeps a Service's endpoints honest (probes), a node shared
// fairly (resources) and a pod's network namespace out of an attacker's hands (non-root, no escalation).
import { Rec, rec, violation } from "../k8s";
import { ObjectRule, buildIndex } from "../object-index";
import { Container, PodTemplate } from "../pod-templates";
import { Violation } from "../types";

type ContainerCheck = (c: Container, t: PodTemplate) => string | undefined;

function perContainer(rule: string, check: ContainerCheck, includeInit = true): ObjectRule {
  return (objects, _plan, index = buildIndex(objects)) => {
    const out: Violation[] = [];
    for (const t of index.templates) {
      for (const c of includeInit ? [...t.initContainers, ...t.containers] : t.containers) {
        const message = check(c, t);
        if (message) out.push(violation(rule, "warning", t.source, message, t.resource));
      }
    }
    return out;
  };
}

const label = (c: Container) => `${c.init ? "init container" : "container"} "${c.name}"`;

/** Whether an image reference fixes what runs: a digest, or a tag other than `latest`. */
export function imagePinned(image: string): boolean {
  if (image.includes("@")) return true;
  const last = image.split("/").pop() ?? image;
  const tag = last.includes(":") ? last.split(":").pop() : undefined;
  return tag !== undefined && tag !== "" && tag !== "latest";
}

/** `image-unpinned`: without a tag or digest every node may pull a different image. */
export const imageUnpinned = perContainer("image-unpinned", (c) => {
  if (c.misshapen.image) return `${label(c)}: ${c.misshapen.image}; write the image reference as a string`;
  if (c.image === undefined) return `${label(c)} has no image; set image with a version tag or digest`;
  if (imagePinned(c.image)) return undefined;
  const repo = c.image.replace(/:latest$/, "");
  return (
    `${label(c)} image "${c.image}" is ${c.image.endsWith(":latest") ? "tagged latest" : "untagged (latest)"}, ` +
    `so nodes can run different builds; pin a version tag or digest (e.g. ${repo}:1.2.3 or ${repo}@sha256:...)`
  );
});

const RUN_TO_COMPLETION = new Set(["Job", "CronJob"]);
const PROBES = ["readinessProbe", "livenessProbe"] as const;

/** `missing-probes`: without a readiness probe a Service sends traffic to pods that are not ready yet. */
export const missingProbes = perContainer(
  "missing-probes",
  (c, t) => {
    if (RUN_TO_COMPLETION.has(t.kind)) return undefined;
    const misshapen = PROBES.map((k) => c.misshapen[k]).filter((m) => m !== undefined);
    if (misshapen.length > 0)
      return `${label(c)}: ${misshapen.join("; ")}; a probe is a map such as {httpGet: {port: 8080}}`;
    const missing = PROBES.filter((k) => !c.probes.some((p) => p.kind === k));
    if (missing.length === 0) return undefined;
    return (
      `${label(c)} has no ${missing.join(" or ")}; without a readinessProbe the Service adds the pod to its ` +
      `endpoints before it can answer, and without a livenessProbe a hung process is never restarted`
    );
  },
  false,
);

/** `probe-port-unresolved`: a named probe port must be a named containerPort of the same container. */
export const probePortUnresolved = perContainer("probe-port-unresolved", (c) => {
  const names = new Set(c.ports.map((p) => p.name).filter((n) => n !== undefined));
  const bad = c.probes.filter((p) => typeof p.port === "string" && !/^\d+$/.test(p.port) && !names.has(p.port));
  if (bad.length === 0) return undefined;
  return (
    `${label(c)} ${bad.map((p) => `${p.kind} uses port "${p.port}"`).join(", ")} but declares no containerPort ` +
    `of that name (named ports: ${[...names].join(", ") || "none"}), so the probe always fails; ` +
    `name the containerPort or use its number`
  );
});

/** `missing-resources`: requests drive scheduling; a memory limit keeps one pod from starving a node. */
export const missingResources = perContainer("missing-resources", (c) => {
  if (c.misshapen.resources)
    return `${label(c)}: ${c.misshapen.resources}; write resources as {requests: {cpu, memory}, limits: {memory}}`;
  const requests = rec(c.resources.requests) ?? {};
  const limits = rec(c.resources.limits) ?? {};
  const missing = [
    requests.cpu === undefined && "requests.cpu",
    requests.memory === undefined && "requests.memory",
    limits.memory === undefined && "limits.memory",
  ].filter((m): m is string => !!m);
  if (missing.length === 0) return undefined;
  return `${label(c)} sets no resources.${missing.join(", resources.")}; set them so the scheduler places the pod on a node with room and one pod cannot starve the others`;
});

function effective(c: Container, t: PodTemplate, field: string): unknown {
  const pod: Rec = rec(t.spec.securityContext) ?? {};
  return c.securityContext[field] ?? pod[field];
}

/** `runs-as-root`: container root is one kernel bug away from root on the node that routes every pod. */
const securityContextShape = (c: Container) =>
  c.misshapen.securityContext &&
  `${label(c)}: ${c.misshapen.securityContext}; write securityContext as a map such as {runAsNonRoot: true}`;

export const runsAsRoot = perContainer("runs-as-root", (c, t) => {
  const shape = securityContextShape(c);
  if (shape) return shape;
  const user = effective(c, t, "runAsUser");
  if (user === 0) return `${label(c)} sets runAsUser: 0 (root); use a non-zero runAsUser and runAsNonRoot: true`;
  if (effective(c, t, "runAsNonRoot") === true || (typeof user === "number" && user > 0)) return undefined;
  return (
    `${label(c)} may run as root (neither it nor the pod sets runAsNonRoot: true or a non-zero runAsUser); ` +
    `set securityContext.runAsNonRoot: true and a runAsUser`
  );
});

/** `privilege-escalation`: privileged or setuid-capable containers can reach the node's network stack. */
export const privilegeEscalation = perContainer("privilege-escalation", (c) => {
  const shape = securityContextShape(c);
  if (shape) return shape;
  if (c.securityContext.privileged === true) {
    return `${label(c)} is privileged, with full access to the node's devices and network; drop privileged: true`;
  }
  if (c.securityContext.allowPrivilegeEscalation === false) return undefined;
  return (
    `${label(c)} does not set securityContext.allowPrivilegeEscalation: false, so a setuid binary can gain ` +
    `more privileges than the container started with; set it to false`
  );
});
