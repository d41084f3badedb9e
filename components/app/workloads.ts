// Namespace, credentials Secret, Deployments and Services of the voting app, as plain objects.
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { IPodSecurityContext } from "kubernetes-models/v1/PodSecurityContext";
import type { IResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IService } from "kubernetes-models/v1/Service";
import { K8sObject } from "../../policy/types";
import { ResolvedAppArgs } from "./app-args";
import { Tier, TierKey, appLabels, credentialsSecretName, tierLabels } from "./tiers";

// Builders are typed with kubernetes-models' interfaces (type-only): a misspelt field fails to
// compile, which the schema test alone would not catch (the OpenAPI schemas allow unknown fields).
export function asK8sObject(object: { apiVersion: string; kind: string }): K8sObject {
  return object as unknown as K8sObject;
}

/**
 * The dockersamples vote, result and worker images declare no USER: they run as root, so the
 * `restricted` profile (runAsNonRoot) would reject them. `baseline` is the strictest level they run
 * under; warn/audit at `restricted` keeps the gap visible on every apply.
 */
export const PSS_ENFORCE = "baseline";

export function namespaceObject(r: ResolvedAppArgs): K8sObject {
  const namespace: INamespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: r.namespace,
      labels: {
        ...appLabels(r, r.labels.partOf),
        "pod-security.kubernetes.io/enforce": PSS_ENFORCE,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
      },
    },
  };
  return asK8sObject(namespace);
}

/** postgres/postgres is what the stock worker and result images hard-code, so the database must accept it. */
export function credentialsSecret(r: ResolvedAppArgs, dbTier: Tier): K8sObject {
  const secret: ISecret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: credentialsSecretName(r), namespace: r.namespace, labels: tierLabels(r, dbTier) },
    type: "kubernetes.io/basic-auth",
    stringData: { username: "postgres", password: "postgres" },
  };
  return asK8sObject(secret);
}

function tierEnv(tier: Tier, r: ResolvedAppArgs): IEnvVar[] {
  const secret = (name: string, key: string): IEnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: credentialsSecretName(r), key } },
  });
  const credentials = [secret("POSTGRES_USER", "username"), secret("POSTGRES_PASSWORD", "password")];
  // REDIS_HOST / POSTGRES_HOST: the names of dockersamples/example-voting-app#371 and #386.
  const redisHost = { name: "REDIS_HOST", value: r.serviceNames.redis };
  const dbHost = { name: "POSTGRES_HOST", value: r.serviceNames.db };
  const env: Record<TierKey, IEnvVar[]> = {
    vote: [redisHost],
    worker: [redisHost, dbHost, ...credentials],
    result: [{ name: "PORT", value: String(tier.port?.containerPort) }, dbHost, ...credentials],
    redis: [],
    // A subdirectory: initdb must own PGDATA and cannot chmod the volume's root, owned by root.
    db: [...credentials, { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }],
  };
  return env[tier.key];
}

const RESOURCES: Record<TierKey, IResourceRequirements> = {
  // gunicorn starts 4 workers (CMD of the vote image).
  vote: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "384Mi" } },
  result: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  worker: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  redis: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
  db: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
};

/**
 * Web tiers: HTTP GET / on the named port (neither page touches redis or the database on GET).
 * Data tiers: TCP on the named port; the startup probe covers initdb, during which postgres
 * listens on no TCP socket. The worker has no probes: it listens on nothing and exposes no health
 * signal, no Service selects it (so readiness gates nothing), and when its loop fails the process
 * exits and the kubelet restarts it, which is all a liveness probe could achieve.
 */
