// Service wiring: a Service reaches pods only through its selector and its targetPort, and the API
// server refuses port lists it cannot name.
import { formatLabels, matchesMap, violation } from "../k8s";
import { ObjectIndex, ObjectRule, ServicePort, ServiceView, buildIndex } from "../object-index";
import { PodTemplate, declaredPorts, declaresPort } from "../pod-templates";
import { Violation } from "../types";

const hasSelector = (svc: ServiceView) => Object.keys(svc.selector ?? {}).length > 0;

/** Services whose endpoints something else maintains. */
function endpointsManagedElsewhere(index: ObjectIndex, svc: ServiceView): boolean {
  if (svc.type === "ExternalName") return true;
  // kube-apiserver keeps the endpoints of default/kubernetes itself; it shows up in `kubectl get all -o yaml`.
  if (svc.namespace === "default" && svc.name === "kubernetes") return true;
  return index.endpoints.has(`${svc.namespace}/${svc.name}`);
}

function noMatchHint(index: ObjectIndex, svc: ServiceView): string {
  const selector = svc.selector ?? {};
  const elsewhere = index.templates.find((t) => t.namespace !== svc.namespace && matchesMap(t.labels, selector));
  if (elsewhere) {
    return `${elsewhere.resource} matches but a Service only selects pods in its own namespace; put both in one namespace`;
  }
  // Equal pairs count most; a shared key with another value (app=vote vs app=vote-app) still hints at a typo.
  const score = (t: PodTemplate) =>
    Object.entries(selector).reduce(
      (sum, [k, v]) => sum + (t.labels[k] === v ? 2 : Object.prototype.hasOwnProperty.call(t.labels, k) ? 1 : 0),
      0,
    );
  const closest = index.templates
    .filter((t) => t.namespace === svc.namespace && score(t) > 0)
    .sort((a, b) => score(b) - score(a))[0];
  if (closest) {
    const differ = Object.keys(selector).filter((k) => closest.labels[k] !== selector[k]);
    return (
      `the closest is ${closest.resource} with pod labels ${formatLabels(closest.labels)}; ` +
      `make the selector and the pod template labels agree on ${differ.join(", ")}`
    );
  }
  return `no workload in namespace ${svc.namespace} carries these labels; add the workload or fix spec.selector`;
}

/** `service-no-endpoints`: a selector that matches nothing leaves the ClusterIP with no backend. */
export const serviceNoEndpoints: ObjectRule = (objects, _plan, index = buildIndex(objects)) => {
  const out: Violation[] = [];
  for (const svc of index.services) {
    // A misshapen spec is service-port-missing's finding.
    if (svc.misshapen.spec || endpointsManagedElsewhere(index, svc)) continue;
    if (svc.misshapen.selector) {
      out.push(
        violation(
          "service-no-endpoints",
          "error",
          svc.source,
          `${svc.misshapen.selector}, so the API server refuses the Service and it selects no pods; ` +
            `write the selector as label pairs (e.g. selector: {app: web})`,
        ),
      );
    } else if (!hasSelector(svc)) {
      out.push(
        violation(
          "service-no-endpoints",
          "warning",
          svc.source,
          `has no selector and no Endpoints or EndpointSlice for it is in the input, so it has no endpoints ` +
            `and connections to it are refused; add spec.selector matching the pods' labels, or an ` +
            `EndpointSlice (or type ExternalName) for a backend outside the cluster`,
        ),
      );
    } else if (index.select(svc.namespace, svc.selector).length === 0) {
      out.push(
        violation(
          "service-no-endpoints",
          "error",
          svc.source,
          `selector ${formatLabels(svc.selector ?? {})} matches no pod template in namespace ${svc.namespace}, ` +
            `so connections to the Service are refused: ${noMatchHint(index, svc)}`,
        ),
      );
    }
  }
  return out;
};

function portLabel(p: ServicePort): string {
  const number = typeof p.port === "number" ? String(p.port) : `#${p.index}`;
  return p.name ? `port "${p.name}" (${number})` : `port ${number}`;
}

/** The port a Service sends to: targetPort, or the port itself when targetPort is omitted. */
function effectiveTarget(p: ServicePort): number | string | undefined {
  const target = p.targetPort ?? p.port;
  if (typeof target === "string" && /^\d+$/.test(target)) return Number(target);
  return typeof target === "number" || typeof target === "string" ? target : undefined;
}

