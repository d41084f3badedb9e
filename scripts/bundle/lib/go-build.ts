// `go build` steps of the bundle's components, as data (flags mirror each project's own Makefile).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface GoStep {
  /** Package path -> the binary's name in the component directory. */
  binaries: Record<string, string>;
  /** cgo with a fully static link (runc needs libseccomp, flanneld's UDP backend has C on amd64). */
  cgoStatic?: boolean;
  tags?: string[];
  /** -X assignments ("pkg.var=value") on top of -s -w. */
  vars?: string[];
}

/** -ldflags of one step: stripped, the version variables, and a static external link for cgo. */
export function ldflags(step: GoStep): string {
  const parts = ["-s", "-w", ...(step.vars ?? []).map((v) => `-X ${v}`)];
  if (step.cgoStatic) parts.push("-extldflags", "-static");
  return parts.join(" ");
}

export function goBuildArgs(step: GoStep, outDir: string): string[] {
  const args = ["build", "-trimpath"];
  const tags = [...(step.tags ?? []), ...(step.cgoStatic ? ["netgo", "osusergo"] : [])];
  if (tags.length > 0) args.push("-tags", tags.join(","));
  args.push("-ldflags", ldflags(step), "-o", `${outDir}/`, ...Object.keys(step.binaries));
  return args;
}

/** The name `go build -o DIR/` gives a main package: its last path element that is not a /vN suffix. */
export function defaultBinaryName(pkg: string): string {
  const parts = pkg.split("/").filter((p) => p !== "." && p !== "");
  while (parts.length > 1 && /^v\d+$/.test(parts[parts.length - 1])) parts.pop();
  return parts[parts.length - 1];
}

/** Runs one step in `moduleDir` and renames the binaries into `out`. */
export function runGoStep(env: NodeJS.ProcessEnv, moduleDir: string, step: GoStep, out: string): void {
  const scratch = fs.mkdtempSync(path.join(out, ".go-"));
  const stepEnv = { ...env, CGO_ENABLED: step.cgoStatic ? "1" : "0" };
  execFileSync("go", goBuildArgs(step, scratch), { cwd: moduleDir, env: stepEnv, stdio: "inherit" });
  for (const [pkg, name] of Object.entries(step.binaries)) {
    const built = pkg === "." ? path.basename(moduleDir) : defaultBinaryName(pkg);
    fs.renameSync(path.join(scratch, built), path.join(out, name));
  }
  fs.rmSync(scratch, { recursive: true });
}

/** go.mod of a wrapper that only requires released modules and names their main packages as tools. */
export function simpleWrapperGoMod(args: {
  name: string;
  go: string;
  requires: Record<string, string>;
  tools: string[];
}): string {
  return [
    `// Generated: builds ${args.tools.join(", ")} from released modules. Do not edit; regenerate.`,
    `module kubelab.local/bundle/${args.name}`,
    "",
    `go ${args.go}`,
    "",
    "tool (",
    ...args.tools.map((t) => `\t${t}`),
    ")",
    "",
    "require (",
    ...Object.entries(args.requires).map(([p, v]) => `\t${p} ${v}`),
    ")",
    "",
  ].join("\n");
}

/** `go mod tidy` when go.sum is missing (first use of a generated module). */
export function tidyOnce(env: NodeJS.ProcessEnv, moduleDir: string): void {
  if (fs.existsSync(path.join(moduleDir, "go.sum"))) return;
  execFileSync("go", ["mod", "tidy"], { cwd: moduleDir, env, stdio: "inherit" });
}

/** The version a committed wrapper module requires of `mod` (the go.mod is the single source of it). */
export function requiredVersion(env: NodeJS.ProcessEnv, moduleDir: string, mod: string): string {
  const json = JSON.parse(execFileSync("go", ["mod", "edit", "-json"], { cwd: moduleDir, env, encoding: "utf8" })) as {
    Require?: { Path: string; Version: string }[];
  };
  const req = json.Require?.find((r) => r.Path === mod);
  if (!req) throw new Error(`${moduleDir}/go.mod does not require ${mod}`);
  return req.Version;
}
