// The real Pulumi engine for `npm run test:engine`: the CLI on PATH or the one `npm run toolchain`
// built, a copy of the project in a temporary folder (so stack files and state never touch the
// repository), a local file backend and a throwaway SSH key.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import YAML from "yaml";

export const REPO = path.resolve(__dirname, "..", "..");
/** What the program needs at run time; node_modules is linked, not copied. */
const PROJECT_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "config.ts"];
const PROJECT_DIRS = ["components", "lib", "policy", "scripts/node", "stacks"];

export interface Engine {
  pulumi: string;
  env: NodeJS.ProcessEnv;
}

function toolchainEnv(): NodeJS.ProcessEnv {
  const cache = process.env.KUBELAB_CACHE || path.join(os.homedir(), ".cache", "kubelab");
  const bin = path.join(cache, "toolchain", "bin");
  return {
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_HOME: path.join(cache, "toolchain", "pulumi-home"),
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

function onPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  const found = spawnSync("bash", ["-c", `command -v ${program}`], { env, encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The engine to test with, or why there is none (the caller skips with that reason). */
export function findEngine(): Engine | string {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_CONFIG_PASSPHRASE: "engine-test",
  };
  delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
  const onUserPath = onPath("pulumi", base);
  if (onUserPath) return { pulumi: onUserPath, env: base };
  const env = { ...base, ...toolchainEnv() };
  const built = onPath("pulumi", env);
  if (!built) return "no Pulumi CLI on PATH and none built: run `npm run toolchain` (or install the CLI)";
  const plugins = spawnSync(built, ["plugin", "ls", "--json"], { env, encoding: "utf8" });
  const names = plugins.status === 0 ? (JSON.parse(plugins.stdout || "[]") as { name: string }[]) : [];
  const missing = ["command", "kubernetes"].filter((n) => !names.some((p) => p.name === n));
  if (missing.length > 0) return `the built toolchain lacks the ${missing.join(" and ")} plugin: run npm run toolchain`;
  return { pulumi: built, env };
}

export interface Project {
  dir: string;
  keyFile: string;
  run(args: string[], options?: { stdin?: string; cwd?: string }): { status: number; stdout: string; stderr: string };
  /** Writes stacks/Pulumi.<name>.yaml in the copy; config values as in a stack file. */
  writeStack(name: string, config: Record<string, unknown>): void;
  readStack(name: string): Record<string, unknown>;
  cleanup(): void;
}

/** A copy of kubelab with its own state backend; `run` calls the engine inside it. */
export function copyProject(engine: Engine): Project {
  return projectIn(engine, (dir) => {
    for (const file of PROJECT_FILES) fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
    for (const sub of PROJECT_DIRS) fs.cpSync(path.join(REPO, sub), path.join(dir, sub), { recursive: true });
  });
}

/** A copy of a small program under test/engine/fixtures/, run with the repository's node_modules. */
export function copyFixture(engine: Engine, fixture: string): Project {
  return projectIn(engine, (dir) => fs.cpSync(path.join(__dirname, "fixtures", fixture), dir, { recursive: true }));
}

function projectIn(engine: Engine, fill: (dir: string) => void): Project {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-engine-"));
  fill(dir);
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  const keyFile = path.join(dir, "id_ed25519");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  fs.mkdirSync(path.join(dir, ".state"));
  const env = { ...engine.env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}` };
  // kubelab keeps its stack files in stacks/ (Pulumi.yaml's stackConfigDir); fixtures beside Pulumi.yaml.
  const project = YAML.parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string };
  const stackFile = (name: string) => path.join(dir, project.stackConfigDir ?? ".", `Pulumi.${name}.yaml`);
  return {
    dir,
    keyFile,
    run(args, options = {}) {
      const result = spawnSync(engine.pulumi, args, {
        cwd: options.cwd ?? dir,
        env,
        input: options.stdin ?? "",
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 10 * 60 * 1000,
      });
      return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
    },
    writeStack(name, config) {
      fs.writeFileSync(stackFile(name), YAML.stringify({ config }));
    },
    readStack(name) {
      return (YAML.parse(fs.readFileSync(stackFile(name), "utf8")) ?? {}) as Record<string, unknown>;
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A stack file's config with the SSH key pointed at the project's throwaway key. */
export function withKey(project: Project, stack: string): Record<string, unknown> {
  const config = { ...((project.readStack(stack).config ?? {}) as Record<string, unknown>) };
  const ssh = (config["kubelab:ssh"] ?? {}) as Record<string, unknown>;
  config["kubelab:ssh"] = { ...ssh, privateKeyPath: project.keyFile, publicKeyPath: `${project.keyFile}.pub` };
  return config;
}

export interface PreviewStep {
  op: string;
  urn: string;
  type: string;
  name: string;
  parent?: string;
}

/** `pulumi preview --json`'s steps as type, name and parent name (the URN's last segment). */
export function previewSteps(json: string): PreviewStep[] {
  const parsed = JSON.parse(json) as { steps?: { op: string; urn: string; newState?: { parent?: string } }[] };
  return (parsed.steps ?? []).map((step) => {
    const segments = step.urn.split("::");
    const typePath = segments[2].split("$");
    return {
      op: step.op,
      urn: step.urn,
      type: typePath[typePath.length - 1],
      name: segments[3],
      parent: step.newState?.parent ? step.newState.parent.split("::")[3] : undefined,
    };
  });
}
