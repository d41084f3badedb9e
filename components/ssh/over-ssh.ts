// Steps that run a node script through OpenSSH on the machine running Pulumi (run-over-ssh.sh):
// teardown, which must give up at once on a node that is gone, and the network check. Their
// command text names node, address and script; the key and the scripts travel in `environment`,
// a secret Output (a local Command stores it, and its delete runs from what was stored).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { quote } from "shell-quote";
import { readNodeScript } from "../node-scripts";
import { envAssignments, stepHeader } from "../remote";
import { SshAccess } from "../types";
import { PROJECT_ROOT } from "../../lib/project-root";

export const RUNNER = path.join(PROJECT_ROOT, "components", "ssh", "run-over-ssh.sh");

export function runnerText(): string {
  return fs.readFileSync(RUNNER, "utf8");
}

/** Where a step reaches over SSH: the node's name, its address and how to log in. */
export interface SshTarget {
  node: string;
  address: pulumi.Input<string>;
  ssh: SshAccess;
}

/** `KUBELAB_NODE=... KUBELAB_HOST=...`: the runner's non-secret settings, for a command text. */
export function targetAssignments(target: SshTarget, step: string): pulumi.Output<string> {
  return pulumi
    .all([target.address, target.ssh.hostKey])
    .apply(([host, hostKey]) =>
      [
        `KUBELAB_NODE=${quote([target.node])}`,
        `KUBELAB_STEP=${quote([step])}`,
        `KUBELAB_HOST=${quote([host])}`,
        `KUBELAB_PORT=${target.ssh.port}`,
        `KUBELAB_USER=${quote([target.ssh.user])}`,
        ...(hostKey ? [`KUBELAB_HOST_KEY=${quote([hostKey])}`] : []),
      ].join(" "),
    );
}

/** The secret part: the key (with its passphrase), the runner and the node script to send. */
export function secretEnvironment(
  ssh: SshAccess,
  scripts: Record<string, string>,
): pulumi.Output<Record<string, string>> {
  return pulumi.secret(
    pulumi.all([ssh.privateKey, ssh.privateKeyPassword]).apply(([key, passphrase]) => {
      const env: Record<string, string> = { ...scripts };
      if (key) env.KUBELAB_SSH_KEY = key;
      if (passphrase) env.KUBELAB_SSH_KEY_PASSPHRASE = passphrase;
      return env;
    }),
  ) as pulumi.Output<Record<string, string>>;
}

export interface OverSshStep {
  target: SshTarget;
  /** Script under scripts/node, without `.sh`. */
  script: string;
  /** Step name for logs, messages and render (`join-delete`). */
  step: string;
  /** Non-secret values for the script. */
  env?: Record<string, pulumi.Input<string>>;
  /** The runner's own optional settings (KUBELAB_UNREACHABLE, KUBELAB_UPLOAD, ...), not secret. */
  runner?: Record<string, string>;
}

/** The command text: `# kubelab step: ...` and the runner, the script's values as arguments. */
export function overSshCommand(args: OverSshStep): pulumi.Output<string> {
  return pulumi
    .all([targetAssignments(args.target, args.step), pulumi.all(args.env ?? {})])
    .apply(([assignments, env]) => {
      const values = envAssignments(args.script, env as Record<string, string>);
      const settings = Object.entries(args.runner ?? {}).map(([k, v]) => `${k}=${quote([v])}`);
      const run = [
        assignments,
        ...settings,
        'bash -c "$KUBELAB_OVER_SSH" run-over-ssh.sh',
        `${args.script}.sh`,
        ...values,
      ];
      return `${stepHeader({ node: args.target.node, step: args.step })}\n${run.join(" ")}`;
    });
}

/** The environment of an over-SSH command: runner and script beside the key. */
export function overSshEnvironment(args: OverSshStep): pulumi.Output<Record<string, string>> {
  return secretEnvironment(args.target.ssh, {
    KUBELAB_OVER_SSH: runnerText(),
    KUBELAB_SCRIPT: readNodeScript(args.script),
  });
}
