// The offline bundle on the host (issue 14): load it (a folder, or a .tar unpacked once into the
// kubelab cache), check it against the stack's needs as config problems, and derive what the
// components and scripts/node/install-bundle.sh take from its manifest.json.
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BundleFile, BundleImage, BundleManifest, bundleManifestSchema } from "./bundle-manifest";
import type { ConfigProblem } from "./config-checks";
import type { RawLabConfig } from "./config-schema";

// The CNIs the config schema accepts: this ground-floor file needs nothing from policy/.
type Cni = RawLabConfig["network"]["cni"];

export const BUNDLE_KEY = "kubelab:offline.bundle";
export const MANIFEST = "manifest.json";
/** Where nodes keep the copy: /var/tmp survives reboots, so a re-run still finds it. */
export const NODE_BUNDLE_PARENT = "/var/tmp";

export interface OfflineNeeds {
  /** `kubelab:kubernetesVersion` as configured: a minor ("1.36") or an exact patch ("1.36.3"). */
  kubernetesVersion: string;
  cni: Cni;
  /** The sample app's tiers that run; empty when the app is off. */
  appTiers: readonly string[];
  /** Whether the network check runs (it needs the probe image). */
  probe: boolean;
  /** Whether the control planes share a kube-vip VIP (it needs kube-vip's image). @default false */
  kubeVip?: boolean;
}

export interface LoadedBundle {
  /** The folder holding manifest.json. */
  dir: string;
  manifest: BundleManifest;
  /** sha256 of manifest.json: names the bundle's copy on the nodes and triggers that copy. */
  manifestSha256: string;
}

export interface BundleCheck {
  /** Set once manifest.json parsed; use it only when `problems` is empty. */
  bundle?: LoadedBundle;
  problems: ConfigProblem[];
}

export interface BundleOptions {
  /** @default $KUBELAB_CACHE, else ~/.cache/kubelab */
  cacheDir?: string;
}

export function kubelabCache(opts: BundleOptions = {}): string {
  return opts.cacheDir ?? process.env.KUBELAB_CACHE ?? path.join(os.homedir(), ".cache", "kubelab");
}

const REBUILD = "rebuild the bundle with npm run bundle";

/** Every problem of the bundle at `bundlePath` for a stack with `needs`; reads and hashes files (cached). */
export function checkOfflineBundle(bundlePath: string, needs: OfflineNeeds, opts: BundleOptions = {}): BundleCheck {
  const problem = (message: string): ConfigProblem => ({ key: BUNDLE_KEY, value: bundlePath, message });
  const located = locateBundle(bundlePath, kubelabCache(opts));
  if (typeof located !== "string") return { problems: [problem(located.error)] };
  const read = readManifest(located);
  if ("errors" in read) return { problems: read.errors.map(problem) };
  const bundle: LoadedBundle = { dir: located, ...read };
  const problems = [
    ...bundleFileProblems(located, read.manifest, kubelabCache(opts)).map((m) => problem(`${m}: ${REBUILD}`)),
    ...contentProblems(read.manifest, needs, bundlePath),
  ];
  return { bundle, problems };
}

/** The folder holding manifest.json, or why there is none. */
function locateBundle(bundlePath: string, cacheDir: string): string | { error: string } {
  const full = path.resolve(bundlePath.startsWith("~/") ? path.join(os.homedir(), bundlePath.slice(2)) : bundlePath);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    return {
      error: `not found; build a bundle with npm run bundle -- --kubernetes PATCH --out DIR and set this key to DIR`,
    };
  }
  if (stat.isDirectory()) return full;
  if (stat.isFile() && /\.(tar|tar\.gz|tgz)$/.test(full)) return unpack(full, stat, cacheDir);
  return { error: "is neither a folder nor a .tar, .tar.gz or .tgz file; point it at what npm run bundle wrote" };
}

/**
 * A .tar is unpacked once into <cache>/bundles/<key>, keyed by its path, size and mtime, into a
 * temporary folder renamed into place, so an interrupted unpack is never taken for a bundle.
 * GNU tar refuses members with `..` and strips leading slashes.
 */
