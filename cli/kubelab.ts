#!/usr/bin/env node
// `kubelab <command>`: the one entry point of the user commands, compiled into dist/ by
// `npm run build`. A command's module is loaded only when that command runs: `kubelab check`
// starts in a fraction of the time `render` needs, and never loads the Pulumi SDK.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { PROJECT_ROOT } from "../lib/project-root";
import { warnIfStale } from "./stale";
import { kubelabVersion } from "./version";

type Run = (argv: string[]) => Promise<number> | number;

interface Entry {
  summary: string;
  load: () => Promise<Run>;
}

export const COMMANDS: Record<string, Entry> = {
  check: {
    summary: "check Kubernetes manifests against kubelab's policy rules (text, json or sarif)",
    load: async () => (await import("./check")).main,
  },
  render: {
    summary: "show offline exactly what `pulumi up` would do for a stack",
    load: async () => (await import("./render")).main,
  },
  verify: {
    summary: "re-run the live network check against a deployed stack",
    load: async () => (await import("./verify")).main,
  },
  bench: {
    summary: "measure check against kube-score and checkov, and the program as the cluster grows",
    load: async () => (await import("./bench")).main,
  },
  up: {
    summary: "pulumi up on the local file backend (stack: STACK, else lab or local)",
    load: async () => pulumi("up"),
  },
  destroy: { summary: "pulumi destroy of that stack", load: async () => pulumi("destroy") },
};

/** `up` and `destroy` are cli/pulumi.sh's: the Pulumi program runs from a clone of the project. */
function pulumi(action: "up" | "destroy"): Run {
  return (argv) => {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write(
        `Usage: kubelab ${action} [pulumi ${action} options...]\n\n` +
          `Runs \`pulumi ${action}\` on the file backend in .pulumi-state/ of this project. The stack is STACK,\n` +
          `else \`lab\` where Multipass is installed (or off Linux), else \`local\`. Other arguments go to Pulumi.\n`,
      );
      return 0;
    }
    if (!fs.existsSync(path.join(PROJECT_ROOT, "index.ts"))) {
      process.stderr.write(
        `kubelab ${action}: the Pulumi program is not here (${PROJECT_ROOT}); run it from a clone of kubelab\n`,
      );
      return 2;
    }
    const run = spawnSync("bash", [path.join(PROJECT_ROOT, "cli", "pulumi.sh"), action, ...argv], { stdio: "inherit" });
    return run.status ?? 1;
  };
}

/** The command without a known subcommand: help, --version, or a usage error (exit 2). */
function top(argv: string[]): number {
  const program = new Command("kubelab")
    .description("Stand up a kubeadm lab cluster from code and prove its networking model")
    .usage("<command> [options]")
    .version(kubelabVersion())
    .helpCommand(false)
    .exitOverride()
    .addHelpText("after", "\nRun `kubelab <command> --help` for a command's options.");
  for (const [name, entry] of Object.entries(COMMANDS)) program.command(name).description(entry.summary);
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  program.outputHelp({ error: true });
  return 2;
}

export async function main(argv: string[]): Promise<number> {
  const entry = Object.hasOwn(COMMANDS, argv[0] ?? "") ? COMMANDS[argv[0]] : undefined;
  if (!entry) return top(argv);
  return (await entry.load())(argv.slice(1));
}

if (require.main === module) {
  process.on("exit", () => warnIfStale(__dirname));
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
