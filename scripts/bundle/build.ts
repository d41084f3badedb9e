// npm run bundle -- --kubernetes <patch> --out DIR: builds kubelab's offline bundle (README
// "Offline bundle") from the Go module proxy and Debian packages, every component cached by version.
import { Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { bundleCache, cacheRoot, cachedComponent, isCached } from "./lib/cache";
import { Component, binaryComponents, ociToolComponent } from "./lib/components";
import { goEnv } from "./lib/go";
import { imageComponent, rootfsComponents } from "./lib/image-build";
import { allImages } from "./lib/images";
import { kubernetesPatch } from "./lib/k8s-wrapper";
import { currentHost, preflightProblems } from "./lib/preflight";
import { writeBundle } from "./lib/assemble";
import { Versions, resolveVersions } from "./lib/versions";

interface Options {
  kubernetes: string;
  out?: string;
  check?: boolean;
  mirror?: string;
}

/** The first Debian mirror the host's apt uses (deb822 or one-line format). */
export function hostMirror(): string {
  const deb822 = "/etc/apt/sources.list.d/debian.sources";
  if (fs.existsSync(deb822)) {
    const m = /^URIs:\s*(\S+)/m.exec(fs.readFileSync(deb822, "utf8"));
    if (m) return m[1];
  }
  const list = "/etc/apt/sources.list";
  const m = fs.existsSync(list) ? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(fs.readFileSync(list, "utf8")) : null;
  return m ? m[1] : "http://deb.debian.org/debian";
}

export function planComponents(ctx: { env: NodeJS.ProcessEnv; cache: string; mirror: string }, v: Versions) {
  const images = allImages({ ...v, kubernetes: v.kubernetes });
  const components: Component[] = [
    ociToolComponent(),
    ...rootfsComponents(ctx, [...new Set(images.map((i) => i.rootfs))]),
    ...binaryComponents(ctx, v),
  ];
  const keys = Object.fromEntries(components.map((c) => [c.id, c.key]));
  components.push(...images.map((spec) => imageComponent(spec, keys)));
  return { images, components };
}

function progress(i: number, n: number, label: string, status: string): void {
  const count = `[${String(i).padStart(String(n).length)}/${n}]`;
  console.log(`${count} ${label.padEnd(58)} ${status}`);
}

function checkOut(out: string): void {
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !fs.existsSync(path.join(out, "manifest.json"))) {
    throw new Error(
      `--out ${out}: the directory exists and holds no bundle (no manifest.json); give an empty or new one`,
    );
  }
}

async function main(opts: Options): Promise<void> {
  const kubernetes = kubernetesPatch(opts.kubernetes);
  if (!opts.check && !opts.out) throw new Error("--out DIR is required (where the bundle is written)");
  if (opts.out) checkOut(path.resolve(opts.out));
  const problems = opts.check ? [] : preflightProblems(currentHost());
  if (problems.length > 0) throw new Error(`this host cannot build the bundle yet:\n  - ${problems.join("\n  - ")}`);
  const root = cacheRoot();
  Object.assign(process.env, goEnv(root));
  const ctx = { env: process.env, cache: bundleCache(root), mirror: opts.mirror ?? hostMirror() };
  const v = resolveVersions(ctx.env, kubernetes);
  const { images, components } = planComponents(ctx, v);
  if (opts.check) {
    components.forEach((c, i) =>
      progress(i + 1, components.length, c.label, isCached(ctx.cache, c.key) ? "cached" : `missing (${c.key})`),
    );
    return;
  }
  const start = Date.now();
  const dirs: Record<string, string> = {};
  for (const [i, c] of components.entries()) {
    const r = await cachedComponent(ctx.cache, c.key, (tmp) => c.build(tmp, dirs));
    dirs[c.id] = r.dir;
    progress(i + 1, components.length, c.label, r.built ? `built in ${Math.round(r.seconds)} s` : "cached");
  }
  const out = path.resolve(opts.out!);
  const { files, bytes } = writeBundle(out, v, images, dirs, ctx.mirror);
  const mib = (bytes / 2 ** 20).toFixed(0);
  console.log(
    `bundle ${out}: ${files} files, ${mib} MiB, checksums verified, ${Math.round((Date.now() - start) / 1000)} s`,
  );
}

const program = new Command()
  .name("bundle")
  .description("Build kubelab's offline bundle from the Go module proxy and Debian packages")
  .requiredOption("--kubernetes <patch>", "exact Kubernetes patch, e.g. 1.36.3")
  .option("--out <dir>", "where to write the bundle (a new or empty directory, or an earlier bundle)")
  .option("--check", "list which components are cached and which would be built, build nothing")
  .option("--mirror <url>", "Debian mirror for the images' root filesystems (default: the host's apt mirror)");

if (require.main === module) {
  program.parse();
  main(program.opts<Options>()).catch((error: Error) => {
    console.error(`bundle: ${error.message}`);
    process.exit(1);
  });
}
