// The sample app's arguments, their defaults (applied here and nowhere else) and their validation.

/**
 * Images per tier. The three dockersamples images only publish the mutable tags `latest`, `before`
 * and `after` (all three are re-pushed from main by the upstream CI), so they are pinned by digest:
 * the `latest` digests as pulled in September 2025. The official images are pinned to an exact
 * Debian (bookworm) release, whose `redis` and `postgres` users both have uid/gid 999.
 */
export interface AppImages {
  /** @default "dockersamples/examplevotingapp_vote@sha256:7102d3b9…" */
  readonly vote?: string;
  /** @default "dockersamples/examplevotingapp_result@sha256:06c50992…" */
  readonly result?: string;
  /** @default "dockersamples/examplevotingapp_worker@sha256:c8a85710…" */
  readonly worker?: string;
  /** @default "redis:7.4.2-bookworm" */
  readonly redis?: string;
  /** @default "postgres:17.5-bookworm" */
  readonly db?: string;
}

/** Service names of the two data tiers; the other tiers reach them by these DNS names. */
export interface AppServiceNames {
  /** @default "redis" (the stock vote and worker images connect to exactly this host) */
  readonly redis?: string;
  /** @default "db" (the stock worker and result images connect to exactly this host) */
  readonly db?: string;
}

export interface AppLabels {
  /** Prefix of the `name` and `part-of` label keys. @default "app.kubernetes.io" */
  readonly prefix?: string;
  /** Value of the `part-of` label. @default "voting-app" */
  readonly partOf?: string;
}

export interface AppArgs {
  /** Namespace holding every object of the app. @default "vote" */
  readonly namespace?: string;
  /** NodePort of the vote frontend. @default 30004 */
  readonly voteNodePort?: number;
  /** NodePort of the result frontend. @default 30005 */
  readonly resultNodePort?: number;
  /**
   * Default-deny ingress plus the tier edges. The caller turns this off when the CNI does not
   * enforce NetworkPolicies (Flannel), so that no policy pretends to protect anything.
   * @default true
   */
  readonly networkPolicies?: boolean;
  /** Replacement images; unset tiers keep the stock images. @default DEFAULT_IMAGES */
  readonly images?: AppImages;
  /** @default { redis: "redis", db: "db" } */
  readonly serviceNames?: AppServiceNames;
  /** @default { prefix: "app.kubernetes.io", partOf: "voting-app" } */
  readonly labels?: AppLabels;
}

export const DEFAULT_IMAGES: Required<AppImages> = {
  vote: "dockersamples/examplevotingapp_vote@sha256:7102d3b952ec84e3541ee12e7217e320c52aed60b13501c3158f46376a907466",
  result:
    "dockersamples/examplevotingapp_result@sha256:06c50992ab258e1d83406784040842bb920f6938eabac19261e7ec634f878935",
  worker:
    "dockersamples/examplevotingapp_worker@sha256:c8a8571065479c12567e8e440836e543d185c678cd4781a32b100f71e8f39c86",
  redis: "redis:7.4.2-bookworm",
  db: "postgres:17.5-bookworm",
};

export interface ResolvedAppArgs {
  readonly namespace: string;
  readonly voteNodePort: number;
  readonly resultNodePort: number;
  readonly networkPolicies: boolean;
  readonly images: Required<AppImages>;
  readonly serviceNames: Required<AppServiceNames>;
  readonly labels: Required<AppLabels>;
}

export class AppArgsError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid sample app arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "AppArgsError";
  }
}

