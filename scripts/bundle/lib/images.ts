// The bundle's images as data: reference, purpose, base root filesystem, files and config.
import { BundleImage } from "../../../lib/bundle-manifest";
import { KubeadmConstants, kubeadmImages } from "./kubeadm";

/** Root filesystems from rootfs.sh; "static" is CA certificates + passwd for static binaries. */
export type Rootfs = "static" | "net" | "python" | "redis" | "postgres";

/** A file copied into the image: from a built component's directory (or the app sources) to a path. */
export interface ImageFile {
  component: string;
  file: string;
  to: string;
}

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
}

export interface ImageSpec {
  /** Short name: the archive is images/<name>.tar. */
  name: string;
  ref: string;
  purpose: BundleImage["purpose"];
  rootfs: Rootfs;
  files: ImageFile[];
  config: ImageConfig;
}

export const KUBELAB_REGISTRY = "kubelab.local";
export const IMAGE_REPOSITORY = `${KUBELAB_REGISTRY}/k8s`;
const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ImageVersions {
  kubernetes: string;
  constants: KubeadmConstants;
  flannel: string;
  flannelCni: string;
  agnhost: string;
  app: string;
  kubeVip?: string;
}

function bin(component: string, file: string, dir = "/usr/local/bin"): ImageFile {
  return { component, file, to: `${dir}/${file}` };
}

/** Control-plane images, named exactly as kubeadm lists them under IMAGE_REPOSITORY. */
export function controlPlaneImages(v: ImageVersions): ImageSpec[] {
  const refs = Object.fromEntries(
    kubeadmImages(v.constants, v.kubernetes, IMAGE_REPOSITORY).map((i) => [i.purpose, i.ref]),
  );
  // kubeadm's static pods and the kube-proxy DaemonSet call these binaries by name (or by
  // /usr/local/bin/<name>), so they sit on PATH where the upstream images have them.
  const server = (name: "kube-apiserver" | "kube-controller-manager" | "kube-scheduler"): ImageSpec => ({
    name,
    ref: refs[name],
    purpose: name,
    rootfs: "static",
    files: [bin("kubernetes", name)],
    config: { Entrypoint: [`/usr/local/bin/${name}`], Env: [PATH] },
  });
  return [
    server("kube-apiserver"),
    server("kube-controller-manager"),
    server("kube-scheduler"),
    {
      // kube-proxy programs iptables/nftables: a Debian root with both.
      name: "kube-proxy",
      ref: refs["kube-proxy"],
      purpose: "kube-proxy",
      rootfs: "net",
      files: [bin("kubernetes", "kube-proxy")],
      config: { Entrypoint: ["/usr/local/bin/kube-proxy"], Env: [PATH] },
    },
    {
      name: "etcd",
      ref: refs.etcd,
      purpose: "etcd",
      rootfs: "static",
      files: [bin("etcd", "etcd"), bin("etcd", "etcdctl")],
      config: { Entrypoint: ["/usr/local/bin/etcd"], Env: [PATH] },
    },
    {
      name: "coredns",
      ref: refs.coredns,
      purpose: "coredns",
      rootfs: "static",
      files: [{ component: "coredns", file: "coredns", to: "/coredns" }],
      config: { Entrypoint: ["/coredns"], ExposedPorts: { "53/tcp": {}, "53/udp": {} } },
    },
    {
      name: "pause",
      ref: refs.pause,
      purpose: "pause",
      rootfs: "static",
      files: [{ component: "pause", file: "pause", to: "/pause" }],
      config: { Entrypoint: ["/pause"], User: "65535:65535" },
    },
  ];
}

