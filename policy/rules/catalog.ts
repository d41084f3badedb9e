// The rule list of DESIGN §5 with what each protects; RULES.md and the policy pack are built from it.
import { ObjectRule } from "../object-index";
import { Severity } from "../types";
import { backendExposed, networkPolicyUnenforced } from "./exposure";
import { hardcodedIp } from "./hardcoded-ip";
import { nodePortDuplicate, nodePortRange } from "./nodeports";
import { apiVersion, deploymentSelectorMismatch } from "./schema";
import { multiportUnnamed, serviceNoEndpoints, servicePortMissing, targetPortUnresolved } from "./services";
import {
  imageUnpinned,
  missingProbes,
  missingResources,
  privilegeEscalation,
  probePortUnresolved,
  runsAsRoot,
} from "./containers";
import { defaultNamespace, namespacePssMissing } from "./namespaces";
import { OFFLINE_IMAGE_MISSING, offlineImageMissing } from "./offline-images";

export interface RuleInfo {
  name: string;
  /** The severity of its findings; a few rules downgrade a softer case to a warning (see summary). */
  severity: Severity;
  summary: string;
  /** The line of the Kubernetes networking model (SEED notes, DESIGN) the rule keeps true. */
  protects: string;
}

const NO_NAT = "All pods can communicate with one another, and all nodes with all pods, without NAT";

