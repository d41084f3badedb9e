// Turns a mocked program run into the files `npm run render` writes: plan.json, the per-node
// scripts, kubeadm files, manifests and addon values. Secrets never leave as plain text.
import { parse as shellParse } from "shell-quote";
import YAML from "yaml";
import { NODE_SCRIPTS_ROOT, readNodeScript, scriptBundle } from "../../components/node-scripts";
import { parseStepHeader } from "../../components/remote";
import {
  ProgramRun,
  RecordedResource,
  SECRET_PLACEHOLDER,
  isSecretValue,
  redactSecrets,
  revealSecrets,
} from "./mock-runtime";

export type RenderedFiles = Map<string, string>;

export interface PlanJson {
  resources: { type: string; name: string; parent?: string; dependsOn: string[]; inputs: unknown }[];
  outputs: unknown;
}

export function planJson(run: ProgramRun): PlanJson {
  return {
    resources: run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent,
      dependsOn: r.dependsOn,
      inputs: redactSecrets(r.inputs),
    })),
    outputs: redactSecrets(run.outputs),
  };
}

/** The env assignments of a rendered node command: `sudo -n env A='1' ... bash -c ...`. */
export function commandEnv(commandText: string): Record<string, string> {
  const env: Record<string, string> = {};
  const tokens = shellParse(commandText.split("\n").slice(1).join("\n"));
  for (const token of tokens) {
    if (token === "bash") break;
    if (typeof token === "string" && /^[A-Z_][A-Z0-9_]*=/.test(token)) {
      const at = token.indexOf("=");
      env[token.slice(0, at)] = token.slice(at + 1);
    }
  }
  return env;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** `bash /opt/kubelab/scripts/<hash>/<script>.sh`: the shipped script a command runs. */
const SHIPPED_SCRIPT = new RegExp(`\\bbash (${NODE_SCRIPTS_ROOT}/[0-9a-f]+/([a-z0-9-]+)\\.sh)\\b`);
/** `run-over-ssh.sh <script>.sh`: a script sent over SSH from this machine (teardown). */
const SENT_SCRIPT = /\brun-over-ssh\.sh ([a-z0-9-]+)\.sh\b/;
/** The network check step sends network-check.sh the same way (components/verify/gate.ts). */
const GATE = /\bcomponents\/verify\/gate\.ts\b/;

function commented(title: string, script: string): string[] {
  const text = readNodeScript(script).replace(/\n$/, "");
  return ["", `# ---- ${title} ----`, ...text.split("\n").map((l) => `# ${l}`.trimEnd())];
}

/** The script text after the command, commented out: what runs on the node. */
function scriptAppendix(command: string, stdin: unknown): string[] {
  const shipped = SHIPPED_SCRIPT.exec(command);
  if (shipped) return commented(`${shipped[1]}, shipped from scripts/node/${shipped[2]}.sh`, shipped[2]);
  const sent = SENT_SCRIPT.exec(command);
  if (sent) return commented(`scripts/node/${sent[1]}.sh, sent over SSH from this machine`, sent[1]);
  if (GATE.test(command))
    return commented("scripts/node/network-check.sh, sent over SSH from this machine", "network-check");
  if (typeof stdin === "string" && stdin === scriptBundle().archive) {
    const { names, dir } = scriptBundle();
    return ["", `# stdin: a tar (base64) of scripts/node, unpacked into ${dir}: ${names.join(", ")}`];
  }
  return [];
}

function nodeScripts(resources: RecordedResource[], files: RenderedFiles): void {
  for (const r of resources.filter((res) => res.type.startsWith("command:"))) {
    for (const field of ["create", "delete"] as const) {
      const command = text(r.inputs[field]);
      const label = command ? parseStepHeader(command) : undefined;
      if (!command || !label) continue;
      const where = r.type === "command:local:Command" ? ["# runs on the machine running Pulumi"] : [];
      const body = [
        "#!/usr/bin/env bash",
        `# resource: ${r.name}`,
        ...where,
        command,
        ...scriptAppendix(command, r.inputs.stdin),
      ];
      files.set(`nodes/${label.node}/${label.step}.sh`, `${body.join("\n")}\n`);
      if (label.step === "init") files.set("kubeadm/init.yaml", commandEnv(command).KUBEADM_CONFIG ?? "");
    }
    if (isSecretValue(r.inputs.stdin) && /-join$/.test(r.name)) files.set(`kubeadm/${joinFileName(r)}`, joinConfig(r));
  }
}

function joinFileName(r: RecordedResource): string {
  const label = parseStepHeader(text(r.inputs.create) ?? "");
  return `join-${label?.node ?? r.name}.yaml`;
}

/** A join config as the node receives it, with the token and certificate key shown as [secret]. */
function joinConfig(r: RecordedResource): string {
  const doc = YAML.parse(String(revealSecrets(r.inputs.stdin)));
  if (doc?.discovery?.bootstrapToken) doc.discovery.bootstrapToken.token = SECRET_PLACEHOLDER;
  if (doc?.controlPlane?.certificateKey) doc.controlPlane.certificateKey = SECRET_PLACEHOLDER;
  return YAML.stringify(doc);
}

const MANIFEST_FIELDS = ["apiVersion", "kind", "metadata", "spec", "data", "stringData", "type"];

/** Kubernetes objects the program creates, as YAML (secret fields as [secret]). */
export function kubernetesObjects(resources: RecordedResource[]): Record<string, unknown>[] {
  return resources
    .filter(
      (r) =>
        r.custom &&
        r.type.startsWith("kubernetes:") &&
        !r.type.startsWith("kubernetes:helm") &&
        r.type !== "pulumi:providers:kubernetes",
    )
    .map((r) => {
      const [, group, kind] = r.type.split(":");
      const version = group.replace(/^core\//, "");
      const object: Record<string, unknown> = { apiVersion: version, kind };
      for (const field of MANIFEST_FIELDS)
        if (r.inputs[field] !== undefined) object[field] = redactSecrets(r.inputs[field]);
      return object;
    });
}

function manifests(resources: RecordedResource[], files: RenderedFiles): void {
  for (const object of kubernetesObjects(resources)) {
    const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
    const file = `manifests/${meta.namespace ?? "cluster"}/${String(object.kind).toLowerCase()}-${meta.name}.yaml`;
    files.set(file, YAML.stringify(object));
  }
  for (const chart of resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart")) {
    const header = `# chart ${String(chart.inputs.chart)} ${String(chart.inputs.version ?? "")} from ${String(
      (chart.inputs.repositoryOpts as { repo?: string } | undefined)?.repo ?? "",
    )}\n`;
    files.set(`values/${chart.name}.yaml`, header + YAML.stringify(redactSecrets(chart.inputs.values ?? {})));
  }
}

const MOCKED_NOTE =
  "> **Mocked.** `npm run render` runs offline: every observation below is made up from the plan " +
  "(plausible addresses, every check passing), not measured on a cluster. `pulumi up` and " +
  "`npm run verify` draw the real picture.";

/** The offline topology says it is mocked, right under its title. */
function markMocked(topology: string): string {
  const [title, ...rest] = topology.split("\n");
  return [title, "", MOCKED_NOTE, ...rest].join("\n");
}

/** What the program reported about itself: policy findings and the network check's picture. */
function reports(outputs: Record<string, unknown>, files: RenderedFiles): void {
  const violations = redactSecrets(outputs.policyFindings ?? []);
  files.set("policy.json", `${JSON.stringify({ violations }, null, 2)}\n`);
  const topology = outputs.networkTopology;
  if (typeof topology === "string") files.set("topology.md", markMocked(topology));
}

export function renderFiles(run: ProgramRun): RenderedFiles {
  const files: RenderedFiles = new Map();
  files.set("plan.json", `${JSON.stringify(planJson(run), null, 2)}\n`);
  nodeScripts(run.resources, files);
  manifests(run.resources, files);
  reports(run.outputs, files);
  return files;
}
