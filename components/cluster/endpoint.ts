// Where the API server is reached: the configured controlPlaneEndpoint, else the first control plane.
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";

export const API_SERVER_PORT = 6443;

export interface Endpoint {
  host: string;
  port: number;
}

/** "10.0.0.5" → {host, 6443}; "api.lab:8443" → {host: "api.lab", port: 8443}. */
export function parseEndpoint(text: string): Endpoint {
  const [host, port] = text.split(":");
  return { host, port: port ? Number(port) : API_SERVER_PORT };
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

export function clusterEndpoint(
  configured: string | undefined,
  firstAddress: pulumi.Output<string>,
): pulumi.Output<Endpoint> {
  return configured
    ? pulumi.output(parseEndpoint(configured))
    : firstAddress.apply((host) => ({ host, port: API_SERVER_PORT }));
}

/** The admin kubeconfig with its server pointed at the endpoint the Pulumi host can reach. */
export function withServer(kubeconfig: string, endpoint: Endpoint): string {
  const doc = YAML.parse(kubeconfig);
  for (const entry of doc?.clusters ?? []) {
    if (entry?.cluster) entry.cluster.server = `https://${formatEndpoint(endpoint)}`;
  }
  return YAML.stringify(doc);
}
