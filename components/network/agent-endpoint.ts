// With more than one control plane, the addon's node agents reach the API server at the cluster's
// endpoint (kube-vip's VIP or the user's load balancer), as kubelet and kube-proxy do, instead of
// through the `kubernetes` Service. That Service is a kube-proxy DNAT to one API server chosen per
// connection: when that control plane dies hard, the agent's watch hangs on a dead address (no
// reset ever comes) and misses every change meanwhile. A flannel agent that restarts while the API
// is unreachable gives its VXLAN device a new MAC address; a peer whose watch hung never learns
// it, and pod traffic between the two nodes is dropped for minutes. Through the VIP, the new holder
// resets the old connections at once and the watches resume.
import type * as pulumi from "@pulumi/pulumi";

export interface AgentEndpoint {
  host: pulumi.Input<string>;
  port: number;
}

/** The environment client-go's in-cluster configuration reads the API server's address from. */
export function endpointEnv(endpoint: AgentEndpoint): { name: string; value: pulumi.Input<string> }[] {
  return [
    { name: "KUBERNETES_SERVICE_HOST", value: endpoint.host },
    { name: "KUBERNETES_SERVICE_PORT", value: String(endpoint.port) },
  ];
}

/** flannel's agent container in its chart's DaemonSet. */
const FLANNEL_AGENT = { kind: "kubernetes:apps/v1:DaemonSet", container: "kube-flannel" } as const;

type Container = { name?: string; env?: { name: string }[] };

/**
 * A resource transform for flannel's chart, whose values offer no environment: the agent container
 * gets the endpoint's address in place of the Service's (an explicit env entry wins over the one
 * kubelet injects). Every other resource passes unchanged.
 */
export function flannelAgentTransform(endpoint: AgentEndpoint): pulumi.ResourceTransform {
  const env = endpointEnv(endpoint);
  const names = new Set(env.map((e) => e.name));
  return (args) => {
    if (args.type !== FLANNEL_AGENT.kind) return undefined;
    const props = args.props as { spec?: { template?: { spec?: { containers?: Container[] } } } };
    const containers = props.spec?.template?.spec?.containers;
    if (!containers?.some((c) => c.name === FLANNEL_AGENT.container)) return undefined;
    const withEnv = containers.map((c) =>
      c.name === FLANNEL_AGENT.container
        ? { ...c, env: [...(c.env ?? []).filter((e) => !names.has(e.name)), ...env] }
        : c,
    );
    const spec = {
      ...props.spec,
      template: { ...props.spec?.template, spec: { ...props.spec?.template?.spec, containers: withEnv } },
    };
    return { props: { ...args.props, spec }, opts: args.opts };
  };
}

/**
 * Calico's tigera-operator reads the API server's address for itself and for calico-node from this
 * ConfigMap in its own namespace (Calico's documented way to bypass the `kubernetes` Service).
 */
export function calicoServicesEndpoint(endpoint: AgentEndpoint, namespace: string) {
  return {
    metadata: { name: "kubernetes-services-endpoint", namespace },
    data: Object.fromEntries(endpointEnv(endpoint).map((e) => [e.name, e.value])),
  };
}
