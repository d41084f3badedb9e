// Plausible provider outputs for rendering offline: what a real `pulumi up` would read back.
// Each component module describes its own commands' outputs in its `mocked.ts`.
import { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";

export interface MockedOutput {
  /** Matches resources whose name ends with this suffix, e.g. "-join-token". */
  suffix: string;
  /** The state the provider would report after create (merged over the inputs). */
  produce: (args: MockResourceArgs, context: MockContext) => Record<string, unknown>;
}

/** What a producer may know besides the resource: the stack config being rendered. */
export interface MockContext {
  /** Flat Pulumi config, e.g. `{"kubelab:network": "{...json...}"}`. */
  config: Record<string, string>;
}

const producers: MockedOutput[] = [];

export function registerMockedOutputs(list: MockedOutput[]): void {
  for (const entry of list) if (!producers.some((p) => p.suffix === entry.suffix)) producers.push(entry);
}

export function mockOutputs(
  args: MockResourceArgs,
  context: MockContext,
  overrides: MockedOutput[] = [],
): Record<string, unknown> {
  const match = [...overrides, ...producers].find((p) => args.name.endsWith(p.suffix));
  if (match) return match.produce(args, context);
  if (args.type.startsWith("command:")) return { stdout: "", stderr: "" };
  return {};
}
