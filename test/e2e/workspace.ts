// Where the end-to-end run happens: the toolchain and the offline bundle (built or reused), a copy
// of the project (Pulumi writes the stack's encryption salt into its stack file, which must not
// dirty the repository), a local state backend, a throwaway SSH key and the Pulumi CLI.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync } from "child_process";

export const REPO = path.resolve(__dirname, "..", "..");
export const CACHE = process.env.KUBELAB_CACHE || path.join(os.homedir(), ".cache", "kubelab");
export const KUBERNETES_PATCH = "1.36.3";

export interface Workspace {
  /** The project copy Pulumi runs in. */
  dir: string;
  stack: string;
  bundle: string;
  keyFile: string;
  env: NodeJS.ProcessEnv;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command with its output shown live and kept for the evidence. */
export function run(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; quiet?: boolean },
) {
  return new Promise<RunResult>((resolve) => {
    const started = Date.now();
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (!options.quiet) process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (!options.quiet) process.stderr.write(chunk);
    });
    child.on("close", (code) =>
      resolve({ status: code ?? -1, stdout, stderr, seconds: Math.round((Date.now() - started) / 100) / 10 }),
    );
  });
}

/** The machine must be able to host local nodes; otherwise the reason, before anything starts. */
export function hostProblems(): string[] {
  const problems: string[] = [];
  if (process.platform !== "linux") problems.push("the end-to-end run needs Linux (local machine containers)");
  if (process.getuid?.() !== 0) problems.push("the end-to-end run needs root (sudo -E npm run e2e)");
  for (const [tool, pkg] of [
    ["systemd-nspawn", "systemd-container"],
    ["debootstrap", "debootstrap"],
    ["ssh", "openssh-client"],
    ["go", "golang (Go 1.26)"],
  ]) {
    if (spawnSync("bash", ["-c", `command -v ${tool}`]).status !== 0)
      problems.push(`${tool} is missing: install ${pkg}`);
  }
  return problems;
}

/** `npm run toolchain` and `npm run bundle`: seconds when cached, a long build the first time. */
export async function ensureBuilds(): Promise<{ bundle: string; seconds: { toolchain: number; bundle: number } }> {
  const env = { ...process.env };
  const toolchain = await run("bash", ["scripts/toolchain/toolchain.sh"], { cwd: REPO, env });
  if (toolchain.status !== 0) throw new Error("npm run toolchain failed (output above)");
  const bundle = path.join(CACHE, "bundles", KUBERNETES_PATCH);
  const built = await run(
    "npm",
    ["run", "--silent", "bundle", "--", "--kubernetes", KUBERNETES_PATCH, "--out", bundle],
    {
      cwd: REPO,
      env,
    },
  );
  if (built.status !== 0) throw new Error("npm run bundle failed (output above)");
  return { bundle, seconds: { toolchain: toolchain.seconds, bundle: built.seconds } };
}

/** Files of the working tree that git knows or would add (not ignored), copied into `dir`. */
function copyProjectFiles(dir: string): void {
  const listed = spawnSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    if (!fs.existsSync(path.join(REPO, file))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  // The compiled kubelab (git-ignored, built by `npm ci`): `npm run verify` runs it in the copy, and
  // it finds the project (its state and stack files) from its own folder, so it is copied, not linked.
  fs.cpSync(path.join(REPO, "dist"), path.join(dir, "dist"), { recursive: true });
}

/** The workspace of one stack; `fresh` replaces the project copy (never while a cluster is kept). */
export function workspace(stack: string, bundle: string, fresh: boolean): Workspace {
  const root = path.join(CACHE, "e2e", stack);
  const dir = path.join(root, "project");
  if (fresh) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    copyProjectFiles(dir);
  }
  const keyFile = path.join(root, "id_ed25519");
  if (!fs.existsSync(keyFile))
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kubelab-e2e", "-f", keyFile]);
  fs.mkdirSync(path.join(root, "state"), { recursive: true });
  const bin = path.join(CACHE, "toolchain", "bin");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_HOME: path.join(CACHE, "toolchain", "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "kubelab-e2e",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return { dir, stack, bundle, keyFile, env };
}

export function pulumi(ws: Workspace, args: string[], quiet = false): Promise<RunResult> {
  return run("pulumi", [...args, "--stack", ws.stack], { cwd: ws.dir, env: ws.env, quiet });
}

/** Creates the stack in the copy and points it at the bundle and the throwaway key. */
export async function initStack(ws: Workspace): Promise<void> {
  const exists = await pulumi(ws, ["stack", "ls", "--json"], true);
  const listed = JSON.parse(exists.stdout || "[]") as { name: string }[];
  if (!listed.some((s) => s.name === ws.stack)) {
    const made = await run("pulumi", ["stack", "init", ws.stack], { cwd: ws.dir, env: ws.env, quiet: true });
    if (made.status !== 0) throw new Error(`pulumi stack init ${ws.stack}: ${made.stderr}`);
  }
  for (const [key, value] of [
    ["kubelab:offline.bundle", ws.bundle],
    ["kubelab:ssh.privateKeyPath", ws.keyFile],
    ["kubelab:ssh.publicKeyPath", `${ws.keyFile}.pub`],
  ]) {
    const set = await pulumi(ws, ["config", "set", "--path", key, value], true);
    if (set.status !== 0) throw new Error(`pulumi config set ${key}: ${set.stderr}`);
  }
}

export async function stackOutputs(ws: Workspace): Promise<Record<string, unknown>> {
  const out = await pulumi(ws, ["stack", "output", "--json", "--show-secrets"], true);
  if (out.status !== 0) throw new Error(`pulumi stack output: ${out.stderr}`);
  return JSON.parse(out.stdout) as Record<string, unknown>;
}