function unpack(file: string, stat: fs.Stats, cacheDir: string): string | { error: string } {
  const key = sha256Hex(`${fs.realpathSync(file)}\0${stat.size}\0${stat.mtimeMs}`).slice(0, 16);
  const target = path.join(cacheDir, "bundles", key);
  if (!fs.existsSync(target)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = fs.mkdtempSync(`${target}.partial-`);
    try {
      childProcess.execFileSync("tar", ["-xf", file, "-C", tmp, "--no-same-owner"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      const stderr = String((err as { stderr?: Buffer }).stderr ?? err)
        .trim()
        .split("\n")[0];
      return { error: `could not be unpacked (${stderr}); check the file, or point this key at the bundle folder` };
    }
    fs.renameSync(tmp, target);
  }
  // A tar of the bundle folder itself holds that one folder.
  const entries = fs.readdirSync(target, { withFileTypes: true });
  const single = entries.length === 1 && entries[0].isDirectory() ? path.join(target, entries[0].name) : undefined;
  return single && !fs.existsSync(path.join(target, MANIFEST)) ? single : target;
}

function readManifest(dir: string): { manifest: BundleManifest; manifestSha256: string } | { errors: string[] } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(dir, MANIFEST));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { errors: [`has no ${MANIFEST}; point it at a folder written by npm run bundle`] };
    return { errors: [`${MANIFEST} cannot be read (${code ?? String(err)}); it must be a readable file`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    return { errors: [`${MANIFEST} is not valid JSON (${(err as Error).message}); ${REBUILD}`] };
  }
  const parsed = bundleManifestSchema.safeParse(json);
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((issue) => {
        const where = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`));
        return `${MANIFEST}${where.length ? ` ${where.join("")}` : ""}: ${issue.message}`;
      }),
    };
  }
  return { manifest: parsed.data, manifestSha256: sha256Hex(bytes) };
}

/** What a file's recorded checksum was computed for: any change of these hashes the file again. */
interface HashedFile {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
}

/**
 * Each listed file against its size and sha256. A ~2 GB bundle takes seconds to hash, and every
 * `pulumi preview` validates the config, so checksums are kept in <cache>/bundle-checksums, one
 * file per bundle folder, keyed by path, size, mtime, ctime and inode (ctime and inode change when a
 * file is replaced, even by a tool that restores mtimes).
 */
function bundleFileProblems(dir: string, m: BundleManifest, cacheDir: string): string[] {
  const cacheFile = path.join(cacheDir, "bundle-checksums", `${sha256Hex(dir).slice(0, 16)}.json`);
  const known = readJson(cacheFile) as Record<string, HashedFile>;
  const next: Record<string, HashedFile> = {};
  const out: string[] = [];
  for (const f of m.files) {
    const stat = statOrUndefined(path.join(dir, f.path));
    if (!stat?.isFile()) {
      out.push(`${f.path} is listed in ${MANIFEST} but missing from the bundle`);
    } else if (stat.size !== f.size) {
      out.push(`${f.path} is ${stat.size} bytes, ${MANIFEST} says ${f.size}`);
    } else {
      const id = { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino };
      const old = known[f.path];
      const same = old && (Object.keys(id) as (keyof typeof id)[]).every((k) => old[k] === id[k]);
      next[f.path] = { ...id, sha256: same ? old.sha256 : fileSha256(path.join(dir, f.path)) };
      if (next[f.path].sha256 !== f.sha256) {
        out.push(`${f.path} has sha256 ${next[f.path].sha256}, ${MANIFEST} says ${f.sha256}`);
      }
    }
  }
  if (JSON.stringify(next) !== JSON.stringify(known)) writeJsonAtomic(cacheFile, next);
  return out;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** Streams the file through sha256 in 4 MiB reads (synchronous: config validation is). */
export function fileSha256(file: string): string {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    for (let n = 0; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

function readJson(file: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Concurrent previews each write a whole file; the last rename wins and none reads half a file. */
function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value));
  fs.renameSync(tmp, file);
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

const BINARIES = ["kubeadm", "kubelet", "kubectl", "containerd", "containerd-shim-runc-v2", "ctr", "runc"];
/** The plugins the flannel CNI config and containerd's pod loopback call. */
const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap"].map((p) => `/opt/cni/bin/${p}`);
const UNITS = ["containerd.service", "kubelet.service", "kubelet.service.d/10-kubeadm.conf"].map(
  (u) => `/etc/systemd/system/${u}`,
);
/** The one addon whose chart kubelab can point at bundle images, and the images it runs. */
const ADDON_IMAGES: Partial<Record<Cni, string[]>> = { flannel: ["cni:flannel/flannel", "cni:flannel/cni-plugin"] };

/** What the stack needs and the manifest lacks or contradicts (files are checked separately). */
export function contentProblems(m: BundleManifest, needs: OfflineNeeds, bundlePath: string): ConfigProblem[] {
  const exact = m.kubernetesVersion.slice(1);
  const version: ConfigProblem[] =
    needs.kubernetesVersion === exact
      ? []
      : [
          {
            key: "kubelab:kubernetesVersion",
            value: needs.kubernetesVersion,
            message:
              `must be the bundle's exact patch: the bundle holds Kubernetes ${m.kubernetesVersion}, so set ${exact} ` +
              `(or build a bundle for the version you want with npm run bundle -- --kubernetes v<patch>)`,
          },
        ];
  const bundle = (message: string): ConfigProblem => ({ key: BUNDLE_KEY, value: bundlePath, message });
  return [
    ...version,
    ...nodeProblems(m).map(bundle),
    ...addonProblems(m, needs.cni),
    ...workloadProblems(m, needs).map(bundle),
  ];
}

/** What install-bundle.sh installs and kubeadm pulls. */
function nodeProblems(m: BundleManifest): string[] {
  const out: string[] = [];
  const missing = (what: string, list: string[]) =>
    list.length && out.push(`has no ${what} ${list.join(", ")}; ${REBUILD}`);
  const installs = m.files.flatMap((f) => ("install" in f ? [f.install] : []));
  missing("binary", [
    ...BINARIES.filter((b) => !installs.some((i) => path.posix.basename(i) === b)),
    ...CNI_PLUGINS.filter((p) => !installs.includes(p)),
  ]);
  missing(
    "unit",
    UNITS.filter((u) => !installs.includes(u)),
  );
  const refs = images(m).map((i) => i.ref);
  missing(
    "image",
    kubeadmImages(m).filter((r) => !refs.includes(r)),
  );
  for (const list of [duplicates(installs), duplicates(refs)]) {
    if (list.length) out.push(`lists ${list.join(", ")} more than once in ${MANIFEST}; ${REBUILD}`);
  }
  return out;
}

/** The sample app's tiers and the network check's probe, when the stack runs them. */
function workloadProblems(m: BundleManifest, needs: OfflineNeeds): string[] {
  const out: string[] = [];
  const tiers = needs.appTiers.filter((t) => imagesFor(m, `app:${t}`).length === 0);
  if (tiers.length) {
    out.push(
      `has no image for the sample app's ${tiers.join(", ")} tier${tiers.length > 1 ? "s" : ""} (purpose ` +
        `${tiers.map((t) => `app:${t}`).join(", ")}); ${REBUILD} with the app, or set kubelab:app.enabled to false`,
    );
  }
  if (needs.kubeVip && imagesFor(m, "kube-vip").length === 0) {
    out.push(`has no image for kube-vip (purpose kube-vip), which holds kubelab:nodes.vip; ${REBUILD}`);
  }
  if (needs.probe && imagesFor(m, "probe").length === 0) {
    out.push(
      `has no image for the network check's probe (purpose probe); ${REBUILD}, or set kubelab:verify.enabled to false`,
    );
  }
  return out;
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

function addonProblems(m: BundleManifest, cni: Cni): ConfigProblem[] {
  const problem = (message: string): ConfigProblem => ({ key: "kubelab:network.cni", value: cni, message });
  const wanted = ADDON_IMAGES[cni];
  if (!wanted) {
    return [problem("offline installs point only flannel's chart at bundle images; set network.cni to flannel")];
  }
  const out: ConfigProblem[] = [];
  if (!m.files.some((f) => f.kind === "chart" && f.cni === cni)) {
    out.push(problem(`the bundle has no ${cni} chart; ${REBUILD} with the ${cni} chart`));
  }
  const lacking = wanted.filter((p) => imagesFor(m, p).length === 0);
  if (lacking.length)
    out.push(problem(`the bundle has no image for ${lacking.join(", ")}; ${REBUILD} with ${cni}'s images`));
  return out;
}

function images(m: BundleManifest): BundleImage[] {
  return m.files.filter((f): f is BundleImage => f.kind === "image");
}

/** The bundle's images for one purpose (`app:vote`, `probe`, `cni:flannel/flannel`, ...). */
export function imagesFor(m: BundleManifest, purpose: string): BundleImage[] {
  return images(m).filter((i) => i.purpose === purpose);
}

/** Every image reference in the bundle: the policy rule `offline-image-missing` checks against these. */
export function bundleImageRefs(m: BundleManifest): string[] {
  return images(m).map((i) => i.ref);
}

function imageRef(m: BundleManifest, purpose: string): string {
  const found = imagesFor(m, purpose);
  if (found.length === 0) throw new Error(`the offline bundle has no image for ${purpose}`);
  return found[0].ref;
}

/** What kubeadm pulls (`kubeadm config images list` under the bundle's imageRepository). */
export function kubeadmImages(m: BundleManifest): string[] {
  const repo = m.imageRepository;
  return [
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map(
      (c) => `${repo}/${c}:${m.kubernetesVersion}`,
    ),
    `${repo}/etcd:${m.etcdImageTag}`,
    // kubeadm drops CoreDNS's own sub-path for any imageRepository but its default.
    `${repo}/coredns:${m.corednsImageTag}`,
    m.pauseImage,
  ];
}

/** The ClusterConfiguration (kubeadm.k8s.io/v1beta4) fields an offline cluster sets; merge with mergeValues. */
export function kubeadmClusterSettings(m: BundleManifest): Record<string, unknown> {
  return {
    kubernetesVersion: m.kubernetesVersion,
    imageRepository: m.imageRepository,
    etcd: { local: { imageTag: m.etcdImageTag } },
    dns: { imageTag: m.corednsImageTag },
  };
}

/** The addon's chart inside the bundle: a local .tgz Helm installs without a repository. */
export function chartFor(bundle: LoadedBundle, cni: Cni): { path: string; version: string } {
  const chart = bundle.manifest.files.find(
    (f): f is Extract<BundleFile, { kind: "chart" }> => f.kind === "chart" && f.cni === cni,
  );
  if (!chart) throw new Error(`the offline bundle has no ${cni} chart`);
  return { path: path.join(bundle.dir, chart.path), version: chart.version };
}

/** `repo:tag[@digest]` as the repository and tag value pair charts take (the tag keeps the digest). */
export function splitImageRef(ref: string): { repository: string; tag: string } {
  const [name, digest] = ref.split("@");
  const colon = name.lastIndexOf(":");
  if (colon <= name.lastIndexOf("/")) throw new Error(`image reference ${JSON.stringify(ref)} has no tag`);
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1) + (digest ? `@${digest}` : "") };
}

