// scripts/node travels to each node once, as a gzipped tar on the stdin of one step, into a folder named
// after the scripts' content hash; every other step then runs a script by path. A failing step's
// error is its short command and the script's own output, never the script text, and a change to
// any script ships a new folder (and re-runs the steps, whose paths name it).
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { gzipSync } from "zlib";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { quote } from "shell-quote";
import * as tar from "tar";
import { PROJECT_ROOT } from "../lib/project-root";

export const SCRIPTS_DIR = path.join(PROJECT_ROOT, "scripts", "node");
/** Where every version of the scripts lives on a node; only the current one is kept. */
export const NODE_SCRIPTS_ROOT = "/opt/kubelab/scripts";

/**
 * Scripts this machine sends over SSH itself (teardown and the network check, ssh/over-ssh.ts):
 * they never run from the shipped folder, so they stay out of the archive every node's state holds.
 */
export const SENT_OVER_SSH = ["network-check", "network-check-cleanup", "remove-node", "reset"];

export interface ScriptBundle {
  /** The first 16 hex digits of sha256 over every shipped script's name and text. */
  hash: string;
  /** `/opt/kubelab/scripts/<hash>` on every node. */
  dir: string;
  /** Script file names (`init.sh`, ...), sorted. */
  names: string[];
  /** The gzipped tar of those scripts, base64: the same bytes for the same scripts. */
  archive: string;
}

function archiveOf(names: string[]): Buffer {
  const stream = tar.create(
    {
      sync: true,
      cwd: SCRIPTS_DIR,
      portable: true,
      mtime: new Date(0),
      // The mode a checkout happens to give a file must not change the archive (the node runs `bash FILE`).
      onWriteEntry: (entry) => {
        if (entry.stat) entry.stat.mode = (entry.stat.mode & ~0o7777) | 0o644;
      },
    },
    names,
  );
  const chunks: Buffer[] = [];
  for (let chunk = stream.read(); chunk !== null; chunk = stream.read()) chunks.push(chunk as Buffer);
  // Stored in every node's shipping step: compressed, a quarter of the size. The gzip header holds
  // no time, and its OS byte is set to "unknown" so the bytes do not depend on the OS building them.
  const gzipped = gzipSync(Buffer.concat(chunks), { level: 9 });
  gzipped[9] = 0xff;
  return gzipped;
}

let cached: ScriptBundle | undefined;

export function scriptBundle(): ScriptBundle {
  if (cached) return cached;
  const names = fs
    .readdirSync(SCRIPTS_DIR)
    .filter((n) => n.endsWith(".sh") && !SENT_OVER_SSH.includes(n.slice(0, -3)))
    .sort();
  const digest = createHash("sha256");
  for (const name of names) digest.update(`${name}\0${fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8")}\0`);
  const hash = digest.digest("hex").slice(0, 16);
  cached = { hash, dir: `${NODE_SCRIPTS_ROOT}/${hash}`, names, archive: archiveOf(names).toString("base64") };
  return cached;
}

export function readNodeScript(script: string): string {
  return fs.readFileSync(path.join(SCRIPTS_DIR, `${script}.sh`), "utf8");
}

// Unpacks into a fresh folder and renames it into place, so a half-written folder is never used;
// older versions go, as no step names them any more.
const INSTALLER = [
  "set -eu",
  `root=${NODE_SCRIPTS_ROOT}; dir="$root/$1"`,
  'if [ -f "$dir/.complete" ]; then cat >/dev/null; echo "node scripts $1 already in $dir"; exit 0; fi',
  'mkdir -p "$root"',
  'tmp="$(mktemp -d "$root/.incoming.XXXXXX")"',
  'base64 -d | tar -xz -C "$tmp"',
  'touch "$tmp/.complete"',
  'rm -rf "$dir" && mv "$tmp" "$dir"',
  'find "$root" -mindepth 1 -maxdepth 1 ! -name "$1" -exec rm -rf {} +',
  'echo "node scripts $1 installed in $dir"',
].join("; ");

/** The command of the shipping step (the archive arrives on stdin). */
export function installCommand(hash: string): string {
  return `sudo -n sh -c ${quote([INSTALLER])} kubelab-scripts ${hash}`;
}

export interface ShipArgs {
  node: string;
  connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** Resources that must exist before the node takes SSH (its VM). */
  after: pulumi.Resource[];
}

/** The step that puts this version of scripts/node on a node: `scripts-<node>`. */
export function shipScripts(args: ShipArgs, opts: pulumi.CustomResourceOptions = {}): command.remote.Command {
  const bundle = scriptBundle();
  return new command.remote.Command(
    `scripts-${args.node}`,
    {
      connection: args.connection,
      create: `# kubelab step: node=${args.node} step=scripts\n${installCommand(bundle.hash)}`,
      stdin: bundle.archive,
      triggers: [bundle.hash],
      addPreviousOutputInEnv: false,
    },
    { ...opts, dependsOn: args.after },
  );
}
