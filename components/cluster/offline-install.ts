// Offline installs: the bundle goes to each node once per manifest, as tar over OpenSSH from this
// machine (a gigabyte can ride neither a command's stdin nor Pulumi's state, and an archive asset
// would be hashed again on every run), then install-bundle.sh installs binaries, units and images
// from it. A node that cannot be reached fails the step: nothing would be installed.
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LoadedBundle, installBundleEnv, nodeCopy } from "../../lib/offline-bundle";
import { OverSshStep, SshTarget, overSshCommand, overSshEnvironment } from "../ssh/over-ssh";

export function bundleInstallStep(
  name: string,
  args: { target: SshTarget; bundle: LoadedBundle; env?: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  const copy = nodeCopy(args.bundle);
  const step: OverSshStep = {
    target: args.target,
    script: "install-bundle",
    step: "install-bundle",
    env: { ...installBundleEnv(args.bundle), ...args.env },
    runner: { KUBELAB_UNREACHABLE: "fail", KUBELAB_UPLOAD: copy.source, KUBELAB_UPLOAD_TO: copy.remotePath },
  };
  return new command.local.Command(
    name,
    {
      create: overSshCommand(step),
      environment: overSshEnvironment(step),
      // A new bundle (another manifest) is installed again; the same one never is.
      triggers: [copy.trigger],
      addPreviousOutputInEnv: false,
    },
    { ...opts, additionalSecretOutputs: ["environment"] },
  );
}
