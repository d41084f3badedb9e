// `npm run render -- --stack NAME | --config FILE [--out DIR]`: runs index.ts through the Pulumi
// SDK mocks with that stack's config and writes what `pulumi up` would do, offline.
import * as fs from "fs";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { renderStack } from "./render/stack";

interface RenderOptions {
  stack?: string;
  config?: string;
  out?: string;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("kubelab render")
    .description("Show offline exactly what `pulumi up` would do for a stack")
    .option("--stack <name>", "a stack in stacks/ (Pulumi.<name>.yaml)")
    .option("--config <file>", "a stack file anywhere on disk; relative paths in it resolve against its folder")
    .option("--out <dir>", "where to write the plan (default out/<stack>)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return error instanceof CommanderError && error.exitCode === 0 ? 0 : 2;
  }
  const options = program.opts<RenderOptions>();
  if (Boolean(options.stack) === Boolean(options.config)) {
    process.stderr.write("render: give exactly one of --stack NAME or --config FILE\n");
    return 2;
  }
  const result = await renderStack({ stack: options.stack, configFile: options.config });
  if (!result.ok) {
    process.stderr.write(`${result.error}\nNo plan written.\n`);
    return 1;
  }
  const out = path.resolve(options.out ?? path.join("out", result.stackName));
  fs.rmSync(out, { recursive: true, force: true });
  for (const [file, content] of result.files) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.writeFileSync(path.join(out, file), content);
  }
  process.stdout.write(
    `Rendered stack ${result.stackName}: ${result.resourceCount} resources, ${result.files.size} files in ${out}\n` +
      `SSH key files are not read offline; a stand-in key is used and every secret shows as [secret].\n`,
  );
  return 0;
}
