// Runs the real program (index.ts) for one stack file under the mocks; shared by render and tests.
import * as fs from "fs";
import * as path from "path";
import { ProgramRun, runProgram } from "./mock-runtime";
import { RenderedFiles, renderFiles } from "./files";
import {
  PROJECT_ROOT,
  StackConfig,
  readStackFile,
  stackConfigFromValues,
  stackFilePath,
  withStandInKeys,
} from "../stack-file";
import { registerComponentMocks } from "./component-mocks";

export interface RenderRequest {
  stack?: string;
  configFile?: string;
  /** Stack file `config:` values given directly (tests): `{"kubelab:nodes": {...}}`. */
  values?: Record<string, unknown>;
  /** Extra or replaced flat config values, e.g. in tests. */
  overrides?: Record<string, string>;
  mockedOutputs?: Parameters<typeof runProgram>[1]["mockedOutputs"];
}

export type RenderResult =
  | { ok: true; stackName: string; run: ProgramRun; files: RenderedFiles; resourceCount: number }
  | { ok: false; stackName: string; error: string };

/** Errors a user can fix in their config or manifests; anything else is a bug and is rethrown. */
const USER_ERRORS = ["ConfigError", "PolicyError", "AddonPlanError", "AppArgsError"];

function loadStack(request: RenderRequest): { stackName: string; stack: StackConfig } {
  if (request.values) return { stackName: request.stack ?? "test", stack: stackConfigFromValues(request.values) };
  if (request.stack) {
    const file = stackFilePath(request.stack);
    if (!fs.existsSync(file))
      throw new Error(`no stack file ${path.relative(process.cwd(), file)}; stacks are stacks/Pulumi.<name>.yaml`);
    return { stackName: request.stack, stack: readStackFile(file, PROJECT_ROOT) };
  }
  const file = path.resolve(request.configFile as string);
  if (!fs.existsSync(file)) throw new Error(`config file not found: ${request.configFile}`);
  const stackName = path
    .basename(file)
    .replace(/^Pulumi\./, "")
    .replace(/\.ya?ml$/, "");
  return { stackName, stack: readStackFile(file) };
}

export async function renderStack(request: RenderRequest): Promise<RenderResult> {
  const { stackName, stack } = loadStack(request);
  const { stack: offline, dir } = withStandInKeys({ ...stack, config: { ...stack.config, ...request.overrides } });
  registerComponentMocks();
  try {
    // The program beside this code: index.ts from the sources, index.js in the compiled dist/.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require("../../index") as () => Promise<unknown>;
    const run = await runProgram(program, {
      stack: stackName,
      config: offline.config,
      secretKeys: offline.secretKeys,
      mockedOutputs: request.mockedOutputs,
    });
    return { ok: true, stackName, run, files: renderFiles(run), resourceCount: run.resources.length };
  } catch (error) {
    const named = error as Error;
    if (USER_ERRORS.includes(named?.name)) return { ok: false, stackName, error: named.message };
    throw error;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
