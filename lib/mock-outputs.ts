// Plausible provider outputs for rendering offline: what a real `pulumi up` would read back.
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";

type Producer = (args: MockResourceArgs) => Record<string, unknown>;

/** Component modules register how their commands' outputs look under mocks, keyed by name suffix. */
const producers: { suffix: string; produce: Producer }[] = [];

export function registerMockOutput(suffix: string, produce: Producer): void {
  if (!producers.some((p) => p.suffix === suffix)) producers.push({ suffix, produce });
}

export function mockOutputs(args: MockResourceArgs): Record<string, unknown> {
  const match = producers.find((p) => args.name.endsWith(p.suffix));
  if (match) return match.produce(args);
  if (args.type.startsWith("command:")) return { stdout: "", stderr: "" };
  return {};
}
