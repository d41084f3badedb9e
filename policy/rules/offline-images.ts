// Offline installs (issue 14): nodes with no route out can run only the images the bundle imported.
// A workload naming any other image would sit in ImagePullBackOff after deploy; this rule catches it
// before, from the bundle's image list the plan carries.
import { arr, rec, str, violation } from "../k8s";
import { ObjectRule, buildIndex } from "../object-index";
import { Container, PodTemplate } from "../pod-templates";
import { NetworkPlan, Violation } from "../types";

export const OFFLINE_IMAGE_MISSING = "offline-image-missing";

/** The plan of an offline stack: the image references its bundle holds (unset when online). */
export interface OfflinePlan extends NetworkPlan {
  bundleImages?: string[];
}

/**
 * An image reference as containerd resolves it: Docker Hub's implicit domain and `library/`
 * spelled out, `latest` when no tag or digest is given, and only the digest when both are (a
 * digest names the content; containerd drops the tag next to it).
 */
export function normalizeImageRef(ref: string): string {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at) : "";
  let name = at >= 0 ? ref.slice(0, at) : ref;
  let tag = "";
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  }
  const first = name.split("/")[0];
  const hasDomain = name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  const domain = !hasDomain || first === "index.docker.io" ? "docker.io" : first;
  let repository = hasDomain ? name.slice(first.length + 1) : name;
  if (domain === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return `${domain}/${repository}${digest || tag || ":latest"}`;
}

/** The repository's last path segment: `redis` for `docker.io/library/redis:7`. */
function imageName(ref: string): string {
  const normalized = normalizeImageRef(ref);
  return normalized.slice(normalized.lastIndexOf("/") + 1).split(/[:@]/)[0];
}

/** kubelet's default: Always for `:latest` or an image with neither tag nor digest. */
function pullPolicy(image: string, raw: Record<string, unknown> | undefined): { policy: string; explicit: boolean } {
  const explicit = str(raw?.imagePullPolicy);
  if (explicit) return { policy: explicit, explicit: true };
  const normalized = normalizeImageRef(image);
  return {
    policy: !normalized.includes("@") && normalized.endsWith(":latest") ? "Always" : "IfNotPresent",
    explicit: false,
  };
}

function rawContainer(t: PodTemplate, c: Container): Record<string, unknown> | undefined {
  const list = arr(t.spec[c.init ? "initContainers" : "containers"]).map(rec);
  return list.find((r) => r?.name === c.name);
}

const label = (c: Container) => `${c.init ? "init container" : "container"} "${c.name}"`;

function missingMessage(c: Container, image: string, bundle: string[]): string {
  const alike = bundle.filter((ref) => imageName(ref) === imageName(image));
  const hint = alike.length ? ` (the bundle has ${alike.map((r) => `"${r}"`).join(", ")})` : "";
  return (
    `${label(c)} image "${image}" is not in the offline bundle, and the nodes cannot pull it; ` +
    `add the image to the bundle (npm run bundle), or set the image to one the bundle has${hint}`
  );
}

function alwaysPullMessage(c: Container, image: string, explicit: boolean): string {
  const why = explicit
    ? "imagePullPolicy Always"
    : "imagePullPolicy Always (the default for an untagged or :latest image)";
  return (
    `${label(c)} image "${image}" is in the offline bundle, but ${why} makes kubelet ask a registry ` +
    `the nodes cannot reach; set imagePullPolicy: IfNotPresent`
  );
}

/**
 * `offline-image-missing`: with a bundle set, every container and init container image of every
 * pod template is a bundle image, and is not pulled Always (kubelet would contact the registry
 * even with the image present).
 */
export const offlineImageMissing: ObjectRule = (objects, plan: OfflinePlan, index = buildIndex(objects)) => {
  if (plan.bundleImages === undefined) return [];
  const bundle = plan.bundleImages;
  const available = new Set(bundle.map(normalizeImageRef));
  const out: Violation[] = [];
  for (const t of index.templates) {
    for (const c of [...t.initContainers, ...t.containers]) {
      if (c.image === undefined) continue;
      let message: string | undefined;
      if (!available.has(normalizeImageRef(c.image))) {
        message = missingMessage(c, c.image, bundle);
      } else {
        const { policy, explicit } = pullPolicy(c.image, rawContainer(t, c));
        if (policy === "Always") message = alwaysPullMessage(c, c.image, explicit);
      }
      if (message) out.push(violation(OFFLINE_IMAGE_MISSING, "error", t.source, message, t.resource));
    }
  }
  return out;
};
