// The contract of each component module's `mocked.ts`: plausible provider outputs for its commands,
// what a real `pulumi up` would read back. The offline render (cli/render) and the tests register
// them; the program itself never loads them.
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";

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
