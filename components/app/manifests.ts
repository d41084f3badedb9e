// The voting app as plain Kubernetes objects: what policy checks, `npm run render` and SampleApp share.
import { K8sObject } from "../../policy/types";
import { AppArgs, resolveAppArgs } from "./app-args";
import { networkPolicyObjects } from "./network-policies";
import { appTiers, tierByKey } from "./tiers";
import { credentialsSecret, deploymentObject, namespaceObject, serviceObject } from "./workloads";

export type { AppArgs, AppImages, AppLabels, AppServiceNames } from "./app-args";
export { AppArgsError, DEFAULT_IMAGES } from "./app-args";

/**
 * Namespace, Secret, NetworkPolicies (when enabled), then per tier its Deployment and Service:
 * the order objects can be applied in. Throws AppArgsError listing every invalid argument.
 */
export function buildAppObjects(args: AppArgs): K8sObject[] {
  const r = resolveAppArgs(args);
  const tiers = appTiers(r);
  const workloads = tiers.flatMap((tier) => {
    const service = serviceObject(tier, r);
    return service ? [deploymentObject(tier, r), service] : [deploymentObject(tier, r)];
  });
  return [
    namespaceObject(r),
    credentialsSecret(r, tierByKey(tiers, "db")),
    ...(r.networkPolicies ? networkPolicyObjects(r, tiers) : []),
    ...workloads,
  ];
}

export interface Frontend {
  name: string;
  namespace: string;
  nodePort: number;
}

export interface ClusterService {
  name: string;
  namespace: string;
  port: number;
}

interface ServiceShape {
  type?: string;
  ports?: { port: number; nodePort?: number }[];
}

function services(objects: K8sObject[]): { name: string; namespace: string; spec: ServiceShape }[] {
  return objects
    .filter((o) => o.kind === "Service")
    .map((o) => ({
      name: o.metadata?.name ?? "",
      namespace: o.metadata?.namespace ?? "default",
      spec: (o.spec ?? {}) as ServiceShape,
    }));
}

/** NodePort services: each answers on every node's address. */
export function frontendsOf(objects: K8sObject[]): Frontend[] {
  return services(objects).flatMap(({ name, namespace, spec }) =>
    spec.type === "NodePort"
      ? (spec.ports ?? []).flatMap((p) => (p.nodePort === undefined ? [] : [{ name, namespace, nodePort: p.nodePort }]))
      : [],
  );
}

/** ClusterIP services (type omitted means ClusterIP): reachable only from inside the cluster. */
export function clusterServicesOf(objects: K8sObject[]): ClusterService[] {
  return services(objects).flatMap(({ name, namespace, spec }) =>
    (spec.type ?? "ClusterIP") === "ClusterIP"
      ? (spec.ports ?? []).map((p) => ({ name, namespace, port: p.port }))
      : [],
  );
}
