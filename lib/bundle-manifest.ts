// The offline bundle's manifest.json (README "Offline bundle"): every file with its sha256 and what it
// is for. `npm run bundle` writes it; `kubelab:offline.bundle` validates and installs from it.
import { z } from "zod";

export const BUNDLE_SCHEMA_VERSION = 1;

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, "must be 64 lowercase hex digits (sha256)");
/** A path inside the bundle: relative, forward slashes, no `..`. */
const bundlePath = z
  .string()
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._+\-/]+$/, "must be a relative path inside the bundle");
/** An image reference with a tag (and optionally a digest), e.g. registry.k8s.io/pause:3.10.2. */
const imageRef = z.string().regex(/^[a-z0-9.\-_/:]+:[A-Za-z0-9._-]+(@sha256:[a-f0-9]{64})?$/, "must be REPO:TAG");

const common = { path: bundlePath, sha256, size: z.number().int().nonnegative() };

/** An executable installed on every node at `install` (an absolute path, e.g. /usr/local/bin/kubeadm). */
const binary = z.strictObject({
  ...common,
  kind: z.literal("binary"),
  install: z.string().regex(/^\/[A-Za-z0-9._\-/]+$/, "must be an absolute path"),
});

/**
 * What an image is for. Control-plane images come from `kubeadm config images list`;
 * `cni:<addon>/<image>` images belong to a pod-network addon (e.g. `cni:flannel/flannel`,
 * `cni:flannel/cni-plugin`); `app:<tier>` to the sample app; `probe` is the network check's agnhost.
 */
export const imagePurpose = z
  .string()
  .regex(
    /^(kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|etcd|coredns|pause|probe|kube-vip|cni:[a-z]+\/[a-z0-9-]+|app:[a-z]+)$/,
    "must be a control-plane component, etcd, coredns, pause, probe, kube-vip, cni:<addon>/<image> or app:<tier>",
  );

/** An OCI image archive (`ctr images import` format) carrying exactly `ref`. */
const image = z.strictObject({ ...common, kind: z.literal("image"), ref: imageRef, purpose: imagePurpose });

/** A Helm chart as a .tgz for one pod-network addon. */
const chart = z.strictObject({
  ...common,
  kind: z.literal("chart"),
  cni: z.enum(["calico", "flannel", "cilium"]),
  /** The chart's own version (Chart.yaml `version`). */
  version: z.string().min(1),
});

/** A systemd unit or drop-in written to `install`. */
const unit = z.strictObject({
  ...common,
  kind: z.literal("unit"),
  install: z.string().regex(/^\/etc\/systemd\/system\/[A-Za-z0-9@._\-/]+$/, "must be under /etc/systemd/system"),
});

export const bundleFile = z.discriminatedUnion("kind", [binary, image, chart, unit]);

export const bundleManifestSchema = z.strictObject({
  schemaVersion: z.literal(BUNDLE_SCHEMA_VERSION),
  /** The exact Kubernetes patch the binaries and control-plane images are, e.g. "v1.36.3". */
  kubernetesVersion: z.string().regex(/^v\d+\.\d+\.\d+$/, "must be an exact version such as v1.36.3"),
  /** Where kubeadm finds the control-plane images (its `imageRepository`). */
  imageRepository: z.string().min(1),
  /** Tags kubeadm must be told when they differ from its built-in defaults. */
  etcdImageTag: z.string().min(1),
  corednsImageTag: z.string().min(1),
  pauseImage: imageRef,
  /** When and from what the bundle was built (free text, for people). */
  created: z.string().optional(),
  builtFrom: z.record(z.string(), z.string()).optional(),
  files: z.array(bundleFile).min(1),
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;
export type BundleFile = z.infer<typeof bundleFile>;
export type BundleImage = Extract<BundleFile, { kind: "image" }>;
