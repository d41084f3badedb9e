// kube-vip as a static pod on every control plane (ARP mode, leader election): the virtual IP that
// becomes controlPlaneEndpoint exists before `kubeadm init`, so it can be baked into the
// certificates and every kubeconfig. Pure functions; scripts/node/kube-vip.sh writes the result.
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPod } from "kubernetes-models/v1/Pod";
import YAML from "yaml";
import { K8sObject } from "../../policy/types";
import { API_SERVER_PORT } from "./endpoint";

/**
 * The public image, pinned by tag: v1.0.0 is what the Go module proxy serves (the offline bundle
 * builds the same version from Go modules). Its digest cannot be checked from here (no registry
 * access), so it is not pinned by digest; an offline stack passes the bundle's image instead.
 */
export const DEFAULT_KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v1.0.0";
export const KUBE_VIP_MANIFEST_PATH = "/etc/kubernetes/manifests/kube-vip.yaml";
/** The Lease the control planes elect a VIP holder with: its holderIdentity is the node name. */
export const KUBE_VIP_LEASE = { namespace: "kube-system", name: "plndr-cp-lock" } as const;
/** Kubeconfigs the pod may mount; kube-vip.sh swaps one for the other on the first control plane. */
export const ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf";
export const SUPER_ADMIN_KUBECONFIG = "/etc/kubernetes/super-admin.conf";
/** kube-vip reads this path inside its container, whatever the host file is (pkg/manager). */
const CONTAINER_KUBECONFIG = "/etc/kubernetes/admin.conf";

export interface KubeVipArgs {
  /** The virtual IPv4 address (nodes.vip.address, resolved). */
  readonly address: string;
  /** The API server port behind the VIP. @default 6443 */
  readonly port?: number;
  /** @default DEFAULT_KUBE_VIP_IMAGE; the bundle's `kube-vip` image on an offline stack */
  readonly image?: string;
  /** The interface that carries the VIP; unset: kube-vip.sh picks the one that routes to it. */
  readonly interface?: string;
  /**
   * Leader election in seconds. client-go's 15/10/2 leaves the VIP unanswered for up to 15 s after
   * its holder dies; 5/3/1 moves it within about 5 s (lease > renew > 1.2 x retry, as client-go needs).
   * @default 5, 3, 1
   */
  readonly leaseSeconds?: number;
  readonly renewSeconds?: number;
  readonly retrySeconds?: number;
  /**
   * The host kubeconfig kube-vip talks to its local API server with. @default ADMIN_KUBECONFIG.
   * kube-vip.sh mounts SUPER_ADMIN_KUBECONFIG instead while the first control plane initialises:
   * since kubeadm 1.29, admin.conf has no rights until `kubeadm init` binds them.
   */
  readonly kubeconfigPath?: string;
}

type Resolved = Required<Omit<KubeVipArgs, "interface">> & Pick<KubeVipArgs, "interface">;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** A Linux interface name, as kube-vip.sh also accepts. */
const INTERFACE = /^[A-Za-z0-9_.-]{1,15}$/;
const IMAGE = /^[a-z0-9.\-_/:]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/;

function resolve(args: KubeVipArgs): Resolved {
  const r: Resolved = {
    address: args.address,
    port: args.port ?? API_SERVER_PORT,
    image: args.image ?? DEFAULT_KUBE_VIP_IMAGE,
    interface: args.interface,
    leaseSeconds: args.leaseSeconds ?? 5,
    renewSeconds: args.renewSeconds ?? 3,
    retrySeconds: args.retrySeconds ?? 1,
    kubeconfigPath: args.kubeconfigPath ?? ADMIN_KUBECONFIG,
  };
  const problems = argProblems(r);
  if (problems.length) throw new Error(`kube-vip manifest: ${problems.join("; ")}`);
  return r;
}