/** The one place defaults are applied; throws AppArgsError listing every problem at once. */
export function resolveAppArgs(args: AppArgs): ResolvedAppArgs {
  const resolved: ResolvedAppArgs = {
    namespace: args.namespace ?? "vote",
    voteNodePort: args.voteNodePort ?? 30004,
    resultNodePort: args.resultNodePort ?? 30005,
    networkPolicies: args.networkPolicies ?? true,
    images: {
      vote: args.images?.vote ?? DEFAULT_IMAGES.vote,
      result: args.images?.result ?? DEFAULT_IMAGES.result,
      worker: args.images?.worker ?? DEFAULT_IMAGES.worker,
      redis: args.images?.redis ?? DEFAULT_IMAGES.redis,
      db: args.images?.db ?? DEFAULT_IMAGES.db,
    },
    serviceNames: { redis: args.serviceNames?.redis ?? "redis", db: args.serviceNames?.db ?? "db" },
    labels: { prefix: args.labels?.prefix ?? "app.kubernetes.io", partOf: args.labels?.partOf ?? "voting-app" },
  };
  const problems = appArgsProblems(resolved);
  if (problems.length > 0) throw new AppArgsError(problems);
  return resolved;
}

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const STOCK_IMAGE = /^(docker\.io\/)?dockersamples\/examplevotingapp_/;

function appArgsProblems(r: ResolvedAppArgs): string[] {
  const problems: string[] = [];
  if (!DNS_1123_LABEL.test(r.namespace)) {
    problems.push(`namespace: "${r.namespace}" is not an RFC 1123 label (lowercase letters, digits, '-', at most 63)`);
  }
  for (const key of ["voteNodePort", "resultNodePort"] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 1 || r[key] > 65535) {
      problems.push(`${key}: ${r[key]} is not a port number (an integer 1-65535 inside the cluster's NodePort range)`);
    }
  }
  if (r.voteNodePort === r.resultNodePort) {
    problems.push(`voteNodePort and resultNodePort are both ${r.voteNodePort}; each frontend needs its own NodePort`);
  }
  for (const key of ["redis", "db"] as const) {
    const name = r.serviceNames[key];
    if (!DNS_1035_LABEL.test(name) || ["vote", "result", "worker"].includes(name)) {
      problems.push(
        `serviceNames.${key}: "${name}" must be an RFC 1035 label (starts with a letter) other than vote, result, worker`,
      );
    }
  }
  if (r.serviceNames.redis === r.serviceNames.db) {
    problems.push(`serviceNames: redis and db are both "${r.serviceNames.redis}"; each Service needs its own name`);
  }
  problems.push(...stockImageProblems(r));
  if (!DNS_1123_SUBDOMAIN.test(r.labels.prefix) || r.labels.prefix.length > 253) {
    problems.push(`labels.prefix: "${r.labels.prefix}" is not a DNS subdomain (e.g. "app.kubernetes.io")`);
  }
  if (!LABEL_VALUE.test(r.labels.partOf) || r.labels.partOf === "") {
    problems.push(
      `labels.partOf: "${r.labels.partOf}" is not a label value (alphanumerics, '-', '_', '.', at most 63)`,
    );
  }
  for (const [tier, image] of Object.entries(r.images)) {
    if (image.trim() === "" || /\s/.test(image)) problems.push(`images.${tier}: "${image}" is not an image reference`);
  }
  return problems;
}

/**
 * The stock images hard-code the hosts `redis` and `db` (dockersamples/example-voting-app#370; the
 * REDIS_HOST/POSTGRES_HOST variables this app sets are read only by images built with #371/#386).
 * Renaming a Service while a stock image still looks up the old name would deploy a broken app.
 */
function stockImageProblems(r: ResolvedAppArgs): string[] {
  const readers = { redis: ["vote", "worker"], db: ["worker", "result"] } as const;
  const problems: string[] = [];
  for (const key of ["redis", "db"] as const) {
    if (r.serviceNames[key] === key) continue;
    for (const tier of readers[key]) {
      if (STOCK_IMAGE.test(r.images[tier])) {
        problems.push(
          `serviceNames.${key}: "${r.serviceNames[key]}" needs images.${tier} to read the host from its environment; ` +
            `the stock image "${r.images[tier]}" always connects to "${key}" (keep "${key}" or replace the image)`,
        );
      }
    }
  }
  return problems;
}
