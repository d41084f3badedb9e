// The one way kubelab runs a scripts/node/*.sh on a node: by path in the shipped scripts folder
// (components/node-scripts.ts), values as a quoted env prefix (never `environment`, which needs
// sshd AcceptEnv), secrets through stdin, secret-safe outputs.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { quote } from "shell-quote";
import { scriptBundle } from "./node-scripts";
import { LabNode } from "./types";

export type ScriptEnv = Record<string, pulumi.Input<string>>;

/** `A='1' B='2'`: values for a script, quoted for the shell. */
export function envAssignments(script: string, env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name for ${script}.sh: ${k}`);
    return `${k}=${quote([v])}`;
  });
}

/**
 * `sudo -n env A='1' bash /opt/kubelab/scripts/<hash>/<script>.sh`: what actually runs on the node,
 * under a comment line naming the node and step so logs and `npm run render` can tell them apart.
 * A failure ends with a line naming the step, the node and the exit code, after the script's own.
 */
export function scriptCommand(script: string, env: Record<string, string> = {}, label?: StepLabel): string {
  const run = ["sudo -n env", ...envAssignments(script, env), "bash", `${scriptBundle().dir}/${script}.sh`].join(" ");
  if (!label) return run;
  const failed = `kubelab: step ${label.step} failed on node ${label.node} with exit code $rc`;
  return `${stepHeader(label)}\n${run} || { rc=$?; echo "${failed}" >&2; exit $rc; }`;
}

export interface StepLabel {
  /** The node the command runs on. */
  node: string;
  step: string;
}

const HEADER = /^# kubelab step: node=(\S+) step=(\S+)$/;

export function stepHeader(label: StepLabel): string {
  return `# kubelab step: node=${label.node} step=${label.step}`;
}

/** Reads the node and step back from a command's first line (for render). */
export function parseStepHeader(commandText: string): StepLabel | undefined {
  const match = HEADER.exec(commandText.split("\n", 1)[0]);
  return match ? { node: match[1], step: match[2] } : undefined;
}

function commandText(script: string, env: ScriptEnv | undefined, label?: StepLabel): pulumi.Output<string> {
  return pulumi.all(env ?? {}).apply((values) => scriptCommand(script, values as Record<string, string>, label));
}

export interface NodeStepArgs {
  node: LabNode;
  /** Script under scripts/node, without `.sh`. */
  script: string;
  /** Step name shown in logs and render; @default the script name */
  step?: string;
  /** Non-secret inputs of the script. */
  env?: ScriptEnv;
  /** Secret input (a token, a join config): delivered on stdin, never in command text. */
  stdin?: pulumi.Input<string>;
  /** The step prints secrets (tokens, kubeconfig): hide stdout/stderr and all logs. */
  secretOutput?: boolean;
  /** Values whose change must re-run the step. */
  triggers?: pulumi.Input<unknown>[];
  /** Run the step on another node's connection (e.g. drain from a control plane). */
  via?: LabNode;
}

/** One remote step of the bootstrap, named `<component>-<node>-<step>` by the caller; never has a delete. */
export function nodeStep(name: string, args: NodeStepArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
  const target = args.via ?? args.node;
  const secret = args.secretOutput || args.stdin !== undefined;
  return new command.remote.Command(
    name,
    {
      connection: target.connection,
      create: commandText(args.script, args.env, { node: target.name, step: args.step ?? args.script }),
      // No delete here: it would dial the stored connection, and a node that is gone stops
      // `pulumi destroy` for minutes. Teardown runs from a companion step (teardown.ts).
      stdin: args.stdin,
      triggers: args.triggers,
      addPreviousOutputInEnv: false,
      logging: secret ? command.types.enums.remote.Logging.None : undefined,
    },
    {
      ...opts,
      additionalSecretOutputs: secret ? ["stdout", "stderr"] : undefined,
      dependsOn: [...target.readyAfter, ...(args.via ? args.node.readyAfter : []), ...toArray(opts.dependsOn)],
    },
  );
}

function toArray(value: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (!value) return [];
  return Array.isArray(value) ? value : [value as pulumi.Input<pulumi.Resource>];
}
