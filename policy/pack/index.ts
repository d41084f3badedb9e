// CrossGuard wrapper: `pulumi preview --policy-pack policy/pack` runs kubelab's rules over any Pulumi
// Kubernetes program. Errors are mandatory, warnings advisory; the rule behind each finding is named
// in its message.
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "../index";
import { PACK_CONFIG_SCHEMA, validateKubernetesStack } from "./validate";

const names = (severity: string) =>
  RULES.filter((r) => r.severity === severity)
    .map((r) => r.name)
    .join(", ");

new PolicyPack("kubelab", {
  policies: [
    {
      name: "kubelab-networking-errors",
      description: `Kubernetes networking mistakes that break the cluster or app (${names("error")}).`,
      enforcementLevel: "mandatory",
      configSchema: PACK_CONFIG_SCHEMA,
      validateStack: (args, reportViolation) => {
        validateKubernetesStack(args, "error", reportViolation);
      },
    },
    {
      name: "kubelab-workload-warnings",
      description: `Workload hygiene and softer networking findings (${names("warning")}).`,
      enforcementLevel: "advisory",
      validateStack: (args, reportViolation) => {
        validateKubernetesStack(args, "warning", reportViolation);
      },
    },
  ],
});
