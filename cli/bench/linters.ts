// The manifest linters `kubelab bench` times beside `kubelab check`: kube-score (a Go module, built
// with the Go toolchain) and checkov (PyPI, in a virtualenv). Each comes from PATH, else from the
// kubelab cache (${KUBELAB_CACHE:-~/.cache/kubelab}/bench), built or installed there the first
// time; one that cannot be had is skipped with the reason. Each runs with its default (human)
// report, as in a pre-commit hook.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const KUBE_SCORE_VERSION = "v1.20.0";
export const CHECKOV_VERSION = "3.2.533";

export interface Linter {
  name: string;
  version: string;
  /** The command line that lints `files` (its findings on stdout, exit 0 or 1). */
  argv: (files: string[]) => string[];
}

export type Found = { linter: Linter } | { name: string; skipped: string };

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBELAB_CACHE || path.join(os.homedir(), ".cache", "kubelab");
}

/** The first line a command prints (its version), or undefined when it cannot run. */
function firstLine(command: string, args: string[], env?: NodeJS.ProcessEnv): string | undefined {
  const run = spawnSync(command, args, { encoding: "utf8", env, timeout: 120_000 });
  if (run.error || run.status !== 0) return undefined;
  return `${run.stdout}${run.stderr}`.trim().split("\n")[0];
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  return undefined;
}

/** Runs a build step, with its output on stderr (the bench's stdout is its report). */
function step(command: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  process.stderr.write(`bench: ${command} ${args.join(" ")}\n`);
  const run = spawnSync(command, args, { env, stdio: ["ignore", 2, 2] });
  if (run.error) return `${command} cannot run (${run.error.message})`;
  return run.status === 0 ? undefined : `${command} ${args[0]} exited ${run.status}`;
}

/** kube-score from PATH, else built with `go install` into the cache (a few minutes the first time). */
export function kubeScore(env: NodeJS.ProcessEnv = process.env): Found {
  const dir = path.join(cacheRoot(env), "bench", `kube-score-${KUBE_SCORE_VERSION}`);
  let bin = onPath("kube-score", env) ?? path.join(dir, "kube-score");
  if (!fs.existsSync(bin)) {
    const cache = cacheRoot(env);
    const goEnv = {
      ...env,
      GOBIN: dir,
      GOMODCACHE: env.GOMODCACHE || path.join(cache, "go", "mod"),
      GOCACHE: env.GOCACHE || path.join(cache, "go", "build"),
      GOFLAGS: env.GOFLAGS || "-modcacherw",
    };
    const failed = step("go", ["install", `github.com/zegl/kube-score/cmd/kube-score@${KUBE_SCORE_VERSION}`], goEnv);
    if (failed) {
      const skipped = `could not be built: ${failed} (needs Go and the Go module proxy)`;
      return { name: "kube-score", skipped };
    }
    bin = path.join(dir, "kube-score");
  }
  // A build from a module prints "version: development": the module version is the one asked for.
  const printed = firstLine(bin, ["version"]) ?? "";
  const version = /version: (v?\d[\w.-]*)/.exec(printed)?.[1] ?? KUBE_SCORE_VERSION;
  return { linter: { name: "kube-score", version, argv: (files) => [bin, "score", ...files] } };
}

/** checkov from PATH, else pip-installed into a virtualenv in the cache (about a minute the first time). */
export function checkov(env: NodeJS.ProcessEnv = process.env): Found {
  const venv = path.join(cacheRoot(env), "bench", `checkov-${CHECKOV_VERSION}`);
  let bin = onPath("checkov", env) ?? path.join(venv, "bin", "checkov");
  if (!fs.existsSync(bin)) {
    const failed =
      step("python3", ["-m", "venv", venv], env) ??
      step(path.join(venv, "bin", "pip"), ["install", "--quiet", `checkov==${CHECKOV_VERSION}`], env);
    if (failed) {
      fs.rmSync(venv, { recursive: true, force: true });
      return { name: "checkov", skipped: `could not be installed: ${failed} (needs python3 with venv and PyPI)` };
    }
    bin = path.join(venv, "bin", "checkov");
  }
  const version = firstLine(bin, ["--version"]);
  if (!version) return { name: "checkov", skipped: `${bin} does not run` };
  // --skip-download: no call to Prisma Cloud for its policy metadata (and no network at all).
  const argv = (files: string[]) => [
    bin,
    ...["--framework", "kubernetes", "--quiet", "--compact", "--skip-download"],
    ...files.flatMap((f) => ["--file", f]),
  ];
  return { linter: { name: "checkov", version, argv } };
}