/**
 * Helm values pointing the addon's chart at the bundle's images (flannel chart v0.28: `flannel.image`
 * and `flannel.flannel_cni.image`, each `{repository, tag}`; the chart sets no pull policy, so
 * kubelet's default IfNotPresent applies to these tags). Merge over the addon values with mergeValues.
 */
export function addonImageValues(m: BundleManifest, cni: Cni): Record<string, unknown> {
  if (cni !== "flannel") throw new Error(`offline installs point only flannel's chart at bundle images, not ${cni}'s`);
  return {
    flannel: {
      image: splitImageRef(imageRef(m, "cni:flannel/flannel")),
      flannel_cni: { image: splitImageRef(imageRef(m, "cni:flannel/cni-plugin")) },
    },
  };
}

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const plain = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = plain(out[k]) && plain(v) ? mergeValues(out[k], v) : v;
  return out;
}

/** The sample app's image per tier (`app:<tier>` purposes), for its `images` argument. */
export function appImages(m: BundleManifest): Record<string, string> {
  return Object.fromEntries(
    images(m)
      .filter((i) => i.purpose.startsWith("app:"))
      .map((i) => [i.purpose.slice("app:".length), i.ref]),
  );
}

/** The network check's agnhost image. */
export function probeImage(m: BundleManifest): string {
  return imageRef(m, "probe");
}