function checkTarget(svc: ServiceView, p: ServicePort, templates: PodTemplate[]): Violation | undefined {
  const target = effectiveTarget(p);
  if (target === undefined) return undefined;
  if (typeof target === "string") {
    const missing = templates.filter((t) => !declaresPort(t, target));
    if (missing.length === 0) return undefined;
    return violation(
      "target-port-unresolved",
      "error",
      svc.source,
      `${portLabel(p)} targets the named port "${target}" but ${missing.map((t) => t.resource).join(", ")} ` +
        `declare${missing.length === 1 ? "s" : ""} no containerPort named "${target}" (named ports: ${declaredPorts(missing, "name")}), so ` +
        `those pods get no traffic; name the containerPort "${target}" or set targetPort to a declared port`,
    );
  }
  if (templates.some((t) => declaresPort(t, target))) return undefined;
  const why = p.targetPort === undefined ? ` (targetPort is omitted, so it equals port)` : "";
  return violation(
    "target-port-unresolved",
    "warning",
    svc.source,
    `${portLabel(p)} forwards to targetPort ${target}${why} but no container of ` +
      `${templates.map((t) => t.resource).join(", ")} declares containerPort ${target} ` +
      `(declared: ${declaredPorts(templates, "number")}); set targetPort to the port the container listens on, ` +
      `or declare containerPort ${target} if it does listen there`,
  );
}

/** `target-port-unresolved`: targetPort (or port, when omitted) must be a port the selected containers serve. */
export const targetPortUnresolved: ObjectRule = (objects, _plan, index = buildIndex(objects)) => {
  const out: Violation[] = [];
  for (const svc of index.services) {
    if (svc.type === "ExternalName" || !hasSelector(svc)) continue;
    const templates = index.select(svc.namespace, svc.selector);
    if (templates.length === 0) continue;
    for (const p of svc.ports) {
      const found = checkTarget(svc, p, templates);
      if (found) out.push(found);
    }
  }
  return out;
};

/** `multiport-unnamed`: with more than one port each needs a unique name, or the API server rejects the Service. */
export const multiportUnnamed: ObjectRule = (objects, _plan, index = buildIndex(objects)) => {
  const out: Violation[] = [];
  for (const svc of index.services) {
    const ports = svc.ports.filter((p) => !p.misshapen);
    if (ports.length < 2) continue;
    const unnamed = ports.filter((p) => !p.name);
    if (unnamed.length > 0) {
      out.push(
        violation(
          "multiport-unnamed",
          "error",
          svc.source,
          `has ${ports.length} ports but ${unnamed.map(portLabel).join(", ")} ha${unnamed.length === 1 ? "s" : "ve"} ` +
            `no name; a multi-port Service needs a unique name on every port (e.g. http, metrics)`,
        ),
      );
    }
    const names = ports.map((p) => p.name).filter((n): n is string => !!n);
    for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) {
      out.push(
        violation(
          "multiport-unnamed",
          "error",
          svc.source,
          `port name "${name}" is used more than once; give every port of the Service a unique name`,
        ),
      );
    }
  }
  return out;
};

const validPort = (value: unknown) =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;

/** `service-port-missing`: `port` is the one mandatory field of a Service port. */
export const servicePortMissing: ObjectRule = (objects, _plan, index = buildIndex(objects)) => {
  const out: Violation[] = [];
  for (const svc of index.services) {
    const shape = svc.misshapen.spec ?? svc.misshapen.ports;
    if (shape) {
      out.push(
        violation(
          "service-port-missing",
          "error",
          svc.source,
          `${shape}, so the API server refuses the Service; write spec.ports as a list of {port, targetPort} maps`,
        ),
      );
      continue;
    }
    if (svc.ports.length === 0 && svc.type !== "ExternalName" && !svc.headless) {
      out.push(
        violation(
          "service-port-missing",
          "error",
          svc.source,
          `has no spec.ports; a ${svc.type} Service needs at least one port (port is mandatory, ` +
            `targetPort defaults to it)`,
        ),
      );
    }
    for (const p of svc.ports.filter((q) => q.misshapen)) {
      out.push(
        violation(
          "service-port-missing",
          "error",
          svc.source,
          `${p.misshapen}; each entry of spec.ports is a map such as {port: 80, targetPort: 8080}`,
        ),
      );
    }
    for (const p of svc.ports.filter((q) => !q.misshapen && !validPort(q.port))) {
      const given = p.port === undefined ? "no port" : `port ${JSON.stringify(p.port)}`;
      out.push(
        violation(
          "service-port-missing",
          "error",
          svc.source,
          `spec.ports[${p.index}]${p.name ? ` ("${p.name}")` : ""} has ${given}; port is mandatory and must be ` +
            `a number from 1 to 65535 (targetPort defaults to it)`,
        ),
      );
    }
  }
  return out;
};