function argProblems(r: Resolved): string[] {
  const out: string[] = [];
  if (!IPV4.test(r.address)) out.push(`address ${JSON.stringify(r.address)} is not an IPv4 address`);
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) out.push(`port ${r.port} is not 1-65535`);
  if (!IMAGE.test(r.image)) out.push(`image ${JSON.stringify(r.image)} is not an image reference (REPO:TAG)`);
  if (r.interface !== undefined && !INTERFACE.test(r.interface)) {
    out.push(`interface ${JSON.stringify(r.interface)} is not a Linux interface name (1-15 of A-Z a-z 0-9 _ . -)`);
  }
  const timings = [r.leaseSeconds, r.renewSeconds, r.retrySeconds];
  if (!timings.every((t) => Number.isInteger(t) && t >= 1)) {
    out.push(`lease/renew/retry seconds ${timings.join("/")} must be whole seconds >= 1`);
  } else if (!(r.leaseSeconds > r.renewSeconds && r.renewSeconds > 1.2 * r.retrySeconds)) {
    // client-go's LeaderElector refuses anything else and kube-vip would crash-loop.
    out.push(`lease/renew/retry seconds ${timings.join("/")} must satisfy lease > renew > 1.2 x retry, e.g. 5/3/1`);
  }
  if (![ADMIN_KUBECONFIG, SUPER_ADMIN_KUBECONFIG].includes(r.kubeconfigPath)) {
    out.push(
      `kubeconfigPath ${JSON.stringify(r.kubeconfigPath)} must be ${ADMIN_KUBECONFIG} or ${SUPER_ADMIN_KUBECONFIG}`,
    );
  }
  return out;
}

/** kube-vip's settings (pkg/kubevip/config_envvar.go): ARP, control plane only, tuned election. */
function environment(r: Resolved): IEnvVar[] {
  const value = (name: string, v: string | number): IEnvVar => ({ name, value: String(v) });
  return [
    // First, where kube-vip.sh puts the interface it detects when none is named here.
    ...(r.interface ? [value("vip_interface", r.interface)] : []),
    value("vip_arp", "true"),
    value("port", r.port),
    // The lease holder's identity: the node name, so `kubectl get lease` names the node holding the VIP.
    { name: "vip_nodename", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    // A /32 on the interface: no second route to nodeCidr appears on the holder.
    value("vip_subnet", "32"),
    value("cp_enable", "true"),
    value("cp_namespace", KUBE_VIP_LEASE.namespace),
    // Services of type LoadBalancer stay kube-vip-free: this pod only carries the API server's VIP.
    value("svc_enable", "false"),
    value("vip_leaderelection", "true"),
    value("vip_leasename", KUBE_VIP_LEASE.name),
    value("vip_leaseduration", r.leaseSeconds),
    value("vip_renewdeadline", r.renewSeconds),
    value("vip_retryperiod", r.retrySeconds),
    // Metrics on loopback only: with hostNetwork the default :2112 would listen on every node address.
    value("prometheus_server", "127.0.0.1:2112"),
    value("address", r.address),
  ];
}

/** The static Pod kube-vip runs as on a control plane, as a plain object. */
export function kubeVipManifest(args: KubeVipArgs): K8sObject {
  const r = resolve(args);
  const pod: IPod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "kube-vip",
      namespace: KUBE_VIP_LEASE.namespace,
      labels: { "app.kubernetes.io/name": "kube-vip", "app.kubernetes.io/managed-by": "kubelab" },
    },
    spec: {
      // The VIP goes on the node's own interface, so the pod lives in the node's network namespace.
      hostNetwork: true,
      // kube-vip dials https://kubernetes:<port> (its local API server, which serves that name).
      hostAliases: [{ ip: "127.0.0.1", hostnames: ["kubernetes"] }],
      priorityClassName: "system-node-critical",
      containers: [
        {
          name: "kube-vip",
          image: r.image,
          // Offline nodes hold the image already; online ones pull a pinned tag once.
          imagePullPolicy: "IfNotPresent",
          args: ["manager"],
          env: environment(r),
          // Adding an address and sending gratuitous ARP is all it does to the node.
          securityContext: {
            capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
            allowPrivilegeEscalation: false,
          },
          volumeMounts: [{ name: "kubeconfig", mountPath: CONTAINER_KUBECONFIG, readOnly: true }],
        },
      ],
      // `File`, not the default: a missing kubeconfig must not be created as an empty directory,
      // where kubeadm would then fail to write it.
      volumes: [{ name: "kubeconfig", hostPath: { path: r.kubeconfigPath, type: "File" } }],
    },
  };
  return pod as unknown as K8sObject;
}

/**
 * The manifest as kube-vip.sh receives it, in YAML 1.1 quoting as kubelet reads it. kube-vip.sh edits
 * this layout and nothing else: the one `path:` line naming the kubeconfig, and the `env:` list, at
 * whose head it inserts `vip_interface` with a double-quoted value, exactly as written here.
 */
export function kubeVipManifestYaml(args: KubeVipArgs): string {
  const doc = new YAML.Document(kubeVipManifest(args), { version: "1.1" });
  YAML.visit(doc, {
    Map(_, map) {
      const value = map.get("value", true);
      if (map.get("name") === "vip_interface" && YAML.isScalar(value)) value.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString();
}