/** Flannel's two images (the chart's daemon and its CNI-binary copier), the probe and kube-vip. */
export function addonImages(v: ImageVersions): ImageSpec[] {
  const images: ImageSpec[] = [
    {
      name: "flannel",
      ref: `${KUBELAB_REGISTRY}/flannel/flannel:${v.flannel}`,
      purpose: "cni:flannel/flannel",
      rootfs: "net",
      files: [bin("flannel", "flanneld", "/opt/bin"), bin("flannel", "install-conf", "/opt/bin")],
      config: { Entrypoint: ["/opt/bin/flanneld"], Env: [PATH] },
    },
    {
      // The chart's init container runs `cp -f /flannel /opt/cni/bin/flannel`.
      name: "flannel-cni-plugin",
      ref: `${KUBELAB_REGISTRY}/flannel/flannel-cni-plugin:${v.flannelCni}`,
      purpose: "cni:flannel/cni-plugin",
      rootfs: "net",
      files: [{ component: "flannel-cni", file: "flannel", to: "/flannel" }],
      config: { Env: [PATH] },
    },
    {
      // network-check.sh execs a POSIX sh loop with curl and dig in the probe pods.
      name: "agnhost",
      ref: `${IMAGE_REPOSITORY}/agnhost:${v.agnhost}`,
      purpose: "probe",
      rootfs: "net",
      files: [{ component: "kubernetes", file: "agnhost", to: "/agnhost" }],
      config: { Entrypoint: ["/agnhost"], Cmd: ["pause"], Env: [PATH] },
    },
  ];
  if (v.kubeVip) {
    images.push({
      name: "kube-vip",
      ref: `${KUBELAB_REGISTRY}/kube-vip/kube-vip:${v.kubeVip}`,
      purpose: "kube-vip",
      rootfs: "static",
      files: [{ component: "kube-vip", file: "kube-vip", to: "/kube-vip" }],
      config: { Entrypoint: ["/kube-vip"] },
    });
  }
  return images;
}

const APP_FILES = ["votes.py", "vote.py", "worker.py", "result.py"].map((f) => ({
  component: "app",
  file: f,
  to: `/app/${f}`,
}));

/**
 * The sample app from Debian packages, with the stock images' contract (components/app):
 * vote and result serve port 80 as root (the pods add only NET_BIND_SERVICE), redis and db run as
 * uid/gid 999 with their data under /data and /var/lib/postgresql/data.
 */
export function appImages(v: ImageVersions): ImageSpec[] {
  const ref = (tier: string) => `${KUBELAB_REGISTRY}/app/${tier}:${v.app}`;
  const python = ["PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", PATH];
  const http = { "80/tcp": {} };
  const gunicorn = ["gunicorn", "--chdir", "/app", "--workers", "2", "--worker-tmp-dir", "/dev/shm"];
  return [
    {
      name: "app-vote",
      ref: ref("vote"),
      purpose: "app:vote",
      rootfs: "python",
      files: APP_FILES,
      config: { Cmd: [...gunicorn, "--bind", "0.0.0.0:80", "vote:app"], Env: python, ExposedPorts: http },
    },
    {
      // gunicorn binds 0.0.0.0:$PORT when PORT is set, which the result Deployment does.
      name: "app-result",
      ref: ref("result"),
      purpose: "app:result",
      rootfs: "python",
      files: APP_FILES,
      config: { Cmd: [...gunicorn, "result:app"], Env: [...python, "PORT=80"], ExposedPorts: http },
    },
    {
      name: "app-worker",
      ref: ref("worker"),
      purpose: "app:worker",
      rootfs: "python",
      files: APP_FILES,
      config: { Cmd: ["python3", "/app/worker.py"], Env: python, User: "1000:1000" },
    },
    {
      name: "app-redis",
      ref: ref("redis"),
      purpose: "app:redis",
      rootfs: "redis",
      files: [],
      config: {
        // Without a config file Debian's redis-server only answers loopback clients (protected mode).
        Cmd: ["redis-server", "--protected-mode", "no", "--dir", "/data"],
        User: "999:999",
        WorkingDir: "/data",
        Env: [PATH],
        ExposedPorts: { "6379/tcp": {} },
      },
    },
    {
      name: "app-db",
      ref: ref("db"),
      purpose: "app:db",
      rootfs: "postgres",
      files: [{ component: "app", file: "db-entrypoint.sh", to: "/usr/local/bin/db-entrypoint.sh" }],
      config: {
        Entrypoint: ["/usr/local/bin/db-entrypoint.sh"],
        User: "999:999",
        Env: [PATH, "LANG=C.UTF-8", "PGDATA=/var/lib/postgresql/data"],
        ExposedPorts: { "5432/tcp": {} },
      },
    },
  ];
}

export function allImages(v: ImageVersions): ImageSpec[] {
  return [...controlPlaneImages(v), ...addonImages(v), ...appImages(v)];
}
