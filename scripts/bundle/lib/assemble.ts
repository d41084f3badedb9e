// Writes the bundle directory: the built files at their bundle paths, manifest.json, then a full
// check of every checksum. The bundle is assembled next to --out and swapped in when complete.
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGE_REPOSITORY, ImageSpec } from "./images";
import { bundleLayout } from "./layout";
import { ManifestHeader, buildManifest, digestFile, verifyBundle } from "./manifest";
import { SCRIPTS, Versions, builtFrom } from "./versions";

export function manifestHeader(v: Versions, images: ImageSpec[], mirror: string): ManifestHeader {
  const pause = images.find((i) => i.purpose === "pause");
  if (!pause) throw new Error("no pause image among the bundle's images");
  return {
    kubernetesVersion: v.kubernetes,
    imageRepository: IMAGE_REPOSITORY,
    etcdImageTag: v.etcdTag,
    corednsImageTag: v.coredns,
    pauseImage: pause.ref,
    created: new Date().toISOString(),
    builtFrom: builtFrom(v, mirror),
  };
}

export function writeBundle(
  out: string,
  v: Versions,
  images: ImageSpec[],
  dirs: Record<string, string>,
  mirror: string,
): { files: number; bytes: number } {
  const staging = `${out}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  const placements = bundleLayout(images, v.flannelChart);
  const sources: Record<string, string> = { ...dirs, units: path.join(SCRIPTS, "units") };
  for (const p of placements) {
    const to = path.join(staging, p.file.path);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    // A reflink where the file system has them, a copy otherwise: the cache stays untouched either way.
    fs.copyFileSync(path.join(sources[p.from.component], p.from.file), to, fs.constants.COPYFILE_FICLONE);
    fs.chmodSync(to, p.file.kind === "binary" ? 0o755 : 0o644);
  }
  const manifest = buildManifest(
    manifestHeader(v, images, mirror),
    placements.map((p) => p.file),
    (file) => digestFile(staging, file),
  );
  fs.writeFileSync(path.join(staging, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const problems = verifyBundle(staging, manifest);
  if (problems.length > 0)
    throw new Error(`the bundle in ${staging} fails its own manifest:\n  - ${problems.join("\n  - ")}`);
  // Only an earlier bundle (checked by the caller) is replaced.
  fs.rmSync(out, { recursive: true, force: true });
  fs.renameSync(staging, out);
  return { files: manifest.files.length, bytes: manifest.files.reduce((n, f) => n + f.size, 0) };
}
