// Thin wrappers over the go command, always with the shared module and build caches.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { GoModJson, kubernetesWrapperGoMod, requiredStagingModules } from "./k8s-wrapper";

/** The environment every go command of the builder runs with (caches shared with the toolchain builds). */
export function goEnv(cacheRoot: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    GOMODCACHE: base.GOMODCACHE ?? path.join(cacheRoot, "go", "mod"),
    GOCACHE: base.GOCACHE ?? path.join(cacheRoot, "go", "build"),
    GOFLAGS: base.GOFLAGS ?? "-modcacherw",
  };
}

function go(env: NodeJS.ProcessEnv, args: string[], cwd?: string): string {
  return execFileSync("go", args, { env, cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

export interface ModuleDownload {
  Path: string;
  Version: string;
  Info: string;
  GoMod: string;
  Dir: string;
  Error?: string;
}

/** `go mod download -json MOD@VER`; a refusal from the proxy becomes an error naming the module. */
export function downloadModule(env: NodeJS.ProcessEnv, mod: string, version: string): ModuleDownload {
  let out: string;
  try {
    out = go(env, ["mod", "download", "-json", `${mod}@${version}`], fs.mkdtempSync("/tmp/kubelab-go-"));
  } catch (error) {
    throw new Error(`go mod download ${mod}@${version} failed (is that version served by the module proxy?)`, {
      cause: error,
    });
  }
  const info = JSON.parse(out) as ModuleDownload;
  if (info.Error) throw new Error(`go mod download ${mod}@${version}: ${info.Error}`);
  return info;
}

/** The versions the proxy lists for each module (one go command for all of them). */
export function servedVersions(env: NodeJS.ProcessEnv, mods: string[]): Record<string, string[]> {
  const out = go(env, ["list", "-m", "-versions", "-e", "-json", ...mods], fs.mkdtempSync("/tmp/kubelab-go-"));
  const served: Record<string, string[]> = {};
  // `go list -json` prints one JSON object after another; split them at the top-level braces.
  for (const chunk of out.split(/\n(?=\{)/)) {
    const m = JSON.parse(chunk) as { Path: string; Versions?: string[] };
    served[m.Path] = m.Versions ?? [];
  }
  return served;
}

/** The build time Kubernetes records (`buildDate`): the tag's time from the proxy, so rebuilds are identical. */
export function moduleTime(download: ModuleDownload): string {
  const info = JSON.parse(fs.readFileSync(download.Info, "utf8")) as { Time: string };
  return info.Time.replace(/\.\d+Z$/, "Z");
}

/** Writes the generated wrapper module for one Kubernetes patch into `dir` (go.sum comes from tidy later). */
export function writeKubernetesWrapper(env: NodeJS.ProcessEnv, dir: string, version: string): ModuleDownload {
  const upstream = downloadModule(env, "k8s.io/kubernetes", version);
  const upstreamText = fs.readFileSync(upstream.GoMod, "utf8");
  const json = JSON.parse(go(env, ["mod", "edit", "-json", upstream.GoMod])) as GoModJson;
  const served = servedVersions(env, requiredStagingModules(json));
  const text = kubernetesWrapperGoMod({ kubernetesVersion: version, upstream: json, upstreamText, served });
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "go.mod");
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    fs.writeFileSync(file, text);
    fs.rmSync(path.join(dir, "go.sum"), { force: true });
  }
  return upstream;
}
