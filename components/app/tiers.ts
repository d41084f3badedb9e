// The five tiers of the voting app: names, roles, ports and how each is exposed.
import { ResolvedAppArgs } from "./app-args";

export type TierKey = "vote" | "redis" | "worker" | "db" | "result";
export type TierRole = "frontend" | "backend" | "data";

export interface TierPort {
  /** Container port name; Services and NetworkPolicies refer to the port by it. */
  readonly name: string;
  readonly containerPort: number;
  readonly servicePort: number;
}

export type TierService = { readonly type: "NodePort"; readonly nodePort: number } | { readonly type: "ClusterIP" };

export interface Tier {
  readonly key: TierKey;
  /** Name of the Deployment, of the Service and value of the `name` label. */
  readonly name: string;
  readonly role: TierRole;
  readonly image: string;
  readonly replicas: number;
  readonly port?: TierPort;
  /** Absent for the worker: nothing connects to it. */
  readonly service?: TierService;
}

// Both web images listen on 80: vote's gunicorn binds 0.0.0.0:80 in its CMD, result's Dockerfile sets PORT=80.
const HTTP: TierPort = { name: "http", containerPort: 80, servicePort: 80 };

export function appTiers(r: ResolvedAppArgs): Tier[] {
  return [
    {
      key: "vote",
      name: "vote",
      role: "frontend",
      image: r.images.vote,
      // Two replicas so that the NodePort visibly balances across pods (the page prints the pod's hostname).
      replicas: 2,
      port: HTTP,
      service: { type: "NodePort", nodePort: r.voteNodePort },
    },
    {
      key: "redis",
      name: r.serviceNames.redis,
      role: "data",
      image: r.images.redis,
      replicas: 1,
      port: { name: "redis", containerPort: 6379, servicePort: 6379 },
      service: { type: "ClusterIP" },
    },
    { key: "worker", name: "worker", role: "backend", image: r.images.worker, replicas: 1 },
    {
      key: "db",
      name: r.serviceNames.db,
      role: "data",
      image: r.images.db,
      replicas: 1,
      port: { name: "postgres", containerPort: 5432, servicePort: 5432 },
      service: { type: "ClusterIP" },
    },
    {
      key: "result",
      name: "result",
      role: "frontend",
      image: r.images.result,
      replicas: 1,
      port: HTTP,
      service: { type: "NodePort", nodePort: r.resultNodePort },
    },
  ];
}

export function tierByKey(tiers: Tier[], key: TierKey): Tier {
  const tier = tiers.find((t) => t.key === key);
  if (!tier) throw new Error(`no tier "${key}" among ${tiers.map((t) => t.key).join(", ")}`);
  return tier;
}

/** `name` and `part-of`: carried by every object of the app. */
export function appLabels(r: ResolvedAppArgs, name: string): Record<string, string> {
  return { [`${r.labels.prefix}/name`]: name, [`${r.labels.prefix}/part-of`]: r.labels.partOf };
}

/** The labels of a tier's pods; Services and NetworkPolicies select on exactly these. */
export function tierLabels(r: ResolvedAppArgs, tier: Tier): Record<string, string> {
  return { ...appLabels(r, tier.name), tier: tier.role };
}

export function credentialsSecretName(r: ResolvedAppArgs): string {
  return `${r.serviceNames.db}-credentials`;
}