export const RULES: RuleInfo[] = [
  {
    name: "cidr-overlap",
    severity: "error",
    summary: "Pod, service, node and CNI pool ranges are pairwise disjoint.",
    protects: NO_NAT,
  },
  {
    name: "cni-cidr-mismatch",
    severity: "error",
    summary: "The CNI addon's pod pool equals kubeadm's podSubnet.",
    protects: NO_NAT,
  },
  {
    name: "pod-cidr-capacity",
    severity: "error",
    summary: "The pod CIDR holds a per-node /24 for every node.",
    protects: "The network addon gives each node its own address range, so every pod gets a unique IP",
  },
  {
    name: "service-cidr-size",
    severity: "error",
    summary: "The IPv4 service CIDR is /12 or longer, as kube-apiserver requires.",
    protects: "Each Service gets an IP (and a name) of its own",
  },
  {
    name: "nodeport-range",
    severity: "error",
    summary: "Every nodePort lies in the cluster's node port range (default 30000-32767).",
    protects: "A NodePort Service is reached on a node port of any node",
  },
  {
    name: "nodeport-duplicate",
    severity: "error",
    summary: "No two Services claim the same nodePort.",
    protects: "A NodePort answers on the IP of every node, so each port can belong to one Service",
  },
  {
    name: "service-no-endpoints",
    severity: "error",
    summary:
      "A Service selector matches a pod template in its namespace (error); a Service without selector has an Endpoints/EndpointSlice or is ExternalName (warning otherwise).",
    protects: "A Service load-balances to the pods its selector matches",
  },
  {
    name: "target-port-unresolved",
    severity: "error",
    summary:
      "A named targetPort is a named containerPort of every selected template (error); a numeric one (or port, when targetPort is omitted) is declared by a selected container (warning).",
    protects: "targetPort is the pod port the Service forwards to; omitted, it equals port",
  },
  {
    name: "multiport-unnamed",
    severity: "error",
    summary: "Every port of a multi-port Service has a unique name.",
    protects: "Ports is an array: a Service can have several port mappings",
  },
  {
    name: "service-port-missing",
    severity: "error",
    summary: "A Service has ports, and each has a port number 1-65535.",
    protects: "In a Service definition the only mandatory field is port",
  },
  {
    name: "api-version",
    severity: "error",
    summary: "apiVersion serves the object's kind (catches `vl` for `v1`, removed beta APIs).",
    protects: "The sample Service of the notes (`apiVersion: vl`) that kubectl refuses",
  },
  {
    name: "deployment-selector-mismatch",
    severity: "error",
    summary:
      "A Deployment/ReplicaSet/StatefulSet/DaemonSet/Job/ReplicationController selector matches its own template labels.",
    protects: "Controllers and Services find pods by labels (matchLabels in a ReplicaSet)",
  },
  {
    name: "backend-exposed",
    severity: "error",
    summary:
      "NodePort/LoadBalancer Services do not select tier=backend/data pods or, without a tier label, datastore images or ports.",
    protects: "NodePort exposes pods on every node's IP; ClusterIP keeps each tier internal",
  },
  {
    name: "hardcoded-ip",
    severity: "error",
    summary:
      "No IPv4 literal (other than loopback and 0.0.0.0) in container env values, commands or args; names the service to use.",
    protects: "Pod IPs change when pods are recreated; other pods should use the Service name",
  },
  {
    name: "networkpolicy-unenforced",
    severity: "error",
    summary: "NetworkPolicies are only used with a CNI that enforces them (not flannel).",
    protects: "The network addon, not Kubernetes, implements pod networking and its policies",
  },
  {
    name: "vip-outside-node-cidr",
    severity: "error",
    summary:
      "The control-plane VIP (nodes.vip) is an IPv4 address inside nodeCidr, where ARP reaches every control plane.",
    protects:
      "Every node reaches the API server; kube-vip moves its address between control planes on the node network",
  },
  {
    name: "vip-overlap",
    severity: "error",
    summary: "The control-plane VIP is not inside the pod or service CIDR.",
    protects: NO_NAT,
  },
  {
    name: OFFLINE_IMAGE_MISSING,
    severity: "error",
    summary: "With an offline bundle, every container image is one the bundle holds, and none is pulled Always.",
    protects: "Pods are scheduled onto any node; each node must be able to start their containers",
  },
  {
    name: "image-unpinned",
    severity: "warning",
    summary: "Images carry a version tag (not latest) or digest.",
    protects: "Each tier can scale and move across nodes without changing behaviour",
  },
  {
    name: "missing-probes",
    severity: "warning",
    summary: "Long-running containers have readiness and liveness probes.",
    protects: "A Service only load-balances to pods that can answer",
  },
  {
    name: "probe-port-unresolved",
    severity: "warning",
    summary: "A named probe port is a named containerPort of the same container.",
    protects: "targetPort and probes address the pod's ports by number or name",
  },
  {
    name: "missing-resources",
    severity: "warning",
    summary: "Containers set requests.cpu, requests.memory and limits.memory.",
    protects: "Pods are distributed across nodes; each node must have room for them",
  },
  {
    name: "runs-as-root",
    severity: "warning",
    summary: "Containers run with runAsNonRoot or a non-zero runAsUser.",
    protects: "All nodes can reach all pods: a root container is one step from the node network",
  },
  {
    name: "privilege-escalation",
    severity: "warning",
    summary: "Containers set allowPrivilegeEscalation: false and are not privileged.",
    protects: "All nodes can reach all pods: a privileged container controls the node network",
  },
  {
    name: "default-namespace",
    severity: "warning",
    summary: "Namespaced objects set a namespace other than default.",
    protects: "Pods reach a Service by name; names (<service>.<namespace>.svc) are scoped by namespace",
  },
  {
    name: "namespace-pss-missing",
    severity: "warning",
    summary: "Namespaces carry a valid pod-security.kubernetes.io/enforce label.",
    protects: "All pods share one flat network, so what may run in a namespace matters",
  },
];

/** Rules over objects (the plan rules live in ../plan-rules.ts), keyed by DESIGN §5 name. */
export const OBJECT_RULES: Record<string, ObjectRule> = {
  "nodeport-range": nodePortRange,
  "nodeport-duplicate": nodePortDuplicate,
  "service-no-endpoints": serviceNoEndpoints,
  "target-port-unresolved": targetPortUnresolved,
  "multiport-unnamed": multiportUnnamed,
  "service-port-missing": servicePortMissing,
  "api-version": apiVersion,
  "deployment-selector-mismatch": deploymentSelectorMismatch,
  "backend-exposed": backendExposed,
  "hardcoded-ip": hardcodedIp,
  "networkpolicy-unenforced": networkPolicyUnenforced,
  [OFFLINE_IMAGE_MISSING]: offlineImageMissing,
  "image-unpinned": imageUnpinned,
  "missing-probes": missingProbes,
  "probe-port-unresolved": probePortUnresolved,
  "missing-resources": missingResources,
  "runs-as-root": runsAsRoot,
  "privilege-escalation": privilegeEscalation,
  "default-namespace": defaultNamespace,
  "namespace-pss-missing": namespacePssMissing,
};