export function kubeVipImage(m: BundleManifest): string {
  return imageRef(m, "kube-vip");
}

/**
 * The file list install-bundle.sh reads without a JSON tool: one line per file,
 * `<sha256> <kind> <path> <install path | image ref | cni>`, in manifest order. No field holds a
 * space (the schema's patterns), so the script splits on whitespace.
 */
export function nodeIndex(m: BundleManifest): string {
  const target = (f: BundleFile) => (f.kind === "image" ? f.ref : f.kind === "chart" ? f.cni : f.install);
  return m.files.map((f) => `${f.sha256} ${f.kind} ${f.path} ${target(f)}\n`).join("");
}

/** Where a bundle lives on the nodes: named by its manifest hash, so a new bundle is a new copy. */
export function nodeBundleDir(manifestSha256: string): string {
  return path.posix.join(NODE_BUNDLE_PARENT, `kubelab-bundle-${manifestSha256.slice(0, 16)}`);
}

/**
 * The copy to a node: a FileArchive of `source` (the folder with a trailing slash, so its contents,
 * not the folder, land in `remotePath`) to `remotePath`, re-run when `trigger` changes.
 */
export function nodeCopy(bundle: LoadedBundle): { source: string; remotePath: string; trigger: string } {
  return { source: `${bundle.dir}/`, remotePath: nodeBundleDir(bundle.manifestSha256), trigger: bundle.manifestSha256 };
}

/** install-bundle.sh's environment (nothing in it is secret). */
export function installBundleEnv(bundle: LoadedBundle): Record<string, string> {
  return {
    BUNDLE_DIR: nodeBundleDir(bundle.manifestSha256),
    BUNDLE_INDEX: nodeIndex(bundle.manifest),
    MANIFEST_SHA256: bundle.manifestSha256,
    KUBERNETES_VERSION: bundle.manifest.kubernetesVersion,
    PAUSE_IMAGE: bundle.manifest.pauseImage,
  };
}
