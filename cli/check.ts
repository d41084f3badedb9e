// `kubelab check PATH...`: kubelab's policy rules over any Kubernetes manifests (DESIGN §4), as
// text, JSON or SARIF. Exit 0 no error, 1 errors (parse errors included), 2 bad arguments or
// nothing to check. It loads the rules and a YAML reader, nothing of the Pulumi program.
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { parseCidr } from "../lib/cidr";
import { parseNodePortRange } from "../policy/nodeports";
import {
  NetworkPlan,
  ParseError,
  SourcedObject,
  Violation,
  checkObjects,
  formatJson,
  formatText,
  hasErrors,
} from "../policy";
import { parseManifests } from "../policy/load";
import { formatSarif } from "./sarif";
import { kubelabVersion } from "./version";

export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

const MANIFEST = /\.(ya?ml|json)$/i;
const SKIP_DIRS = new Set(["node_modules"]);

class UsageError extends Error {}

/**
 * Files under `target`, folders walked recursively in name order (hidden folders and node_modules
 * skipped). A folder that cannot be listed is handed to `unreadable` and the walk goes on.
 */
export function manifestFiles(target: string, unreadable: (dir: string, error: Error) => void = () => {}): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(target, { withFileTypes: true });
  } catch (error) {
    unreadable(target, error as Error);
    return [];
  }
  return entries
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = path.join(target, entry.name);
      if (entry.isDirectory())
        return entry.name.startsWith(".") || SKIP_DIRS.has(entry.name) ? [] : manifestFiles(full, unreadable);
      return entry.isFile() && MANIFEST.test(entry.name) ? [full] : [];
    });
}

function cidrOption(value: string): string {
  if (!parseCidr(value)) throw new InvalidArgumentError("not a CIDR; write it like 10.244.0.0/16");
  return value;
}

function rangeOption(value: string) {
  const range = parseNodePortRange(value);
  if (!range) throw new InvalidArgumentError(`write LOW-HIGH with 1 <= LOW < HIGH <= 65535, e.g. 30000-32767`);
  return range;
}

function program(io: CheckIo): Command {
  return new Command("kubelab check")
    .description("Check Kubernetes manifests (.yaml, .yml, .json files and folders) against kubelab's policy rules")
    .argument("<paths...>", "manifest files or folders (searched recursively)")
    .option("--pod-cidr <cidr>", "pod CIDR (kubeadm podSubnet)", cidrOption)
    .option("--service-cidr <cidr>", "service CIDR (kubeadm serviceSubnet)", cidrOption)
    .option("--node-cidr <cidr>", "CIDR the node addresses live in", cidrOption)
    .option("--node-port-range <low-high>", "NodePort range (default 30000-32767)", rangeOption)
    .addOption(new Option("--cni <cni>", "pod network addon").choices(["calico", "flannel", "cilium"]))
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "sarif"]).default("text"))
    .addHelpText(
      "after",
      "\nExit status: 0 no error (warnings allowed), 1 errors or unparsable files, 2 bad arguments or nothing to check.",
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run with --help for usage)");
}

interface Loaded {
  objects: SourcedObject[];
  errors: ParseError[];
  readable: number;
}

function load(targets: string[], io: CheckIo): Loaded {
  const loaded: Loaded = { objects: [], errors: [], readable: 0 };
  for (const target of targets) {
    if (!fs.existsSync(path.resolve(io.cwd, target))) throw new UsageError(`${target}: no such file or folder`);
    // Paths print the way they were given: relative arguments stay relative to the working folder.
    const shown = (file: string) => (path.isAbsolute(target) ? file : path.relative(io.cwd, file) || file);
    const unreadable = (file: string, error: Error) =>
      loaded.errors.push({ file: shown(file), line: 1, message: `cannot read: ${error.message}` });
    for (const file of manifestFiles(path.resolve(io.cwd, target), unreadable)) {
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (error) {
        unreadable(file, error as Error);
        continue;
      }
      loaded.readable++;
      const parsed = parseManifests(text, shown(file));
      loaded.objects.push(...parsed.objects);
      loaded.errors.push(...parsed.errors);
    }
  }
  return loaded;
}

function planOf(opts: Record<string, unknown>): NetworkPlan {
  const plan: NetworkPlan = {};
  if (opts.podCidr) plan.podCidr = opts.podCidr as string;
  if (opts.serviceCidr) plan.serviceCidr = opts.serviceCidr as string;
  if (opts.nodeCidr) plan.nodeCidr = opts.nodeCidr as string;
  if (opts.nodePortRange) plan.nodePortRange = opts.nodePortRange as NetworkPlan["nodePortRange"];
  if (opts.cni) plan.cni = opts.cni as NetworkPlan["cni"];
  return plan;
}

function formatReport(violations: Violation[], loaded: Loaded, format: string, io: CheckIo): string {
  const { errors, objects } = loaded;
  if (format === "sarif") return formatSarif({ violations, errors, objects, cwd: io.cwd, version: kubelabVersion() });
  return format === "json" ? formatJson(violations, errors) : formatText(violations, errors);
}

function execute(cmd: Command, io: CheckIo): number {
  const opts = cmd.opts();
  const loaded = load(cmd.processedArgs[0] as string[], io);
  if (loaded.readable === 0 || (loaded.objects.length === 0 && loaded.errors.length === 0)) {
    if (loaded.errors.length > 0) io.stdout(formatReport([], loaded, opts.format, io));
    io.stderr(`nothing to check: no Kubernetes objects found in ${cmd.args.join(", ")}\n`);
    return 2;
  }
  const violations = checkObjects(loaded.objects, planOf(opts));
  io.stdout(formatReport(violations, loaded, opts.format, io));
  return hasErrors(violations) || loaded.errors.length > 0 ? 1 : 0;
}

/** Runs the command on `argv` (without node and script) and returns the exit code. */
export function runCheck(argv: string[], io: CheckIo): number {
  const cmd = program(io);
  try {
    cmd.parse(argv, { from: "user" });
    return execute(cmd, io);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`check: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** `kubelab check ARGS...` on this process's terminal and working folder. */
export function main(argv: string[]): number {
  const io: CheckIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
  };
  return runCheck(argv, io);
}