function probes(tier: Tier): Pick<IContainer, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  if (!tier.port) return {};
  const port = tier.port.name;
  if (tier.role === "frontend") {
    const httpGet = () => ({ path: "/", port });
    return {
      readinessProbe: {
        httpGet: httpGet(),
        initialDelaySeconds: 5,
        periodSeconds: 10,
        timeoutSeconds: 3,
        failureThreshold: 3,
      },
      livenessProbe: {
        httpGet: httpGet(),
        initialDelaySeconds: 15,
        periodSeconds: 20,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
    };
  }
  const tcpSocket = () => ({ port });
  return {
    startupProbe: { tcpSocket: tcpSocket(), periodSeconds: 5, failureThreshold: 36 },
    readinessProbe: { tcpSocket: tcpSocket(), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { tcpSocket: tcpSocket(), periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
  };
}

/** Data directories: the lab has no StorageClass, so data lives as long as the pod (as upstream's manifests do). */
const DATA_DIRS: Partial<Record<TierKey, { mountPath: string; sizeLimit: string }>> = {
  redis: { mountPath: "/data", sizeLimit: "256Mi" },
  db: { mountPath: "/var/lib/postgresql/data", sizeLimit: "1Gi" },
};

/**
 * redis and postgres start as root only to chown their data directory and drop to their own user
 * (uid/gid 999 in the Debian images); started as 999 they skip that step, so they run non-root.
 * The three dockersamples images run as root. vote and result bind port 80, which takes
 * NET_BIND_SERVICE once ALL is dropped (the one capability even `restricted` allows adding).
 */
function securityContexts(tier: Tier): { pod: IPodSecurityContext; container: ISecurityContext } {
  const seccompProfile = { type: "RuntimeDefault" as const };
  const drop = ["ALL"];
  if (tier.role === "data") {
    return {
      pod: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile },
      container: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop } },
    };
  }
  const capabilities = tier.port && tier.port.containerPort < 1024 ? { drop, add: ["NET_BIND_SERVICE"] } : { drop };
  return { pod: { seccompProfile }, container: { allowPrivilegeEscalation: false, capabilities } };
}

export function deploymentObject(tier: Tier, r: ResolvedAppArgs): K8sObject {
  // Fresh label objects per use: callers (tests, render) may edit one without touching the others.
  const labels = () => tierLabels(r, tier);
  const env = tierEnv(tier, r);
  const security = securityContexts(tier);
  const data = DATA_DIRS[tier.key];
  const container: IContainer = {
    name: tier.key,
    image: tier.image,
    ...(tier.port
      ? { ports: [{ name: tier.port.name, containerPort: tier.port.containerPort, protocol: "TCP" }] }
      : {}),
    env: env.length > 0 ? env : undefined,
    resources: RESOURCES[tier.key],
    ...probes(tier),
    securityContext: security.container,
    volumeMounts: data ? [{ name: "data", mountPath: data.mountPath }] : undefined,
  };
  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: tier.name, namespace: r.namespace, labels: labels() },
    spec: {
      replicas: tier.replicas,
      selector: { matchLabels: labels() },
      // A single instance with its data in an emptyDir: never run two side by side.
      strategy: data ? { type: "Recreate" } : undefined,
      template: {
        metadata: { labels: labels() },
        spec: {
          // No tier calls the Kubernetes API; and tiers find each other through DNS, not the
          // docker-link style *_SERVICE_HOST / *_PORT variables (REDIS_PORT=tcp://… confuses clients).
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: security.pod,
          containers: [container],
          volumes: data ? [{ name: "data", emptyDir: { sizeLimit: data.sizeLimit } }] : undefined,
        },
      },
    },
  };
  return asK8sObject(dropUndefined(deployment));
}

/** Optional fields are written as `undefined` above; a manifest leaves them out. */
function dropUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function serviceObject(tier: Tier, r: ResolvedAppArgs): K8sObject | undefined {
  if (!tier.service || !tier.port) return undefined;
  const nodePort = tier.service.type === "NodePort" ? tier.service.nodePort : undefined;
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: tier.name, namespace: r.namespace, labels: tierLabels(r, tier) },
    spec: {
      type: tier.service.type,
      selector: tierLabels(r, tier),
      ports: [
        { name: tier.port.name, protocol: "TCP", port: tier.port.servicePort, targetPort: tier.port.name, nodePort },
      ],
    },
  };
  return asK8sObject(dropUndefined(service));
}
