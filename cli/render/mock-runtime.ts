// Runs the kubelab program through the Pulumi SDK mocks and records every resource it registers:
// type, name, parent, dependencies and inputs. Tests, `npm run render` and `npm run bench` share it.
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { MockedOutput, mockOutputs } from "./mock-outputs";

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** Name of the parent resource (undefined for the stack itself). */
  parent?: string;
  /** Names of resources this one waits for: explicit dependsOn and inputs taken from other resources. */
  dependsOn: string[];
  /** Inputs as registered; secrets still wrapped (see isSecretValue / redactSecrets). */
  inputs: Record<string, unknown>;
  /** The provider's (mocked) state for custom resources. */
  state: Record<string, unknown>;
  /** Name of the resource whose deletion takes this one with it (the `deletedWith` option). */
  deletedWith?: string;
  deleteBeforeReplace: boolean;
}

export interface ProgramRun {
  resources: RecordedResource[];
  /** Stack outputs, resolved; secret outputs stay wrapped so callers can tell them apart. */
  outputs: Record<string, unknown>;
}

// Marked @internal in the SDK's typings, but it is how the language host waits for every registration.
const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

export const SECRET_PLACEHOLDER = "[secret]";

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[specialSigKey] === specialSecretSig
  );
}

/** Replaces every secret with "[secret]", recursively. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Unwraps secrets, for tests that need to read a secret's value. */
export function revealSecrets(value: unknown): unknown {
  if (isSecretValue(value)) return revealSecrets(value.value);
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

function nameOfUrn(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getProvider(): string;
  getDeletedwith(): string;
  getDeletebeforereplace(): boolean;
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

export interface RunOptions {
  stack?: string;
  /** Flat Pulumi config: `{"kubelab:network": "{...json...}"}`. */
  config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys?: string[];
  /** Mocked outputs that win over the components' own (e.g. sentinel secrets in tests). */
  mockedOutputs?: MockedOutput[];
}

/** Runs `program` inside a mocked stack; returns every registered resource and the stack outputs. */
export async function runProgram(program: () => unknown, options: RunOptions): Promise<ProgramRun> {
  const stack = options.stack ?? "test";
  const recorded = new Map<string, RecordedResource>();
  const pendingDeps = new Map<string, string[]>();
  pulumi.runtime.setAllConfig(options.config, options.secretKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state = args.custom === false ? {} : mockOutputs(args, { config: options.config }, options.mockedOutputs);
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: { ...args.inputs, ...state } };
      },
      call: (args) => args.inputs,
    },
    "kubelab",
    stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, callback: unknown) => {
    const deps = new Set(req.getDependenciesList());
    req.getPropertydependenciesMap().forEach((value) => value.getUrnsList().forEach((urn) => deps.add(urn)));
    // A provider reference is "<urn>::<id>"; the engine waits for the provider like a dependency.
    if (req.getProvider()) deps.add(req.getProvider().split("::").slice(0, -1).join("::"));
    pendingDeps.set(`${req.getType()}::${req.getName()}`, [...deps]);
    const wrapped = (
      err: unknown,
      response: { getUrn(): string; getObject(): { toJavaScript(): unknown } } | undefined,
    ) => {
      if (!err && response) {
        recorded.set(response.getUrn(), {
          type: req.getType(),
          name: req.getName(),
          urn: response.getUrn(),
          custom: req.getCustom(),
          parent: req.getParent() ? nameOfUrn(req.getParent()) : undefined,
          deletedWith: req.getDeletedwith() ? nameOfUrn(req.getDeletedwith()) : undefined,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          dependsOn: (pendingDeps.get(`${req.getType()}::${req.getName()}`) ?? []).map(nameOfUrn).sort(),
          inputs: {},
          state: {},
        });
      }
      (callback as (e: unknown, r: unknown) => void)(err, response);
    };
    original(req, wrapped);
  };
  const inputsByName = new Map<string, { inputs: Record<string, unknown>; state: Record<string, unknown> }>();
  const mocks = (pulumi.runtime as unknown as { getMonitor(): { mocks: { newResource: Function } } }).getMonitor()
    .mocks;
  const newResource = mocks.newResource;
  mocks.newResource = async (args: { type: string; name: string; inputs: Record<string, unknown> }) => {
    const result = await newResource(args);
    inputsByName.set(`${args.type}::${args.name}`, { inputs: args.inputs, state: result.state });
    return result;
  };
  // Keep the program's own return value: the stack's massaged copy has lost which outputs are secret.
  let outputs: Record<string, unknown> = {};
  // A failure inside an apply (a registration that cannot be serialised) surfaces as an unhandled
  // rejection, as it does when the Pulumi language host runs the program; collect and rethrow it.
  let fail: (reason: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  process.on("unhandledRejection", fail);
  try {
    await Promise.race([
      (async () => {
        await pulumi.runtime.runInPulumiStack(
          async () => (outputs = ((await program()) ?? {}) as Record<string, unknown>),
        );
        // Resources registered from inside applies finish after the stack outputs resolve.
        await waitForRPCs();
      })(),
      failed,
    ]);
  } finally {
    process.off("unhandledRejection", fail);
  }
  const resources = [...recorded.values()].map((r) => ({ ...r, ...inputsByName.get(`${r.type}::${r.name}`) }));
  return { resources, outputs: await resolveOutputs(outputs) };
}

async function resolveOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(outputs).map(async ([key, value]) => {
      const output = pulumi.output(value);
      const [resolved, secret] = await Promise.all([
        (output as unknown as { promise(): Promise<unknown> }).promise(),
        (output as unknown as { isSecret: Promise<boolean> }).isSecret,
      ]);
      return [key, secret ? { [specialSigKey]: specialSecretSig, value: resolved } : resolved] as const;
    }),
  );
  return Object.fromEntries(entries);
}
