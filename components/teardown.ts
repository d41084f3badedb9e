// Best-effort teardown (kubeadm reset, drain and delete a Node, probe cleanup) as companion steps:
// a local Command whose delete runs the node script through OpenSSH (ssh/run-over-ssh.sh). A node
// that does not answer within seconds is skipped with a message naming it, and the delete succeeds,
// so `pulumi destroy` goes on; with @pulumi/command a remote delete would dial the stored connection
// for minutes and then fail the destroy.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { OverSshStep, overSshCommand, overSshEnvironment } from "./ssh/over-ssh";

export interface TeardownArgs extends OverSshStep {
  /** The step it undoes: removing or replacing that step runs this teardown first. */
  of: command.remote.Command;
}

/**
 * Name it `<step's name>-teardown`. Its delete runs before its step's (deletes go in reverse
 * dependency order), and a replacement of the step replaces it first: both delete before they replace.
 */
export function teardownStep(
  name: string,
  args: TeardownArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return new command.local.Command(
    name,
    {
      delete: overSshCommand(args),
      environment: overSshEnvironment(args),
      // A new id of the step (it was replaced) replaces the teardown too, deleting it first.
      triggers: [args.of.id],
      addPreviousOutputInEnv: false,
    },
    {
      ...opts,
      dependsOn: [args.of, ...toArray(opts.dependsOn)],
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["environment"],
    },
  );
}

function toArray(value: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (!value) return [];
  return Array.isArray(value) ? value : [value as pulumi.Input<pulumi.Resource>];
}
