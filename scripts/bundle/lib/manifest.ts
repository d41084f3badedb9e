// manifest.json of a bundle: built from the files placed in the bundle, validated with the schema
// the consumer uses (lib/bundle-manifest.ts), and checked against the files at the end.
import * as fs from "node:fs";
import * as path from "node:path";
import { BUNDLE_SCHEMA_VERSION, BundleFile, BundleManifest, bundleManifestSchema } from "../../../lib/bundle-manifest";
import { sha256File } from "./cache";

/** A file the bundle carries, before its checksum and size are known. */
export type PlannedFile =
  | { kind: "binary"; path: string; install: string }
  | { kind: "image"; path: string; ref: string; purpose: string }
  | { kind: "chart"; path: string; cni: "flannel" | "calico" | "cilium"; version: string }
  | { kind: "unit"; path: string; install: string };

export interface ManifestHeader {
  kubernetesVersion: string;
  imageRepository: string;
  etcdImageTag: string;
  corednsImageTag: string;
  pauseImage: string;
  created?: string;
  builtFrom?: Record<string, string>;
}

/** Joins planned files with their digests; throws the schema's problems, each with its key. */
export function buildManifest(
  header: ManifestHeader,
  files: PlannedFile[],
  digest: (bundlePath: string) => { sha256: string; size: number },
): BundleManifest {
  const entries = files.map((f) => ({ ...f, ...digest(f.path) }) as BundleFile);
  const manifest = { schemaVersion: BUNDLE_SCHEMA_VERSION, ...header, files: entries };
  const parsed = bundleManifestSchema.safeParse(manifest);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`);
    throw new Error(`the bundle manifest does not match lib/bundle-manifest.ts:\n${problems.join("\n")}`);
  }
  const paths = new Set<string>();
  const refs = new Set<string>();
  for (const f of parsed.data.files) {
    if (paths.has(f.path)) throw new Error(`the bundle lists ${f.path} twice`);
    paths.add(f.path);
    if (f.kind === "image") {
      if (refs.has(f.ref)) throw new Error(`two image archives carry ${f.ref}`);
      refs.add(f.ref);
    }
  }
  return parsed.data;
}

export function digestFile(bundleDir: string, bundlePath: string): { sha256: string; size: number } {
  const file = path.join(bundleDir, bundlePath);
  return { sha256: sha256File(file), size: fs.statSync(file).size };
}

/** Every file's size and sha256 as the manifest states them; returns the problems found. */
export function verifyBundle(bundleDir: string, manifest: BundleManifest): string[] {
  const problems: string[] = [];
  for (const f of manifest.files) {
    const file = path.join(bundleDir, f.path);
    if (!fs.existsSync(file)) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    const size = fs.statSync(file).size;
    if (size !== f.size) problems.push(`${f.path}: ${size} bytes, the manifest says ${f.size}`);
    else if (sha256File(file) !== f.sha256) problems.push(`${f.path}: sha256 differs from the manifest`);
  }
  return problems;
}
