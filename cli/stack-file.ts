// Reads a stack file (stacks/Pulumi.<env>.yaml or any path) into the flat config map Pulumi hands
// a program, with Pulumi.yaml's project defaults filled in, as `pulumi up` would see it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_ROOT } from "../lib/project-root";

export { PROJECT_ROOT };

export interface StackConfig {
  /** `{"kubelab:nodes": "<json>", ...}` — values as Pulumi passes them to a program. */
  config: Record<string, string>;
  secretKeys: string[];
}

interface ProjectConfigDeclaration {
  default?: unknown;
  secret?: boolean;
}

function projectDefaults(): Record<string, ProjectConfigDeclaration> {
  const project = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
  return project.config ?? {};
}

export function stackFilePath(stack: string): string {
  return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

const PATH_KEYS = ["privateKeyPath", "publicKeyPath"];

function resolvePaths(key: string, value: unknown, baseDir: string): unknown {
  if (key !== "kubelab:ssh" || !value || typeof value !== "object") return value;
  const ssh = { ...(value as Record<string, unknown>) };
  for (const field of PATH_KEYS) {
    const file = ssh[field];
    if (typeof file === "string" && !file.startsWith("~") && !path.isAbsolute(file))
      ssh[field] = path.resolve(baseDir, file);
  }
  return ssh;
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Loads a stack file. Relative key paths resolve against `baseDir` (the file's folder for
 * `--config FILE`, the project root for `--stack NAME`, as the Pulumi CLI would).
 */
export function readStackFile(file: string, baseDir = path.dirname(path.resolve(file))): StackConfig {
  const parsed = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  return stackConfigFromValues(parsed.config ?? {}, baseDir);
}

/** The flat config for `config:` values of a stack file (`{"kubelab:nodes": {...}}`). */
export function stackConfigFromValues(values: Record<string, unknown>, baseDir = PROJECT_ROOT): StackConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, declaration] of Object.entries(projectDefaults())) {
    if (declaration.default !== undefined && !(key in values)) config[key] = encode(declaration.default);
    if (declaration.secret) secretKeys.push(key);
  }
  for (const [key, value] of Object.entries(values)) {
    if (value && typeof value === "object" && "secure" in (value as object)) {
      // Encrypted with the stack's secrets provider; offline we only know that it is set.
      config[key] = `[encrypted ${key}]`;
      secretKeys.push(key);
      continue;
    }
    config[key] = encode(resolvePaths(key, value, baseDir));
  }
  return { config, secretKeys: [...new Set(secretKeys)] };
}

/**
 * Points the SSH key paths at stand-in files so rendering never reads (or needs) a real key.
 * Returns the folder holding them; the caller removes it.
 */
export function withStandInKeys(stack: StackConfig): { stack: StackConfig; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubelab-keys-"));
  fs.writeFileSync(
    path.join(dir, "id_standin"),
    "-----BEGIN OPENSSH PRIVATE KEY-----\nrender stand-in, not a key\n-----END OPENSSH PRIVATE KEY-----\n",
  );
  fs.writeFileSync(path.join(dir, "id_standin.pub"), "ssh-ed25519 AAAArenderstandin kubelab-render\n");
  const ssh = JSON.parse(stack.config["kubelab:ssh"] ?? "{}");
  const config = {
    ...stack.config,
    "kubelab:ssh": JSON.stringify({
      ...ssh,
      privateKeyPath: path.join(dir, "id_standin"),
      publicKeyPath: path.join(dir, "id_standin.pub"),
    }),
  };
  return { stack: { ...stack, config }, dir };
}
