// For `npm run up`: the offline bundle a stack file names and the Kubernetes version it is for,
// as `<folder> <version>` (nothing when the stack installs online), so a missing bundle can be
// built before Pulumi runs. usage: stack-bundle.ts STACK
import * as os from "os";
import * as path from "path";
import { readStackFile, stackFilePath } from "./stack-file";

export function stackBundle(config: Record<string, string>): string {
  const offline = JSON.parse(config["kubelab:offline"] ?? "{}") as { bundle?: string };
  if (!offline.bundle) return "";
  const bundle = offline.bundle.startsWith("~/") ? path.join(os.homedir(), offline.bundle.slice(2)) : offline.bundle;
  return `${path.resolve(bundle)} ${config["kubelab:kubernetesVersion"] ?? ""}`;
}

if (require.main === module) {
  process.stdout.write(stackBundle(readStackFile(stackFilePath(process.argv[2])).config));
}
