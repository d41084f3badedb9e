// What reaches the outside: a NodePort answers on every node's address, so it must front only
// the tier meant for users; and a NetworkPolicy is only a promise if the CNI enforces it.
import { violation } from "../k8s";
import { ObjectRule, ServiceView, buildIndex } from "../object-index";
import { PodTemplate } from "../pod-templates";
import { Violation, cniEnforcesNetworkPolicy } from "../types";

const BACKEND_TIERS = new Set(["backend", "data", "database", "db", "cache", "datastore", "storage"]);

/** Image repository names (last path segment) of common datastores. */
const DATASTORE_IMAGES = new Set([
  "redis",
  "valkey",
  "postgres",
  "postgresql",
  "mysql",
  "mariadb",
  "mongo",
  "mongodb",
  "memcached",
  "cassandra",
  "elasticsearch",
  "opensearch",
  "etcd",
  "rabbitmq",
  "kafka",
  "zookeeper",
  "couchdb",
  "influxdb",
  "neo4j",
  "clickhouse-server",
  "cockroach",
  "nats",
]);

const DATASTORE_PORTS = new Map<number, string>([
  [6379, "Redis"],
  [5432, "PostgreSQL"],
  [3306, "MySQL"],
  [27017, "MongoDB"],
  [11211, "Memcached"],
  [9042, "Cassandra"],
  [9200, "Elasticsearch"],
  [2379, "etcd"],
  [5672, "AMQP"],
  [9092, "Kafka"],
  [2181, "ZooKeeper"],
  [5984, "CouchDB"],
  [8086, "InfluxDB"],
  [7687, "Neo4j"],
  [26257, "CockroachDB"],
  [4222, "NATS"],
]);

/** `registry:5000/team/redis:7.2@sha256:...` -> `redis`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0];
  const last = withoutDigest.split("/").pop() ?? withoutDigest;
  return last.split(":")[0].toLowerCase();
}

function servicePortNumbers(svc: ServiceView): number[] {
  return svc.ports.flatMap((p) => [p.port, p.targetPort]).filter((n): n is number => typeof n === "number");
}

function templateReason(svc: ServiceView, t: PodTemplate): string | undefined {
  if (t.labels.tier !== undefined) {
    return BACKEND_TIERS.has(t.labels.tier) ? `${t.resource} (labelled tier=${t.labels.tier})` : undefined;
  }
  const image = t.containers.map((c) => c.image ?? "").find((i) => DATASTORE_IMAGES.has(imageRepository(i)));
  if (image) return `${t.resource} (datastore image ${image})`;
  const declared = t.containers.flatMap((c) => c.ports.map((p) => p.containerPort));
  const port = [...servicePortNumbers(svc), ...declared].find((n) => n !== undefined && DATASTORE_PORTS.has(n));
  return port === undefined ? undefined : `${t.resource} (${DATASTORE_PORTS.get(port)} port ${port})`;
}

function backendReason(svc: ServiceView, templates: PodTemplate[]): string | undefined {
  const tier = svc.selector?.tier;
  if (tier !== undefined) return BACKEND_TIERS.has(tier) ? `pods labelled tier=${tier}` : undefined;
  if (templates.length === 0) {
    const port = servicePortNumbers(svc).find((n) => DATASTORE_PORTS.has(n));
    return port === undefined ? undefined : `the ${DATASTORE_PORTS.get(port)} port ${port}`;
  }
  return templates.map((t) => templateReason(svc, t)).find((r) => r !== undefined);
}

/** `backend-exposed`: datastores and backends stay behind a ClusterIP, reached by service name. */
export const backendExposed: ObjectRule = (objects, _plan, index = buildIndex(objects)) => {
  const out: Violation[] = [];
  for (const svc of index.services) {
    if (svc.type !== "NodePort" && svc.type !== "LoadBalancer") continue;
    const reason = backendReason(svc, index.select(svc.namespace, svc.selector));
    if (!reason) continue;
    const where = svc.type === "NodePort" ? "on a port of every node's address" : "through an external load balancer";
    out.push(
      violation(
        "backend-exposed",
        "error",
        svc.source,
        `a ${svc.type} Service exposes ${reason} outside the cluster ${where}; backends and datastores should ` +
          `only be reachable from inside: make it type ClusterIP and let the frontend reach it by its service ` +
          `name (${svc.name}.${svc.namespace}.svc)`,
      ),
    );
  }
  return out;
};

/** `networkpolicy-unenforced`: the API server stores a NetworkPolicy even when no CNI will apply it. */
export const networkPolicyUnenforced: ObjectRule = (objects, plan) => {
  if (!plan.cni || cniEnforcesNetworkPolicy(plan.cni)) return [];
  return objects
    .filter((o) => o.object.kind === "NetworkPolicy")
    .map((source) =>
      violation(
        "networkpolicy-unenforced",
        "error",
        source,
        `the ${plan.cni} CNI does not implement NetworkPolicy, so this policy is accepted but never enforced ` +
          `and every pod can still reach every other pod; use calico or cilium (kubelab:network.cni) or ` +
          `drop the policy`,
      ),
    );
};
