// Deterministic, plausible manifests for benchmarks: namespaces of multi-tier apps (Deployment +
// Service, some NodePort frontends, ConfigMaps, NetworkPolicies), with a few mistakes mixed in so
// the rules have findings to build, as real input would.
import YAML from "yaml";
import { K8sObject } from "../../policy/types";

export interface GenerateOptions {
  /** Apps per namespace. @default 50 */
  appsPerNamespace?: number;
  /** One app in `mistakeEvery` carries a deliberate policy mistake (0 disables). @default 7 */
  mistakeEvery?: number;
}

const TIERS = ["frontend", "backend", "backend", "data"] as const;
const IMAGES: Record<(typeof TIERS)[number], string> = {
  frontend: "ghcr.io/kubelab/web:1.4.2",
  backend: "ghcr.io/kubelab/api:2.0.1",
  data: "ghcr.io/kubelab/store:0.9.0",
};

function namespaceObject(ns: string): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  };
}

function networkPolicy(ns: string): K8sObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "same-namespace", namespace: ns },
    spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }], policyTypes: ["Ingress"] },
  };
}

function deployment(ns: string, app: string, tier: string, mistake: boolean): K8sObject {
  const labels = { app, tier };
  const container = {
    name: app,
    image: mistake ? "ghcr.io/kubelab/api" : IMAGES[tier as keyof typeof IMAGES],
    ports: [{ name: "http", containerPort: 8080 }],
    env: [{ name: "UPSTREAM", value: mistake ? "10.96.14.2:8080" : `${app}-peer.${ns}.svc.cluster.local:8080` }],
    readinessProbe: { httpGet: { path: "/ready", port: "http" } },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" } },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 10001 },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app, namespace: ns, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [container] } },
    },
  };
}

function service(ns: string, app: string, tier: string, nodePort: number | undefined, mistake: boolean): K8sObject {
  const port: Record<string, unknown> = { name: "http", port: 80, targetPort: mistake ? "web" : "http" };
  if (nodePort !== undefined) port.nodePort = nodePort;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: app, namespace: ns, labels: { app, tier } },
    spec: { type: nodePort === undefined ? "ClusterIP" : "NodePort", selector: { app, tier }, ports: [port] },
  };
}

function configMap(ns: string, app: string): K8sObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${app}-config`, namespace: ns },
    data: { LOG_LEVEL: "info" },
  };
}

/** Exactly `count` objects, the same ones for the same arguments. */
export function generateManifests(count: number, options: GenerateOptions = {}): K8sObject[] {
  const perNamespace = options.appsPerNamespace ?? 50;
  const mistakeEvery = options.mistakeEvery ?? 7;
  const out: K8sObject[] = [];
  let nodePorts = 0;
  for (let app = 0; out.length < count; app++) {
    const ns = `team-${Math.floor(app / perNamespace)}`;
    if (app % perNamespace === 0) out.push(namespaceObject(ns), networkPolicy(ns));
    const tier = TIERS[app % TIERS.length];
    const name = `${tier}-${app}`;
    const mistake = mistakeEvery > 0 && app % mistakeEvery === mistakeEvery - 1;
    // NodePorts run out after 2768 frontends; later ones stay ClusterIP, as a real cluster would.
    const nodePort = tier === "frontend" && nodePorts < 2768 ? 30000 + nodePorts++ : undefined;
    out.push(deployment(ns, name, tier, mistake), service(ns, name, tier, nodePort, mistake));
    if (app % 4 === 3) out.push(configMap(ns, name));
  }
  return out.slice(0, count);
}

/**
 * The same objects as one multi-document YAML text, written the way kubectl and Helm write
 * manifests: every document spelled out, no anchors or aliases.
 */
export function generateManifestsYaml(count: number, options: GenerateOptions = {}): string {
  return generateManifests(count, options)
    .map((o) => YAML.stringify(o, { aliasDuplicateObjects: false }))
    .join("---\n");
}
